using System.Reflection;

namespace InferencePlanner;

/// <summary>Reads the data files embedded from data/ at build time.</summary>
internal static class EmbeddedData
{
    private static readonly Assembly Assembly = typeof(EmbeddedData).Assembly;

    /// <summary>Names and texts of the embedded files under a folder ("gpus/", "models/"), in name order.</summary>
    public static IEnumerable<(string Name, string Text)> Under(string folder)
    {
        foreach (var name in Assembly.GetManifestResourceNames().Where(n => n.StartsWith(folder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = Assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (name, reader.ReadToEnd());
        }
    }
}

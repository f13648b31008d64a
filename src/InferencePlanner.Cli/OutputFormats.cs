using InferencePlanner.Reporting;

namespace InferencePlanner.Cli;

/// <summary>The formats <c>--format</c> accepts: the terminal's table, and the library's file formats.</summary>
public static class OutputFormats
{
    /// <summary>Every format name, the default first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["table", .. Exporters.Names];

    /// <summary>The exporter for <paramref name="name"/>, guarded as the library's are.</summary>
    public static IExporter For(string name) =>
        string.Equals(name, "table", StringComparison.OrdinalIgnoreCase) ? Exporters.Guard(new TerminalTableExporter()) : Exporters.For(name);
}

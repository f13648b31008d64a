using InferencePlanner.Hardware;

namespace InferencePlanner.Kernels;

/// <summary>The built-in kernel profiles (data/kernels/*.json, embedded at build time).</summary>
public static class KernelCatalog
{
    private static readonly Lazy<IReadOnlyList<KernelProfile>> Profiles = new(() =>
        [.. EmbeddedData.Under("kernels/").Select(r => KernelProfile.Parse(r.Text, "built-in " + r.Name, n => GpuCatalog.Resolve(n)))]);

    /// <summary>All built-in profiles.</summary>
    public static IReadOnlyList<KernelProfile> BuiltIn => Profiles.Value;

    /// <summary>The profile that applies to <paramref name="gpu"/>, or null when its datasheet defaults apply.</summary>
    public static KernelProfile? For(GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (gpu.KernelProfile is { } name)
        {
            return BuiltIn.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new InputException($"GPU {gpu.Name}: unknown kernel profile '{name}' (known: {string.Join(", ", BuiltIn.Select(p => p.Name))})");
        }

        return BuiltIn.FirstOrDefault(p => p.AppliesTo.Contains(gpu.Name, StringComparer.OrdinalIgnoreCase));
    }
}

using InferencePlanner.Hardware;

namespace InferencePlanner.Kernels;

/// <summary>The built-in kernel profiles (data/kernels/*.json, embedded at build time).</summary>
public static class KernelCatalog
{
    private static readonly Lazy<IReadOnlyList<KernelProfile>> Profiles = new(Load);

    // Each file once, in the order of their names; a profile that extends another (named by its file, without .json)
    // reads that one first.
    private static IReadOnlyList<KernelProfile> Load()
    {
        var files = EmbeddedData.Under("kernels/").ToList();
        var read = new Dictionary<string, KernelProfile>(StringComparer.OrdinalIgnoreCase);
        var reading = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        KernelProfile Read(string name)
        {
            if (read.TryGetValue(name, out var done))
            {
                return done;
            }

            var file = files.FirstOrDefault(f => string.Equals(Path.GetFileNameWithoutExtension(f.Name), name, StringComparison.OrdinalIgnoreCase));
            if (file.Name is null || !reading.Add(name))
            {
                throw new InputException(file.Name is null ? $"no built-in kernel profile '{name}'" : $"kernel profile '{name}' extends itself, through others or directly");
            }

            return read[name] = KernelProfile.Parse(file.Text, "built-in " + file.Name, n => GpuCatalog.Resolve(n), Read);
        }

        return [.. files.Select(f => Read(Path.GetFileNameWithoutExtension(f.Name)))];
    }

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

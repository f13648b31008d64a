using InferencePlanner.Json;

namespace InferencePlanner.Hardware;

/// <summary>
/// The built-in GPUs (the files under data/gpus, embedded at build time) and the loader for a GPU file
/// a user writes. A name that is not built in is read as a path.
/// </summary>
public static class GpuCatalog
{
    private static readonly string[] Fields =
    [
        "name", "sms", "commSms", "fp16Tflops", "fp8Tflops", "memoryGB", "memoryBandwidthGBps",
        "scaleUpBandwidthGBps", "scaleOutBandwidthGBps", "gpusPerNode",
    ];

    private static readonly string[] Optional = ["source", "notes"];

    private static readonly Lazy<IReadOnlyList<GpuSpec>> BuiltInList = new(LoadBuiltIns);

    /// <summary>The built-in GPUs, in name order.</summary>
    public static IReadOnlyList<GpuSpec> BuiltIn => BuiltInList.Value;

    /// <summary>A built-in GPU by name (case-insensitive), or the GPU file at that path.</summary>
    public static GpuSpec Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        foreach (var gpu in BuiltIn)
        {
            if (string.Equals(gpu.Name, nameOrPath, StringComparison.OrdinalIgnoreCase))
            {
                return gpu;
            }
        }

        if (LooksLikePath(nameOrPath))
        {
            return Parse(JsonFields.ReadFile(nameOrPath));
        }

        throw new InputException(
            $"unknown GPU '{nameOrPath}': built-in GPUs are {string.Join(", ", BuiltIn.Select(g => g.Name))}, or give the path of a GPU JSON file");
    }

    /// <summary>Parses a GPU from JSON text; <paramref name="origin"/> names it in errors.</summary>
    public static GpuSpec Parse(string json, string origin) => Parse(JsonFields.Parse(json, origin));

    private static bool LooksLikePath(string s) =>
        s.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || s.Contains('/', StringComparison.Ordinal) ||
        s.Contains('\\', StringComparison.Ordinal) || File.Exists(s);

    private static GpuSpec Parse(JsonFields f)
    {
        foreach (var name in f.Names())
        {
            if (!Fields.Contains(name) && !Optional.Contains(name))
            {
                throw new InputException($"{f.Origin}: unknown field '{name}' (GPU fields are {string.Join(", ", Fields)}; optional: source, notes)");
            }
        }

        var sms = f.Integer("sms", 1);
        var commSms = f.Integer("commSms", 0);
        if (commSms >= sms)
        {
            throw new InputException($"{f.Origin}: field 'commSms' ({commSms}) must be less than 'sms' ({sms})");
        }

        return new GpuSpec(
            Name: f.Text("name"),
            Sms: sms,
            CommSms: commSms,
            Fp16Tflops: f.Positive("fp16Tflops"),
            Fp8Tflops: f.Positive("fp8Tflops"),
            MemoryGB: f.Positive("memoryGB"),
            MemoryBandwidthGBps: f.Positive("memoryBandwidthGBps"),
            ScaleUpBandwidthGBps: f.Positive("scaleUpBandwidthGBps"),
            ScaleOutBandwidthGBps: f.Positive("scaleOutBandwidthGBps"),
            GpusPerNode: f.Integer("gpusPerNode", 1),
            Source: f.OptionalText("source") ?? f.Origin);
    }

    private static List<GpuSpec> LoadBuiltIns()
    {
        return [.. EmbeddedData.Under("gpus/").Select(r => Parse(r.Text, "built-in " + r.Name))];
    }
}

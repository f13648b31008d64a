using InferencePlanner.Input;
using InferencePlanner.Json;

namespace InferencePlanner.Hardware;

/// <summary>
/// The built-in GPUs and the loader for a GPU file a user writes. Two catalogues are embedded at build time:
/// data/gpus (datasheet figures, for the default model) and data/gpus/seed (the seed article's three GPUs
/// exactly as its code defines them). The seed preset looks a name up in its own catalogue first.
/// A name that is not built in is read as a path.
/// </summary>
public static class GpuCatalog
{
    private static readonly string[] Required =
    [
        "name", "sms", "fp8Tflops", "memoryGB", "memoryBandwidthGBps", "scaleUpBandwidthGBps", "scaleOutBandwidthGBps", "gpusPerNode",
    ];

    private static readonly string[] Optional =
        ["commSms", "fp16Tflops", "bf16Tflops", "fp4Tflops", "efficiency", "latencyUs", "allReduceBusGBps", "allReduceHalfBandwidthMiB", "kernelProfile", "vendor", "source", "sources", "notes"];

    private static readonly Lazy<IReadOnlyList<GpuSpec>> Datasheet = new(() => Load("gpus/"));
    private static readonly Lazy<IReadOnlyList<GpuSpec>> Seed = new(() => Load("gpus-seed/"));

    /// <summary>The datasheet GPUs, in name order.</summary>
    public static IReadOnlyList<GpuSpec> BuiltIn => Datasheet.Value;

    /// <summary>The seed article's GPUs (H800, H20, H20_3e at 0.8 x datasheet FLOPS), in name order.</summary>
    public static IReadOnlyList<GpuSpec> SeedBuiltIn => Seed.Value;

    /// <summary>A datasheet GPU by name (case-insensitive), or the GPU file at that path.</summary>
    public static GpuSpec Resolve(string nameOrPath) => Resolve(nameOrPath, seed: false);

    /// <summary>
    /// A GPU by name or path. With <paramref name="seed"/>, the seed article's GPUs are looked up first, then
    /// the datasheet ones.
    /// </summary>
    public static GpuSpec Resolve(string nameOrPath, bool seed)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);

        // The article writes H20_3e, the datasheet catalogue H20-3e: each preset accepts both spellings.
        if (string.Equals(nameOrPath, "H20_3e", StringComparison.OrdinalIgnoreCase) || string.Equals(nameOrPath, "H20-3e", StringComparison.OrdinalIgnoreCase))
        {
            nameOrPath = seed ? "H20_3e" : "H20-3e";
        }

        IEnumerable<GpuSpec> known = seed ? [.. SeedBuiltIn, .. BuiltIn] : BuiltIn;
        var match = known.FirstOrDefault(g => string.Equals(g.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match;
        }

        if (Catalog.LooksLikePath(nameOrPath))
        {
            return Parse(JsonFields.ReadFile(nameOrPath));
        }

        var names = seed ? SeedBuiltIn.Select(g => g.Name + " (seed)").Concat(BuiltIn.Select(g => g.Name)) : BuiltIn.Select(g => g.Name);
        throw new InputException($"unknown GPU '{nameOrPath}'{NameSuggestions.Hint(nameOrPath, known.Select(g => g.Name))}: built-in GPUs are {string.Join(", ", names)}, or give the path of a GPU JSON file");
    }

    /// <summary>Parses a GPU from JSON text; <paramref name="origin"/> names it in errors.</summary>
    public static GpuSpec Parse(string json, string origin) => Parse(JsonFields.Parse(json, origin));

    private static GpuSpec Parse(JsonFields f)
    {
        foreach (var name in f.Names())
        {
            if (!Required.Contains(name) && !Optional.Contains(name))
            {
                throw new InputException($"{f.Origin}: unknown field '{name}' (GPU fields are {string.Join(", ", Required)}; optional: {string.Join(", ", Optional)})");
            }
        }

        var sms = f.Integer("sms", 1);
        var commSms = f.Has("commSms") ? f.Integer("commSms", 0) : 0;
        if (commSms >= sms)
        {
            throw new InputException($"{f.Origin}: field 'commSms' ({commSms}) must be less than 'sms' ({sms})");
        }

        if (f.Has("fp16Tflops") == f.Has("bf16Tflops"))
        {
            throw new InputException(f.Has("fp16Tflops")
                ? $"{f.Origin}: give one of 'bf16Tflops' and 'fp16Tflops', not both"
                : $"{f.Origin}: missing field 'bf16Tflops' (or 'fp16Tflops')");
        }

        var efficiency = f.OptionalObject("efficiency");
        var latency = f.OptionalObject("latencyUs");
        efficiency?.RejectUnknown(["compute", "memory", "scaleUp", "scaleOut", "source", "notes"], "efficiency");
        latency?.RejectUnknown(["kernel", "scaleUp", "scaleOut", "launch", "allReduceScaleOut", "allReduce", "allReduceDoubling", "source", "notes"], "latencyUs");
        f.OptionalObject("sources")?.RejectUnknown(["compute", "memory", "scaleUp", "scaleOut", "sms", "latency", "efficiency", "allReduce", "allReduceHalfBandwidth"], "sources");
        var d = GpuEfficiency.Default;
        var l = GpuLatency.Default;
        var gpusPerNode = f.Integer("gpusPerNode", 1);
        if (gpusPerNode > MaxDomain)
        {
            throw new InputException($"{f.Origin}: field 'gpusPerNode' must lie in [1, {MaxDomain}], got {gpusPerNode}");
        }

        if (sms > 100_000)
        {
            throw new InputException($"{f.Origin}: field 'sms' must lie in [1, 100000], got {sms}");
        }

        return new GpuSpec(
            Name: f.Text("name"),
            Sms: sms,
            CommSms: commSms,
            Fp16Tflops: f.Within(f.Has("bf16Tflops") ? "bf16Tflops" : "fp16Tflops", MinRate, MaxTflops, "TFLOPS"),
            Fp8Tflops: f.Within("fp8Tflops", MinRate, MaxTflops, "TFLOPS"),
            MemoryGB: f.Within("memoryGB", MinRate, MaxMemoryGB, "GB"),
            MemoryBandwidthGBps: f.Within("memoryBandwidthGBps", MinRate, MaxBandwidthGBps, "GB/s"),
            ScaleUpBandwidthGBps: f.Within("scaleUpBandwidthGBps", MinRate, MaxBandwidthGBps, "GB/s"),
            ScaleOutBandwidthGBps: f.Within("scaleOutBandwidthGBps", MinRate, MaxBandwidthGBps, "GB/s"),
            GpusPerNode: gpusPerNode,
            Source: f.OptionalText("source") ?? f.Origin)
        {
            Fp4Tflops = f.Has("fp4Tflops") ? f.Within("fp4Tflops", MinRate, MaxTflops, "TFLOPS") : null,
            KernelProfile = f.OptionalText("kernelProfile"),
            Efficiency = efficiency is { } e
                ? new GpuEfficiency(Share(e, "compute", d.Compute), Share(e, "memory", d.Memory), Share(e, "scaleUp", d.ScaleUp), Share(e, "scaleOut", d.ScaleOut))
                : d,
            EfficiencyFromFile = efficiency is not null,
            Latency = latency is { } t
                ? new GpuLatency(Micro(t, "kernel", l.KernelUs), Micro(t, "scaleUp", l.ScaleUpUs), Micro(t, "scaleOut", l.ScaleOutUs), Micro(t, "launch", l.LaunchUs), Micro(t, "allReduceScaleOut", l.AllReduceScaleOutUs), Micro(t, "allReduce", l.AllReduceUs), Micro(t, "allReduceDoubling", l.AllReduceDoublingUs))
                : l,
            AllReduceBus = AllReduceBus(f, gpusPerNode),
            AllReduceHalfBandwidthMiB = f.Has("allReduceHalfBandwidthMiB") ? f.Within("allReduceHalfBandwidthMiB", 0, MaxMemoryGB * 1024, "MiB") : 0,
        };
    }

    // A file's measured all-reduce bus bandwidths: group size (2 to the domain's GPUs) -> GB/s.
    private static AllReduceBandwidth? AllReduceBus(JsonFields f, int gpusPerNode)
    {
        if (f.OptionalObject("allReduceBusGBps") is not { } o)
        {
            return null;
        }

        var points = new List<(int, double)>();
        foreach (var key in o.Names())
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ranks) || ranks < 2 || ranks > gpusPerNode)
            {
                throw new InputException($"{o.Origin}: keys are group sizes, whole numbers from 2 to the domain's {gpusPerNode} GPUs, got '{key}'");
            }

            points.Add((ranks, o.Within(key, MinRate, MaxBandwidthGBps, "GB/s")));
        }

        return points.Count == 0 ? throw new InputException($"{o.Origin}: give at least one group size and its bus bandwidth, e.g. {{\"8\": 480}}") : new AllReduceBandwidth(points);
    }

    // Physical ranges of a GPU file's figures: far beyond any GPU made, and far above zero, so that no figure the
    // model derives from them overflows or vanishes.
    private const double MinRate = 1e-3, MaxTflops = 1e6, MaxMemoryGB = 1e6, MaxBandwidthGBps = 1e7;
    private const int MaxDomain = 100_000;

    private static double Share(JsonFields f, string name, double fallback)
    {
        if (!f.Has(name))
        {
            return fallback;
        }

        var v = f.Positive(name);
        return v <= 1 ? v : throw new InputException($"{f.Origin}: field '{name}' is a share of the peak and must lie in (0, 1], got {Reporting.Num.S(v)}");
    }

    private static double Micro(JsonFields f, string name, double fallback) => f.Has(name) ? f.Within(name, 0, 1e6, "us") : fallback;

    private static List<GpuSpec> Load(string folder) =>
        [.. EmbeddedData.Under(folder).Select(r => Parse(r.Text, "built-in " + r.Name))];
}

/// <summary>Shared rules of the catalogues.</summary>
internal static class Catalog
{
    /// <summary>Whether a name given for a built-in should be read as a file path instead.</summary>
    public static bool LooksLikePath(string s) =>
        s.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || s.Contains('/', StringComparison.Ordinal) ||
        s.Contains('\\', StringComparison.Ordinal) || File.Exists(s) || Directory.Exists(s);
}

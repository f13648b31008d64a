using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Input;
using InferencePlanner.Models;
using InferencePlanner.Planning;
using InferencePlanner.Serving;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Web;

/// <summary>
/// What the page asks: the inputs of the plan command, with the model and the GPU given by built-in name or as a pasted
/// file (never a path: the page has no access to the server's files). Names and defaults are the command line's. The
/// properties are settable so that the generated reader keeps the defaults of the fields a request leaves out.
/// </summary>
public sealed record PlanQuery
{
    /// <summary>A built-in model name; ignored when <see cref="ModelConfig"/> is given.</summary>
    public string? Model { get; set; } = ModelCatalog.DefaultName;

    /// <summary>A pasted HuggingFace config.json.</summary>
    public string? ModelConfig { get; set; }

    /// <summary>A built-in GPU name; ignored when <see cref="GpuFile"/> is given.</summary>
    public string? Gpu { get; set; } = "H200";

    /// <summary>A pasted GPU file.</summary>
    public string? GpuFile { get; set; }

    /// <summary>A built-in serving framework.</summary>
    public string? Framework { get; set; } = "sglang";

    /// <summary>agg, disagg or both.</summary>
    public string? Mode { get; set; } = "both";

    /// <summary>Input tokens per request.</summary>
    public int Isl { get; set; } = 1024;

    /// <summary>Output tokens per request.</summary>
    public int Osl { get; set; } = 1024;

    /// <summary>Share of prompt tokens in the prefix cache.</summary>
    public double CacheHit { get; set; }

    /// <summary>Target: TTFT at most (ms).</summary>
    public double? MaxTtft { get; set; }

    /// <summary>Target: TPOT at most (ms).</summary>
    public double? MaxTpot { get; set; }

    /// <summary>Target: tokens/s per user at least.</summary>
    public double? MinTps { get; set; }

    /// <summary>What the targets judge: prediction, or band (the held-out band's high end).</summary>
    public string? TargetsOn { get; set; } = "prediction";

    /// <summary>KV-cache formats searched: bf16, fp8, or both as "bf16,fp8"; null: the checkpoint's default.</summary>
    public string? KvCache { get; set; }

    /// <summary>Multi-token prediction: draft tokens per step searched beside none (0: none).</summary>
    public int Mtp { get; set; }

    /// <summary>Most bytes of a pasted file.</summary>
    public const int MaxPastedBytes = 256 * 1024;

    /// <summary>The plan request and the prices it is costed with; bad input throws <see cref="InputException"/> with the command line's message.</summary>
    public (PlanRequest Request, IReadOnlyDictionary<string, GpuPrice> Prices) ToRequest()
    {
        var model = ModelConfig is { Length: > 0 } config
            ? ModelCatalog.Parse(Limit(config, "the pasted config.json"), "pasted-config", "the pasted config.json")
            : ModelCatalog.BuiltIn.FirstOrDefault(m => string.Equals(m.Name, Model, StringComparison.OrdinalIgnoreCase))
                ?? throw new InputException($"unknown model '{Model}'{NameSuggestions.Hint(Model ?? "", ModelCatalog.BuiltIn.Select(m => m.Name))}: built-in models are {string.Join(", ", ModelCatalog.BuiltIn.Select(m => m.Name))}, or paste a config.json");
        var gpu = GpuFile is { Length: > 0 } file
            ? GpuCatalog.Parse(Limit(file, "the pasted GPU file"), "the pasted GPU file")
            : GpuCatalog.BuiltIn.FirstOrDefault(g => string.Equals(g.Name, Gpu, StringComparison.OrdinalIgnoreCase))
                ?? throw new InputException($"unknown GPU '{Gpu}'{NameSuggestions.Hint(Gpu ?? "", GpuCatalog.BuiltIn.Select(g => g.Name))}: built-in GPUs are {string.Join(", ", GpuCatalog.BuiltIn.Select(g => g.Name))}, or paste a GPU file");
        var framework = FrameworkCatalog.Find(Framework ?? "")
            ?? throw new InputException($"unknown framework '{Framework}'{NameSuggestions.Hint(Framework ?? "", FrameworkCatalog.NamesAndAliases)}: built-in frameworks are {string.Join(", ", FrameworkCatalog.BuiltIn.Select(f => f.Name))}");
        Check(Isl, "--isl", 1, 10_000_000);
        Check(Osl, "--osl", 2, 10_000_000);
        Check(CacheHit, "--cache-hit", 0, 1);
        Check(MaxTtft, "--max-ttft", 0.001, 1e9);
        Check(MaxTpot, "--max-tpot", 0.001, 1e9);
        Check(MinTps, "--min-tps", 0.001, 1e9);
        var onBand = TargetsOn switch
        {
            "band" => true,
            "prediction" or null => false,
            _ => throw new InputException($"--targets-on: '{TargetsOn}' is not prediction or band"),
        };
        var modes = Mode switch
        {
            "agg" => new[] { ServingMode.Aggregated },
            "disagg" => [ServingMode.Disaggregated],
            "both" or null => [ServingMode.Aggregated, ServingMode.Disaggregated],
            _ => throw new InputException($"--mode: '{Mode}' is not agg, disagg or both"),
        };
        // The draft count is checked where it is used (ServingModel), with the command line's message.
        var kvs = (KvCache ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => PrecisionExtensions.Parse(k, "--kv-cache")).Distinct().ToList();
        var precisions = PrecisionSet.NativeFor(model.Transformer);
        if (kvs.Count > 0)
        {
            precisions = precisions with { KvCache = kvs[0] };
        }

        var prices = GpuPrices.For([gpu.Name], []);
        var request = new PlanRequest(model, [gpu], framework, precisions, Isl, Osl, CacheHit, new PlanTargets(MaxTtft, MaxTpot, MinTps))
        {
            Modes = modes,
            KvCaches = kvs.Count > 1 ? kvs : null,
            MtpDrafts = Mtp,
            TargetsOnBand = onBand,
        };
        return (request, prices);
    }

    /// <summary>The command line that plans the same (built-in names only), for the page to show.</summary>
    public string CommandLine()
    {
        var args = new List<string> { "infer-plan plan", "--model " + (ModelConfig is { Length: > 0 } ? "config.json" : Model), "--gpu " + (GpuFile is { Length: > 0 } ? "gpu.json" : Gpu), "--framework " + Framework, "--mode " + (Mode ?? "both"),
            "--isl " + Isl.ToString(CultureInfo.InvariantCulture), "--osl " + Osl.ToString(CultureInfo.InvariantCulture) };
        if (CacheHit > 0)
        {
            args.Add("--cache-hit " + CacheHit.ToString(CultureInfo.InvariantCulture));
        }

        if (KvCache is { Length: > 0 } kv)
        {
            args.Add("--kv-cache " + kv);
        }

        if (Mtp > 0)
        {
            args.Add("--mtp " + Mtp.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var (name, value) in new[] { ("--max-ttft", MaxTtft), ("--max-tpot", MaxTpot), ("--min-tps", MinTps) })
        {
            if (value is { } v)
            {
                args.Add($"{name} {v.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        if (TargetsOn == "band")
        {
            args.Add("--targets-on band");
        }

        return string.Join(" ", args);
    }

    private static string Limit(string text, string what) =>
        text.Length <= MaxPastedBytes ? text : throw new InputException($"{what} is larger than {MaxPastedBytes / 1024} KB");

    private static void Check(double? value, string option, double min, double max)
    {
        if (value is { } v && !(v >= min && v <= max))
        {
            throw new InputException($"{option} must lie in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], got {v.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}

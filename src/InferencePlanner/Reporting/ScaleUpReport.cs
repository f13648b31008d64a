using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Planning;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Reporting;

/// <summary>
/// The seed article's announced sequel, answered with the planner: does a large scale-up domain (B200 in GB200 NVL72
/// racks) beat 8-GPU nodes, at which NIC bandwidth do the nodes catch up, and H20 against H20-3e. Each GPU is planned
/// for the article's workload (prompts of 4,383 tokens with 56.3% cache hits, 1,210 output tokens) in aggregated
/// serving over engines of up to 64 GPUs, and its frontier read at several tokens/s per user.
/// </summary>
public static class ScaleUpReport
{
    /// <summary>Tokens/s per user at which the frontiers are compared.</summary>
    public static IReadOnlyList<double> UserRates { get; } = [10, 20, 35, 50, 75];

    /// <summary>NIC bandwidths per GPU (Gb/s) tried for the 8-GPU nodes.</summary>
    public static IReadOnlyList<double> NicGbps { get; } = [400, 800, 1600, 3200, 6400];

    /// <summary>Largest engine planned: wide expert parallelism over eight 8-GPU nodes, or within one rack.</summary>
    public const int MaxEngineGpus = 64;

    /// <summary>A GPU as compared here: its label and its figures.</summary>
    /// <param name="Label">How the table names it.</param>
    /// <param name="Gpu">The GPU, with its scale-up domain and NIC.</param>
    public sealed record Variant(string Label, GpuSpec Gpu);

    /// <summary>B200 in 8-GPU HGX nodes with a NIC of <paramref name="gbps"/> Gb/s per GPU.</summary>
    public static GpuSpec HgxB200(double gbps) => GpuCatalog.Resolve("B200") with { Name = $"B200-{gbps:0}G", ScaleOutBandwidthGBps = gbps / 8 };

    /// <summary>The same B200 chip in a 72-GPU NVLink domain: the domain's effect alone, without GB200's higher clocks.</summary>
    public static GpuSpec B200InRack() => GpuCatalog.Resolve("B200") with { Name = "B200-NVL72", GpusPerNode = 72 };

    /// <summary>The GPUs compared.</summary>
    public static IReadOnlyList<Variant> Variants() =>
    [
        new("GB200 NVL72 (72-GPU NVLink domain)", GpuCatalog.Resolve("GB200")),
        new("B200 chip in a 72-GPU NVLink domain", B200InRack()),
        new("HGX B200, 400 Gb/s NIC per GPU", HgxB200(400)),
        new("HGX B200, 800 Gb/s NIC per GPU", HgxB200(800)),
        new("HGX B200, 1,600 Gb/s NIC per GPU", HgxB200(1600)),
        new("HGX H200", GpuCatalog.Resolve("H200")),
        new("HGX H800", GpuCatalog.Resolve("H800")),
        new("H20", GpuCatalog.Resolve("H20")),
        new("H20-3e", GpuCatalog.Resolve("H20-3e")),
    ];

    /// <summary>The most output tokens/s per GPU on a frontier at <paramref name="userRate"/> tokens/s per user or more (0 when none reaches it).</summary>
    public static double AtUserRate(IReadOnlyList<PlanPoint> frontier, double userRate)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        return frontier.Where(p => p.Result.TokensPerSecondPerUser >= userRate).Select(p => p.Result.OutputTokensPerSecondPerGpu).DefaultIfEmpty(0).Max();
    }

    /// <summary>The frontier of one GPU for the article's workload.</summary>
    public static IReadOnlyList<PlanPoint> Frontier(ModelSpec model, GpuSpec gpu, ServingFramework framework, PrecisionSet precisions)
    {
        ArgumentNullException.ThrowIfNull(model);
        var request = new PlanRequest(model, [gpu], framework, precisions, DecodeScenario.Article.SeqLen, DecodeScenario.Article.DecodeLen, PrefillScenario.Article.CacheHit,
            new PlanTargets(null, null, null))
        {
            Modes = [ServingMode.Aggregated],
            MaxEngineGpus = MaxEngineGpus,
            ChunkScales = [1], // the framework's default budget: the question is the domain, not the budget
            TwoBatchOverlap = false, // overlap hides the NIC that the domain removes; the section compares the domains bare
        };
        return ServingPlanner.Plan(request).Frontier;
    }

    /// <summary>The section's tables.</summary>
    public static IReadOnlyList<Table> Tables(ModelSpec model, ServingFramework framework, PrecisionSet precisions)
    {
        ArgumentNullException.ThrowIfNull(model);
        var frontiers = Variants().Select(v => (v.Label, Frontier: Frontier(model, v.Gpu, framework, precisions))).ToList();
        string[] rateColumns = [.. UserRates.Select(u => $"tokens/s per GPU at {u:0} tokens/s per user")];
        var byGpu = new Table("scale-up", $"Scale-up domain against 8-GPU nodes: the best output tokens/s per GPU at each tokens/s per user ({model.Name}, {framework.DisplayName}, aggregated, engines of up to {MaxEngineGpus} GPUs)",
            ["GPU", .. rateColumns, "frontier points"],
            [.. frontiers.Select(f => (IReadOnlyList<Cell>)[f.Label, .. UserRates.Select(u => Cell.Of(AtUserRate(f.Frontier, u), 0)), Cell.Of(f.Frontier.Count, 0)])],
            [
                $"Workload: the article's, prompts of {DecodeScenario.Article.SeqLen} tokens with {PrefillScenario.Article.CacheHit * 100:0.#}% cache hits and {DecodeScenario.Article.DecodeLen} output tokens; each GPU planned by `plan` (aggregated serving), its frontier read at each rate (0: no deployment reaches it).",
                "HGX B200 variants differ only in the NIC per GPU; the B200 chip in a 72-GPU domain differs from HGX B200 only in the domain, so the two isolate what the rack adds; GB200 also runs at higher clocks.",
            ]);

        var rack = frontiers[1].Frontier;
        var hgx = frontiers[2].Frontier;
        var byNic = NicGbps.ToDictionary(g => g, g => frontiers.FirstOrDefault(f => f.Label.StartsWith("HGX B200", StringComparison.Ordinal) && f.Frontier.Count > 0
            && f.Frontier[0].Gpu.ScaleOutBandwidthGBps == g / 8).Frontier ?? Frontier(model, HgxB200(g), framework, precisions));
        var gain = new Table("scale-up-gain", "Where the larger domain helps: B200 in a 72-GPU domain over HGX B200 with 400 Gb/s NICs",
            ["tokens/s per user", "72-GPU domain (tokens/s per GPU)", "HGX B200, 400 Gb/s (tokens/s per GPU)", "gain", "NIC per GPU at which HGX B200 reaches 95% of the rack"],
            [.. UserRates.Select(u =>
            {
                double a = AtUserRate(rack, u), b = AtUserRate(hgx, u);
                return (IReadOnlyList<Cell>)[Cell.Of(u, 0), Cell.Of(a, 0), Cell.Of(b, 0), b > 0 ? Cell.Of(a / b, 2) : "-", CatchUp(byNic, u, a)];
            })],
            [
                "Gain: the rack's tokens/s per GPU over the nodes'. The catch-up NIC is the least of "
                    + string.Join(", ", NicGbps.Select(g => $"{g:0}")) + " Gb/s per GPU at which 8-GPU nodes reach 95% of the rack at that rate.",
                "The larger domain helps where the best layouts spread experts over more than 8 GPUs and their all-to-all would cross the NIC; where a node's 8 GPUs already hold the best layout, it does not.",
            ]);

        var h20 = frontiers.First(f => f.Label == "H20").Frontier;
        var h20e = frontiers.First(f => f.Label == "H20-3e").Frontier;
        var h20Table = new Table("h20", "H20 against H20-3e (141 GB of HBM3e instead of 96 GB of HBM3)",
            ["tokens/s per user", "H20 (tokens/s per GPU)", "H20-3e (tokens/s per GPU)", "H20-3e over H20"],
            [.. UserRates.Select(u =>
            {
                double a = AtUserRate(h20, u), b = AtUserRate(h20e, u);
                return (IReadOnlyList<Cell>)[Cell.Of(u, 0), Cell.Of(a, 0), Cell.Of(b, 0), a > 0 ? Cell.Of(b / a, 2) : "-"];
            })],
            ["How much RDMA bandwidth hides decode communication: the decode tables above give, per batch, the NIC GB/s per GPU at which two-batch overlap hides dispatch and combine entirely."]);
        return [byGpu, gain, h20Table];
    }

    // The least NIC of NicGbps at which HGX B200 reaches 95% of `target` tokens/s per GPU at `userRate`.
    private static Cell CatchUp(Dictionary<double, IReadOnlyList<PlanPoint>> byNic, double userRate, double target)
    {
        if (target <= 0)
        {
            return "-";
        }

        foreach (var gbps in NicGbps)
        {
            if (AtUserRate(byNic[gbps], userRate) >= 0.95 * target)
            {
                return $"{gbps:0} Gb/s";
            }
        }

        return $"more than {NicGbps[^1]:0} Gb/s";
    }
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Planning;

/// <summary>What a deployment must achieve for each user: any of a TTFT ceiling, a TPOT ceiling and a floor on tokens/s per user.</summary>
/// <param name="MaxTtftMs">Time to first token, at most (ms); null: no limit.</param>
/// <param name="MaxTpotMs">Time per output token, at most (ms); null: no limit.</param>
/// <param name="MinTokensPerSecondPerUser">Tokens/s each user sees while its output streams, at least; null: no limit.</param>
public sealed record PlanTargets(double? MaxTtftMs, double? MaxTpotMs, double? MinTokensPerSecondPerUser)
{
    /// <summary>
    /// Whether a steady state meets every target, its TTFT and TPOT taken times the margins (1: the prediction itself;
    /// a band's high end: the 90th percentile of measured over predicted), and its tokens/s per user over the TPOT's.
    /// </summary>
    public bool Met(in ServingResult r, double ttftMargin = 1, double tpotMargin = 1) =>
        (MaxTtftMs is not { } ttft || r.Ttft.Total * ttftMargin <= ttft)
        && (MaxTpotMs is not { } tpot || r.Tpot.Total * tpotMargin <= tpot)
        && (MinTokensPerSecondPerUser is not { } tps || r.TokensPerSecondPerUser / tpotMargin >= tps);

    /// <summary>
    /// How far a steady state is from the targets: the largest ratio by which it misses one (1 when it meets them all),
    /// so that the closest of several misses can be named.
    /// </summary>
    public double Shortfall(in ServingResult r, double ttftMargin = 1, double tpotMargin = 1)
    {
        var worst = 1.0;
        if (MaxTtftMs is { } ttft)
        {
            worst = Math.Max(worst, r.Ttft.Total * ttftMargin / ttft);
        }

        if (MaxTpotMs is { } tpot)
        {
            worst = Math.Max(worst, r.Tpot.Total * tpotMargin / tpot);
        }

        if (MinTokensPerSecondPerUser is { } tps)
        {
            worst = Math.Max(worst, tps * tpotMargin / r.TokensPerSecondPerUser);
        }

        return worst;
    }

    /// <summary>The targets as typed.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (MaxTtftMs is { } ttft)
        {
            parts.Add($"TTFT <= {ttft:0.###} ms");
        }

        if (MaxTpotMs is { } tpot)
        {
            parts.Add($"TPOT <= {tpot:0.###} ms");
        }

        if (MinTokensPerSecondPerUser is { } tps)
        {
            parts.Add($"tokens/s per user >= {tps:0.###}");
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>A load the deployment must carry: requests per second, or output tokens per second.</summary>
/// <param name="RequestsPerSecond">Requests completed per second; null when the load is given in tokens.</param>
/// <param name="OutputTokensPerSecond">Output tokens per second; null when the load is given in requests.</param>
public sealed record PlanLoad(double? RequestsPerSecond, double? OutputTokensPerSecond)
{
    /// <summary>The load in requests per second for outputs of <paramref name="osl"/> tokens.</summary>
    public double Requests(int osl) => RequestsPerSecond ?? OutputTokensPerSecond!.Value / osl;
}

/// <summary>
/// A planning question: a model, the GPU types to compare, a serving framework, the workload, the targets, and
/// optionally a GPU budget and a load. The planner searches the deployments of each GPU type under it.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Gpus">GPU types; several are compared.</param>
/// <param name="Framework">The serving framework.</param>
/// <param name="Precisions">Weight, KV-cache and exchange formats.</param>
/// <param name="Isl">Input tokens per request.</param>
/// <param name="Osl">Output tokens per request.</param>
/// <param name="CacheHit">Share of prompt tokens found in the prefix cache.</param>
/// <param name="Targets">Per-user targets.</param>
public sealed record PlanRequest(
    ModelSpec Model, IReadOnlyList<GpuSpec> Gpus, ServingFramework Framework, PrecisionSet Precisions, int Isl, int Osl, double CacheHit, PlanTargets Targets)
{
    /// <summary>Serving modes searched.</summary>
    public IReadOnlyList<ServingMode> Modes { get; init; } = [ServingMode.Aggregated, ServingMode.Disaggregated];

    /// <summary>GPUs the deployment may use at most (all of it, with every replica the load needs); null: no budget.</summary>
    public int? GpuBudget { get; init; }

    /// <summary>A load to carry; null: the best deployment per GPU, one replica.</summary>
    public PlanLoad? Load { get; init; }

    /// <summary>Most GPUs of one engine (a worker): by default two scale-up domains of 8, or one NVL72 rack.</summary>
    public int? MaxEngineGpus { get; init; }

    /// <summary>
    /// Heterogeneous disaggregation: prefill workers on this GPU type and decode workers on <see cref="DecodeGpu"/>
    /// (both or neither); the plan then searches disaggregated serving over that pair instead of <see cref="Gpus"/>.
    /// </summary>
    public GpuSpec? PrefillGpu { get; init; }

    /// <summary>Heterogeneous disaggregation: the decode workers' GPU type.</summary>
    public GpuSpec? DecodeGpu { get; init; }

    /// <summary>Whether prefill and decode run on different GPU types.</summary>
    public bool Heterogeneous => PrefillGpu is not null && DecodeGpu is not null;

    /// <summary>
    /// Step budgets searched, as multiples of the framework's default on each GPU (prompt tokens per step and data-parallel
    /// group): the engines of aggregated serving and the prefill workers of disaggregated serving run each.
    /// </summary>
    public IReadOnlyList<double> ChunkScales { get; init; } = DefaultChunkScales;

    /// <summary>The step budgets searched unless asked otherwise: half, once and twice the framework's default.</summary>
    public static IReadOnlyList<double> DefaultChunkScales { get; } = [0.5, 1, 2];

    /// <summary>
    /// Two-batch overlap of decode steps: true searches it beside none, false leaves it off, null searches it for MoE
    /// models under a framework whose file names a flag for it (<see cref="ServingFramework.TwoBatchOverlapFlag"/>).
    /// </summary>
    public bool? TwoBatchOverlap { get; init; }

    /// <summary>Whether the search tries two-batch overlap as well as one batch.</summary>
    public bool SearchesTwoBatchOverlap => TwoBatchOverlap ?? (Model.Transformer.FeedForward.IsMoe && Framework.TwoBatchOverlapFlag is not null);

    /// <summary>Multi-token prediction: draft tokens per step searched besides none (0: none only). Needs a model with an MTP module.</summary>
    public int MtpDrafts { get; init; }

    /// <summary>
    /// Whether the targets are judged at the high end of each prediction's held-out band (<see cref="ErrorBand"/>: TTFT
    /// and TPOT times the 90th percentile of measured over predicted on the bundled rows of the framework, mode and
    /// decode TP; tokens/s per user over the TPOT's), so that nine in ten comparable measured runs met each target;
    /// false: judged at the prediction. A framework and mode without bundled rows are judged at the prediction.
    /// </summary>
    public bool TargetsOnBand { get; init; }

    /// <summary>
    /// What a deployment's predicted TTFT and TPOT are multiplied by before the targets judge them: 1 and 1, or with
    /// <see cref="TargetsOnBand"/> the high ends of the band of its mode and decode attention TP.
    /// </summary>
    public (double Ttft, double Tpot) Margins(ServingMode mode, int decodeTp) =>
        TargetsOnBand && ErrorBand.For(Framework.Name, mode, decodeTp) is { } b ? (b.TtftHigh, b.TpotHigh) : (1, 1);

    /// <summary>KV-cache formats searched (a serving flag, not a checkpoint); null: the request's precisions' only.</summary>
    public IReadOnlyList<Units.Precision>? KvCaches { get; init; }

    /// <summary>Throws <see cref="InputException"/> naming the problem when the request cannot be planned.</summary>
    public void Validate()
    {
        if ((PrefillGpu is null) != (DecodeGpu is null))
        {
            throw new InputException("heterogeneous disaggregation needs both --prefill-gpu and --decode-gpu");
        }

        if (Heterogeneous && !Modes.SequenceEqual([ServingMode.Disaggregated]))
        {
            throw new InputException("--prefill-gpu and --decode-gpu plan disaggregated serving only (--mode disagg)");
        }

        if (Gpus.Count == 0 && !Heterogeneous)
        {
            throw new InputException("plan needs at least one GPU type (--gpu)");
        }

        if (Modes.Count == 0)
        {
            throw new InputException("plan needs at least one serving mode (--mode agg, disagg or both)");
        }

        var workload = new ServingWorkload(Isl, Osl, 1, CacheHit);
        workload.Validate();
        ServingModel.RequireDecode(workload);
        Model.RequireContext(Isl, Osl);

        if (ChunkScales.Count == 0 || ChunkScales.Any(c => !(c > 0 && c <= 64)))
        {
            throw new InputException("the chunk budgets searched must be positive multiples of the framework's default, at most 64");
        }

        if ((KvCaches is { } kv && (kv.Count == 0 || kv.Any(k => k is not (Units.Precision.Bf16 or Units.Precision.Fp8))))
            || Precisions.KvCache is not (Units.Precision.Bf16 or Units.Precision.Fp8))
        {
            throw new InputException("--kv-cache searches bf16 and fp8");
        }

        ServingModel.RequireMtp(Model, MtpDrafts);
        if (GpuBudget is < 1)
        {
            throw new InputException($"--gpu-budget must be at least 1, got {GpuBudget}");
        }

        if (Load is { } load && !((load.RequestsPerSecond ?? load.OutputTokensPerSecond) is > 0 and < 1e12))
        {
            throw new InputException("the load (--load-rps or --load-tps) must be a positive rate");
        }
    }
}

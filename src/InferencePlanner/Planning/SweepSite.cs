using InferencePlanner.Hardware;
using InferencePlanner.Serving;

namespace InferencePlanner.Planning;

/// <summary>
/// Where a sweep's candidates come from: everything a <see cref="PlanPoint"/> holds but the concurrency and the steady
/// state. One per sweep, so that a candidate becomes an object only when it is kept.
/// </summary>
/// <param name="Gpu">The GPU type (of the decode workers, when disaggregated).</param>
/// <param name="Mode">Aggregated or disaggregated.</param>
/// <param name="Engine">The aggregated engine; null when disaggregated.</param>
/// <param name="Disaggregated">The prefill and decode workers; null when aggregated.</param>
internal sealed record SweepSite(GpuSpec Gpu, ServingMode Mode, EngineLayout? Engine, DisaggregatedLayout? Disaggregated)
{
    public int ChunkTokens { get; init; }

    public Units.Precision KvCache { get; init; }

    public int MtpDrafts { get; init; }

    public bool TwoBatchOverlap { get; init; }

    public GpuSpec? PrefillGpu { get; init; }

    /// <summary>What the targets multiply this site's predicted TTFT by (<see cref="PlanRequest.Margins"/>).</summary>
    public double TtftMargin { get; init; } = 1;

    /// <summary>What the targets multiply this site's predicted TPOT by.</summary>
    public double TpotMargin { get; init; } = 1;

    /// <summary>
    /// The site's place in the search's order, the same on every run: of two candidates with equal figures the earlier
    /// is kept, so that a plan does not depend on how threads were scheduled.
    /// </summary>
    public long Order { get; init; }

    /// <summary>The frontier a candidate of this site joins: one per GPU type (or pair) and mode.</summary>
    public (string Gpus, ServingMode Mode) FrontierKey => _key ??= (PlanPoint.GpuTextOf(Gpu, PrefillGpu), Mode);

    private (string, ServingMode)? _key;

    public PlanPoint Point(int concurrency, in ServingResult result) => new(Gpu, Mode, Engine, Disaggregated, concurrency, result)
    {
        ChunkTokens = ChunkTokens,
        KvCache = KvCache,
        MtpDrafts = MtpDrafts,
        TwoBatchOverlap = TwoBatchOverlap,
        PrefillGpu = PrefillGpu,
    };
}

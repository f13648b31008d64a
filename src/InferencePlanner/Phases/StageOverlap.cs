using InferencePlanner.Units;

namespace InferencePlanner.Phases;

/// <summary>The overlap of one MoE layer under two micro-batches.</summary>
/// <param name="Attention">Stage 1 compute: attention (projections, core, all-reduce), slowed by the SMs communication takes.</param>
/// <param name="Combine">Stage 1 communication: combine.</param>
/// <param name="Experts">Stage 2 compute: router, shared and routed experts.</param>
/// <param name="Dispatch">Stage 2 communication: dispatch.</param>
/// <param name="RequiredNicGBps">NIC bandwidth per GPU (achieved) at which both stages' communication hides entirely; 0 when nothing crosses the NIC.</param>
public readonly record struct StageOverlap(Duration Attention, Duration Combine, Duration Experts, Duration Dispatch, double RequiredNicGBps)
{
    /// <summary>Communication left exposed per MoE layer, both micro-batches together.</summary>
    public Duration Exposed { get; init; }

    /// <summary>Whether the stages form decode's five-stage pipeline (any compute hides any communication) rather than prefill's fixed pairs.</summary>
    public bool Pipelined { get; init; }

    /// <summary>Stage 1 slack: attention - combine.</summary>
    public Duration AttentionSlack => Attention - Combine;

    /// <summary>Stage 2 slack: experts - dispatch.</summary>
    public Duration ExpertSlack => Experts - Dispatch;
}

using InferencePlanner.Pricing;
using InferencePlanner.Units;

namespace InferencePlanner.Phases;

/// <summary>Time of one pass through all layers, by component and by what bounds it.</summary>
public readonly record struct Breakdown(
    Duration AttentionProjections,
    Duration AttentionCore,
    Duration AttentionAllReduce,
    Duration DenseMlp,
    Duration MlpAllReduce,
    Duration Router,
    Duration SharedExperts,
    Duration RoutedExperts,
    Duration Dispatch,
    Duration Combine,
    Duration Glue,
    Duration Head,
    Duration ComputeBound,
    Duration MemoryBound,
    Duration ScaleUpBound,
    Duration ScaleOutBound,
    Duration LatencyBound,
    Duration Overlapped)
{
    /// <summary>
    /// Two-micro-batch overlap, per MoE layer: stage 1 runs one micro-batch's attention while the other's combine
    /// is in flight, stage 2 its experts while the other's dispatch is; slack = compute - communication (negative:
    /// exposed communication).
    /// </summary>
    public StageOverlap Stages { get; init; }

    /// <summary>Multi-token prediction: the draft passes of one step, in sequence after the model's pass; zero without it.</summary>
    public Duration Draft { get; init; }

    /// <summary>Everything in sequence: no communication hidden.</summary>
    public Duration Total => AttentionProjections + AttentionCore + AttentionAllReduce + DenseMlp + MlpAllReduce + Router + SharedExperts + RoutedExperts + Dispatch + Combine + Glue + Head + Draft;

    /// <summary>
    /// Communication left exposed under two-micro-batch overlap, over all layers; null when the batch runs as one
    /// (then all communication counts).
    /// </summary>
    public Duration? ExposedCommunication { get; init; }

    /// <summary>Whether the batch runs as two overlapped micro-batches (<see cref="Overlapped"/> is their time) rather than as one.</summary>
    public bool TwoBatch => ExposedCommunication is not null;

    /// <summary>
    /// The bound that accounts for the most time. Under overlap only the communication left exposed counts
    /// against the network, shared between NVLink and NIC as their times are.
    /// </summary>
    public Bound Limit
    {
        get
        {
            double up = ScaleUpBound.Seconds, outward = ScaleOutBound.Seconds;
            if (ExposedCommunication is { } exposed && up + outward > 0)
            {
                var share = Math.Min(1, exposed.Seconds / (up + outward));
                (up, outward) = (up * share, outward * share);
            }

            var best = Bound.Compute;
            var time = ComputeBound;
            if (MemoryBound > time) { best = Bound.Memory; time = MemoryBound; }
            if (up > time.Seconds) { best = Bound.ScaleUp; time = Duration.FromSeconds(up); }
            if (outward > time.Seconds) { best = Bound.ScaleOut; time = Duration.FromSeconds(outward); }
            if (LatencyBound > time) { best = Bound.Latency; }
            return best;
        }
    }
}

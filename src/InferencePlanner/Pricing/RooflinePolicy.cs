using InferencePlanner.Hardware;
using InferencePlanner.Kernels;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Pricing;

/// <summary>What sets an operator's time.</summary>
public enum Bound
{
    /// <summary>Tensor-core throughput.</summary>
    Compute,

    /// <summary>HBM bandwidth.</summary>
    Memory,

    /// <summary>Scale-up (NVLink) bandwidth.</summary>
    ScaleUp,

    /// <summary>Scale-out (NIC) bandwidth.</summary>
    ScaleOut,

    /// <summary>Fixed latency.</summary>
    Latency,
}

/// <summary>An operator's time and what sets it.</summary>
/// <param name="Time">The time.</param>
/// <param name="Bound">The term that dominates it.</param>
public readonly record struct Priced(Duration Time, Bound Bound);

/// <summary>
/// The default model's pricing, one roofline per operator: time = max(FLOPs / achievable compute, HBM bytes /
/// achievable bandwidth). Where the GPU's kernel profile has measurements near the operator's shape, the
/// achievable share of the roofline comes from them (interpolated by shape; prefill attention by prompt
/// length); otherwise from the GPU's named efficiency factors plus each kernel's prologue and tail. Every
/// kernel an operator stands for also pays the launch gap between dependent kernels, which benchmarks that time
/// the kernel alone leave out. A collective takes the
/// slower of its NVLink and NIC parts plus that network's start-up latency, at the bandwidths DeepEP reaches
/// where there is data. Decimal units throughout (GB/s = 10^9 B/s).
/// </summary>
public sealed class RooflinePolicy
{
    private readonly GpuSpec _gpu;
    private readonly FlopRate _fp4, _mxfp4, _fp8, _bf16;
    private readonly Bandwidth _memory;
    private readonly Duration _kernel, _launch, _scaleUpLatency, _scaleOutLatency, _allReduceScaleOutLatency;
    private readonly double _gemmShare, _streamingShare, _attentionMemory, _attentionCompute, _gqaDecodeMemory, _weightOnlyShare;
    private readonly Bandwidth _allReduce, _nic, _nvlinkDispatch, _nvlinkCombine;

    /// <summary>Rates for <paramref name="gpu"/> at one end of the kernel data's band, resolved once.</summary>
    public RooflinePolicy(GpuSpec gpu, Band band = Band.Mid)
        : this(gpu, new KernelModel(gpu, band))
    {
    }

    /// <summary>Rates for <paramref name="gpu"/> with the given kernel efficiencies.</summary>
    public RooflinePolicy(GpuSpec gpu, KernelModel kernels)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(kernels);
        _gpu = gpu;
        Kernels = kernels;
        _fp4 = gpu.PeakRate(gpu.ComputePrecision(Precision.Fp4));
        _mxfp4 = gpu.PeakRate(gpu.ComputePrecision(Precision.Mxfp4));
        _fp8 = gpu.PeakRate(Precision.Fp8);
        _bf16 = gpu.PeakRate(Precision.Bf16);
        _memory = Bandwidth.FromGBps(gpu.MemoryBandwidthGBps);
        _gemmShare = Kernels.DefaultGemmShare;
        _streamingShare = Kernels.StreamingShare;
        (_attentionMemory, _attentionCompute) = Kernels.AttentionShares();
        _gqaDecodeMemory = Kernels.GqaDecodeMemoryShare();
        _weightOnlyShare = Kernels.WeightOnlyComputeShare;
        _allReduce = Bandwidth.FromGBps(gpu.ScaleUpShareGBps);
        _nic = Bandwidth.FromGBps(gpu.ScaleOutBandwidthGBps * gpu.Efficiency.ScaleOut);
        _nvlinkDispatch = Bandwidth.FromGBps(Kernels.NvLinkGBps(combine: false));
        _nvlinkCombine = Bandwidth.FromGBps(Kernels.NvLinkGBps(combine: true));
        _kernel = Duration.FromMilliseconds(gpu.Latency.KernelUs / 1000);
        _launch = Duration.FromMilliseconds(gpu.Latency.LaunchUs / 1000);
        _scaleUpLatency = Duration.FromMilliseconds(gpu.Latency.ScaleUpUs / 1000);
        _scaleOutLatency = Duration.FromMilliseconds(gpu.Latency.ScaleOutUs / 1000);
        _allReduceScaleOutLatency = Duration.FromMilliseconds(gpu.Latency.AllReduceScaleOutUs / 1000);
    }

    /// <summary>The GPU this policy prices for.</summary>
    public GpuSpec Gpu => _gpu;

    /// <summary>The kernel efficiencies in use.</summary>
    public KernelModel Kernels { get; }

    /// <summary>The peak compute rate for a precision (FP4 without FP4 units runs at the BF16 rate, weight-only).</summary>
    public FlopRate Peak(Precision p) => p switch
    {
        Precision.Fp4 => _fp4,
        Precision.Mxfp4 => _mxfp4,
        Precision.Fp8 => _fp8,
        _ => _bf16,
    };

    /// <summary>The time of one operator and what bounds it; an empty operator costs nothing.</summary>
    public Priced Price(in Operator op)
    {
        if (op.IsEmpty)
        {
            return new Priced(Duration.Zero, Bound.Latency);
        }

        return op.Kind switch
        {
            OperatorKind.AllReduce => op.ScaleOutBytes.Value > 0
                ? Link(op.ScaleUpBytes / _allReduce, op.ScaleOutBytes / _nic, _allReduceScaleOutLatency)
                : ScaleUpAllReduce(op),
            OperatorKind.Dispatch or OperatorKind.Combine => Exchange(op),
            OperatorKind.Attention => Roof(op.Flops / (Peak(op.Precision) * AttentionComputeShare(op)), op.MemoryBytes / (_memory * (op.GroupedQuery ? _gqaDecodeMemory : _attentionMemory)),
                Fixed(op, measured: Kernels.Profile is not null)),
            OperatorKind.Glue => Roof(Duration.Zero, op.MemoryBytes / (_memory * _streamingShare), Fixed(op, measured: false)),
            _ => Gemm(op),
        };
    }

    // Prefill attention runs causal kernels whose efficiency grows with the prompt; decode runs the MLA decode kernel.
    private double AttentionComputeShare(in Operator op) =>
        op.Causal && Kernels.PrefillAttentionShare(op.K) is { } share ? share : _attentionCompute;

    // A GEMM's roofline at its measured (or named) share; weights the tensor cores cannot take as they are (FP4 without
    // FP4 units, INT4) are dequantised on the SMs first, which caps its compute share (KernelModel.WeightOnlyComputeShare).
    private Priced Gemm(in Operator op)
    {
        var measured = Kernels.GemmShare(op.Table, op.M, op.N, op.K, bf16: op.Precision == Precision.Bf16);
        var share = measured ?? _gemmShare;
        var computeShare = _gpu.WeightOnly(op.Precision) ? Math.Min(share, _weightOnlyShare) : share;
        return Roof(op.Flops / Peak(op.Precision) / computeShare, op.MemoryBytes / _memory / share, Fixed(op, measured: measured is not null));
    }

    // Fixed time of an operator's kernels: each pays its launch; one whose efficiency is not measured also its prologue and tail.
    private Duration Fixed(in Operator op, bool measured) => (measured ? _launch : _launch + _kernel) * op.Launches;

    private Priced Exchange(in Operator op)
    {
        var combine = op.Kind == OperatorKind.Combine;
        if (op.LowLatency && Kernels.LowLatencyGBps(op.Groups, combine, _gpu.Latency.ScaleOutUs) is { } gbps)
        {
            return Link(Duration.Zero, op.ScaleOutBytes / Bandwidth.FromGBps(gbps), _scaleOutLatency);
        }

        if (op.ScaleOutBytes.Value > 0 && Kernels.HasRdmaData)
        {
            // Measured internode kernels report their RDMA bandwidth with the NVLink forwarding inside the time.
            return Link(Duration.Zero, op.ScaleOutBytes / Bandwidth.FromGBps(Kernels.RdmaGBps(op.Groups, combine)), _scaleOutLatency);
        }

        var up = op.ScaleUpBytes / (combine ? _nvlinkCombine : _nvlinkDispatch);
        var outward = op.ScaleOutBytes.Value > 0 ? op.ScaleOutBytes / Bandwidth.FromGBps(Kernels.RdmaGBps(op.Groups, combine)) : Duration.Zero;
        return Link(up, outward, op.ScaleOutBytes.Value > 0 ? _scaleOutLatency : _scaleUpLatency);
    }

    // An all-reduce inside one scale-up domain, as the serving frameworks' own kernels run it (vLLM's custom all-reduce,
    // TensorRT-LLM's ONESHOT and TWOSHOT strategies), whichever of two algorithms is the faster:
    // - one shot: every rank reads the whole message from each of the others and reduces it itself, (n - 1) x the message
    //   over its link (n/2 x the ring's 2(n - 1)/n bytes the work carries), at the link's share, after one start-up;
    // - two shots: a reduce-scatter, then an all-gather, the ring's bytes at the bus bandwidth measured for the group
    //   (NCCL's large-message figure) less the pipeline's fill and drain at the message's size (half the figure at the
    //   GPU file's allReduceHalfBandwidthMiB), after two start-ups, one per phase.
    // One shot wins small messages, two shots large ones. On NVLink 5 the two cross at 1.5 MB among eight GPUs and 4.2 MB
    // among four; vLLM's tuning on B300 measured the crossover of FlashInfer's one-shot and two-shot kernels at 2 MB and
    // 4 MB (PR #37756, _FI_ALLREDUCE_ONE_SHOT_MAX_SIZES_MB). Decode messages (tokens x hidden x 2 bytes) sit below it,
    // so every token in the batch costs each rank (n - 1) x its hidden state over its link: a per-request cost that grows
    // with TP, as the measured TPOT's does (validate --serving, serving-concurrency-cost).
    private Priced ScaleUpAllReduce(in Operator op)
    {
        var ranks = op.Groups;
        var startUp = AllReduceLatency(ranks);
        var oneShot = Link(op.ScaleUpBytes * (ranks / 2) / _allReduce, Duration.Zero, startUp);
        var twoShots = Link(op.ScaleUpBytes / AllReduceBandwidth(ranks, Work.RooflineWork.AllReduceMessageBytes(op, ranks)), Duration.Zero, startUp + startUp);
        return oneShot.Time <= twoShots.Time ? oneShot : twoShots;
    }

    // A large all-reduce inside one scale-up domain at the bus bandwidth measured for its group, less the pipeline's fill
    // and drain at its message's size (GpuSpec.AllReduceBusGBps, AllReduceHalfBandwidthMiB).
    private Bandwidth AllReduceBandwidth(double ranks, double messageBytes) => Bandwidth.FromGBps(_gpu.AllReduceBusGBps(ranks, messageBytes));

    // A small all-reduce's start-up inside one scale-up domain grows with its group (GpuLatency.ScaleUpAllReduceUs).
    private Duration AllReduceLatency(double ranks) => Duration.FromMilliseconds(_gpu.Latency.ScaleUpAllReduceUs(ranks) / 1000);

    private static Priced Link(Duration up, Duration outward, Duration latency)
    {
        var link = up >= outward ? up : outward;
        return new Priced(link + latency, latency > link ? Bound.Latency : up >= outward ? Bound.ScaleUp : Bound.ScaleOut);
    }

    private static Priced Roof(Duration compute, Duration memory, Duration latency)
    {
        var roof = compute >= memory ? compute : memory;
        return new Priced(roof + latency, latency > roof ? Bound.Latency : compute >= memory ? Bound.Compute : Bound.Memory);
    }
}

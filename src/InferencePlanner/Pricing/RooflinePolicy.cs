using InferencePlanner.Hardware;
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
/// The default model's pricing, one roofline per operator: time = max(FLOPs / achievable compute,
/// HBM bytes / achievable bandwidth) + a kernel latency; a collective takes the slower of its NVLink and NIC
/// parts plus that network's start-up latency. Achievable = peak x the GPU's named efficiency factors; decimal
/// units throughout (GB/s = 10^9 B/s).
/// </summary>
public sealed class RooflinePolicy
{
    private readonly GpuSpec _gpu;
    private readonly FlopRate _fp4, _fp8, _bf16;
    private readonly Bandwidth _memory, _scaleUp, _scaleOut;
    private readonly Duration _kernel, _scaleUpLatency, _scaleOutLatency;

    /// <summary>Rates for <paramref name="gpu"/>, resolved once.</summary>
    public RooflinePolicy(GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        _gpu = gpu;
        var e = gpu.Efficiency;
        _fp4 = gpu.PeakRate(gpu.ComputePrecision(Precision.Fp4)) * e.Compute;
        _fp8 = gpu.PeakRate(Precision.Fp8) * e.Compute;
        _bf16 = gpu.PeakRate(Precision.Bf16) * e.Compute;
        _memory = Bandwidth.FromGBps(gpu.MemoryBandwidthGBps) * e.Memory;
        _scaleUp = Bandwidth.FromGBps(gpu.ScaleUpBandwidthGBps) * e.ScaleUp;
        _scaleOut = Bandwidth.FromGBps(gpu.ScaleOutBandwidthGBps) * e.ScaleOut;
        _kernel = Duration.FromMilliseconds(gpu.Latency.KernelUs / 1000);
        _scaleUpLatency = Duration.FromMilliseconds(gpu.Latency.ScaleUpUs / 1000);
        _scaleOutLatency = Duration.FromMilliseconds(gpu.Latency.ScaleOutUs / 1000);
    }

    /// <summary>The GPU this policy prices for.</summary>
    public GpuSpec Gpu => _gpu;

    /// <summary>The achievable compute rate for a precision (FP4 without FP4 units runs at the FP8 rate).</summary>
    public FlopRate Compute(Precision p) => p switch
    {
        Precision.Fp4 => _fp4,
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

        if (op.ScaleUpBytes.Value > 0 || op.ScaleOutBytes.Value > 0)
        {
            var up = op.ScaleUpBytes / _scaleUp;
            var outward = op.ScaleOutBytes / _scaleOut;
            var latency = op.ScaleOutBytes.Value > 0 ? _scaleOutLatency : _scaleUpLatency;
            var link = up >= outward ? up : outward;
            return new Priced(link + latency, latency > link ? Bound.Latency : up >= outward ? Bound.ScaleUp : Bound.ScaleOut);
        }

        var compute = op.Flops / Compute(op.Precision);
        var memory = op.MemoryBytes / _memory;
        var roof = compute >= memory ? compute : memory;
        return new Priced(roof + _kernel, _kernel > roof ? Bound.Latency : compute >= memory ? Bound.Compute : Bound.Memory);
    }
}

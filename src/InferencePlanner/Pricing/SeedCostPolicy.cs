using InferencePlanner.Hardware;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Pricing;

/// <summary>
/// The seed article's pricing: every peak figure times one discount; FLOPS further times the share of SMs
/// left after those reserved for communication (prefill only); each operator costs exactly one of its
/// FLOPs, its HBM bytes or its link bytes, whichever its kind uses. Weights are never read (a quirk the
/// project's own model fixes).
/// </summary>
public sealed class SeedCostPolicy
{
    /// <summary>Creates the policy with the preset's options.</summary>
    public SeedCostPolicy(SeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The options this policy prices with.</summary>
    public SeedOptions Options { get; }

    /// <summary>
    /// Rates for <paramref name="gpu"/> in <paramref name="phase"/>. Unit conventions are the article's and are
    /// kept deliberately: link figures in "GB/s" are read as 1000 MiB/s (it divides bytes by 2^20, then by
    /// GB/s, and calls the result ms); HBM figures in "GB/s" as GiB/s (bytes / 2^30 / GB/s x 1000 ms).
    /// </summary>
    public EffectiveRates Rates(GpuSpec gpu, Phase phase)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        var d = Options.Discount;
        var commSms = phase == Phase.Prefill ? gpu.CommSms : 0;
        var smShare = (gpu.Sms - commSms) / (double)gpu.Sms;
        return new EffectiveRates(
            Fp8: FlopRate.FromTeraFlops(gpu.Fp8Tflops * d * smShare),
            Bf16: FlopRate.FromTeraFlops(gpu.Fp16Tflops * d * smShare),
            Memory: Bandwidth.FromGiBps(gpu.MemoryBandwidthGBps * d),
            ScaleUp: Bandwidth.FromMiBPerMillisecond(gpu.ScaleUpBandwidthGBps * d),
            ScaleOut: Bandwidth.FromMiBPerMillisecond(gpu.ScaleOutBandwidthGBps * d),
            ExpertEfficiency: phase == Phase.Decode ? Options.DecodeExpertEfficiency : 1.0);
    }

    /// <summary>The time of one operator at the given rates.</summary>
    public static Duration Price(in Operator op, in EffectiveRates rates) => op.Kind switch
    {
        OperatorKind.Gemm or OperatorKind.Attention => op.Flops / rates.Compute(op.Precision),
        OperatorKind.ExpertGemm => op.Flops / rates.Compute(op.Precision) / rates.ExpertEfficiency,
        OperatorKind.KvRead => op.MemoryBytes / rates.Memory,
        _ => op.ScaleUpBytes.Value > 0 ? op.ScaleUpBytes / rates.ScaleUp : op.ScaleOutBytes / rates.ScaleOut,
    };
}

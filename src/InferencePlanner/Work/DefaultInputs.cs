using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>Numeric formats of the default model's data: all inputs.</summary>
/// <param name="Weights">Attention, dense-MLP and embedding weights; GEMMs run at this precision.</param>
/// <param name="ExpertWeights">Expert weights; expert GEMMs run at this precision (FP4 runs as FP8 on GPUs without FP4 units).</param>
/// <param name="KvCache">KV cache storage.</param>
/// <param name="Attention">Attention-core compute (scores and score x V).</param>
/// <param name="Dispatch">Payload sent to the experts.</param>
/// <param name="Combine">Payload sent back from the experts.</param>
public sealed record PrecisionSet(Precision Weights, Precision ExpertWeights, Precision KvCache, Precision Attention, Precision Dispatch, Precision Combine)
{
    /// <summary>
    /// The checkpoint's own precisions: FP8 weights for configs that declare FP8 quantisation (DeepSeek-V3/R1,
    /// Kimi-K2), FP4 experts for GPT-OSS (MXFP4), BF16 otherwise; BF16 KV cache and attention; FP8 dispatch,
    /// BF16 combine (DeepEP's formats).
    /// </summary>
    public static PrecisionSet NativeFor(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var weights = t.Family is "deepseek_v3" or "kimi_k2" ? Precision.Fp8 : Precision.Bf16;
        var experts = t.Family == "gpt_oss" ? Precision.Fp4 : weights;
        return new PrecisionSet(weights, experts, Precision.Bf16, Precision.Bf16, Precision.Fp8, Precision.Bf16);
    }
}

/// <summary>
/// A deployment for the default model: <see cref="Gpus"/> GPUs serving one model instance; attention runs as
/// data-parallel groups of <see cref="Tp"/> tensor-parallel GPUs; experts are spread over all GPUs (EP = GPUs)
/// with <see cref="RedundantExperts"/> extra copies; dense models shard their MLP with the attention TP.
/// </summary>
/// <param name="Gpus">GPUs in the deployment.</param>
/// <param name="Tp">Tensor parallelism of attention (and of dense MLPs).</param>
/// <param name="RedundantExperts">Extra expert copies for load balancing (EPLB).</param>
/// <param name="Imbalance">Expert load imbalance without redundancy: tokens on the busiest GPU over the mean (at least 1).</param>
public sealed record DefaultLayout(int Gpus, int Tp, int RedundantExperts, double Imbalance)
{
    /// <summary>Data-parallel attention groups.</summary>
    public int Dp => Gpus / Tp;

    /// <summary>
    /// The layout for <paramref name="gpus"/> GPUs with the fewest redundant experts (at least <paramref name="minRedundant"/>) that
    /// spread the experts evenly.
    /// </summary>
    public static DefaultLayout For(TransformerSpec t, int gpus, int tp, int? redundant, double imbalance, int minRedundant = 0)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (gpus <= 0)
        {
            throw new InputException($"the deployment needs at least one GPU, got {gpus}");
        }

        var r = redundant ?? 0;
        if (redundant is null && t.FeedForward.IsMoe)
        {
            r = minRedundant;
            while ((t.FeedForward.RoutedExperts + r) % gpus != 0)
            {
                r++;
            }
        }

        return new DefaultLayout(gpus, tp, r, imbalance);
    }

    /// <summary>Checks the layout against the model and GPU; throws <see cref="InputException"/> naming the problem.</summary>
    public void Validate(TransformerSpec t, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        if (Tp <= 0 || Gpus % Tp != 0)
        {
            throw new InputException($"TP {Tp} does not divide the deployment's {Gpus} GPUs");
        }

        if (t.Attention.Heads % Tp != 0)
        {
            throw new InputException($"TP {Tp} does not divide the model's {t.Attention.Heads} attention heads");
        }

        if (Tp > gpu.GpusPerNode || gpu.GpusPerNode % Tp != 0)
        {
            throw new InputException($"TP {Tp} does not fit the scale-up domain of {gpu.Name} ({gpu.GpusPerNode} GPUs)");
        }

        if (!(Imbalance >= 1) || !double.IsFinite(Imbalance))
        {
            throw new InputException($"--imbalance is the busiest GPU's load over the mean and must be at least 1, got {Reporting.Num.S(Imbalance)}");
        }

        if (RedundantExperts < 0)
        {
            throw new InputException($"--redundant must not be negative, got {RedundantExperts}");
        }

        var f = t.FeedForward;
        if (f.IsMoe && Gpus > 1 && Gpus > f.RoutedExperts + RedundantExperts)
        {
            throw new InputException($"EP {Gpus} exceeds the {f.RoutedExperts + RedundantExperts} expert copies: some GPUs would hold no expert");
        }
    }

    /// <summary>Expert copies per GPU (routed with redundant copies); fractional when they do not spread evenly.</summary>
    public double ExpertsPerGpu(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.FeedForward.IsMoe ? (t.FeedForward.RoutedExperts + RedundantExperts) / (double)Gpus : 0;
    }

    /// <summary>
    /// Imbalance after redundancy. Assumption: redundant copies take load off the hottest experts in proportion
    /// to the slots they add, so the excess over 1 shrinks by routed / (routed + redundant) slots.
    /// </summary>
    public double EffectiveImbalance(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var routed = t.FeedForward.RoutedExperts;
        return routed == 0 ? 1 : 1 + (Imbalance - 1) * routed / (routed + (double)RedundantExperts);
    }
}

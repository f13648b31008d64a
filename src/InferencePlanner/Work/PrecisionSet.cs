using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>Numeric formats of the default model's data: all inputs.</summary>
/// <param name="Weights">Attention, dense-MLP and embedding weights; GEMMs run at this precision.</param>
/// <param name="ExpertWeights">Expert weights; expert GEMMs run at this precision (FP4 runs at BF16, weight-only, on GPUs without FP4 units).</param>
/// <param name="KvCache">KV cache storage.</param>
/// <param name="Attention">Attention-core compute (scores and score x V).</param>
/// <param name="Dispatch">Payload sent to the experts.</param>
/// <param name="Combine">Payload sent back from the experts.</param>
public sealed record PrecisionSet(Precision Weights, Precision ExpertWeights, Precision KvCache, Precision Attention, Precision Dispatch, Precision Combine)
{
    /// <summary>
    /// The checkpoint's own precisions, as its quantization_config declares them (FP8 weights for DeepSeek-V3/R1/V3.2
    /// and Kimi-K2, MXFP4 experts for GPT-OSS, INT4 routed experts for Kimi-K2.5), BF16 where none is declared; BF16
    /// KV cache and attention; FP8 dispatch, BF16 combine (DeepEP's formats).
    /// </summary>
    public static PrecisionSet NativeFor(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var weights = t.CheckpointWeights ?? (t.Family is "deepseek_v3" or "kimi_k2" ? Precision.Fp8 : Precision.Bf16);
        var experts = t.CheckpointExperts ?? (t.Family == "gpt_oss" ? Precision.Mxfp4 : weights);
        return new PrecisionSet(weights, experts, Precision.Bf16, Precision.Bf16, Precision.Fp8, Precision.Bf16);
    }

    /// <summary>
    /// The shared experts' format: the experts', except that weight-only INT4 applies to the routed experts only
    /// (Kimi-K2.5's checkpoint keeps its shared experts in BF16), so they take the other weights' format.
    /// </summary>
    public Precision SharedExpertWeights => ExpertWeights == Precision.Int4 ? Weights : ExpertWeights;
}

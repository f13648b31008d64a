using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>FLOPs of one MLA block, split into the projection GEMMs (run in FP8) and the attention proper (BF16).</summary>
/// <param name="Gemm">Projection GEMMs: wq_a, wq_b (or their absorbed forms), wkv_a, and the K/V up-projections.</param>
/// <param name="Attention">Scores, score x V and the output projection.</param>
public readonly record struct MlaFlops(Flops Gemm, Flops Attention)
{
    /// <summary>Both parts.</summary>
    public Flops Total => Gemm + Attention;
}

/// <summary>
/// Multi-head latent attention work, in the seed's two forms. <c>q</c> query tokens attend over <c>kv</c>
/// key/value tokens; a share <c>cacheHit</c> of the KV tokens is already cached, so only the rest pass
/// through the KV down-projection (wkv_a).
/// </summary>
public static class MlaWork
{
    /// <summary>
    /// Standard (non-absorbed) MLA, the seed's <c>mla_flops</c>: keys and values are up-projected from the
    /// latent for every KV token, then attention runs as MHA over all heads.
    /// </summary>
    public static MlaFlops Standard(MlaMoeArchitecture m, double q, double kv, double cacheHit)
    {
        ArgumentNullException.ThrowIfNull(m);
        double qkHead = m.QkNopeHeadDim + m.QkRopeHeadDim;
        var gemm = QueryProjection(m, q, m.Heads * qkHead)
            + kv * m.Dim * (double)(m.KvLoraRank + m.QkRopeHeadDim) * (1 - cacheHit) // wkv_a
            + kv * m.KvLoraRank * (double)m.Heads * m.QkNopeHeadDim // w_uk
            + kv * m.KvLoraRank * (double)m.Heads * m.VHeadDim; // w_uv
        var attention = m.Heads * (q * m.QkRopeHeadDim * kv + q * m.QkNopeHeadDim * kv + q * kv * m.VHeadDim)
            + q * m.Heads * (double)m.VHeadDim * m.Dim; // wo
        return new MlaFlops(Flops.FromMacs(gemm), Flops.FromMacs(attention));
    }

    /// <summary>
    /// Absorbed MLA, the seed's <c>mla_matabsob_flops</c>: W_UK folded into the query projection and W_UV into
    /// the output projection as materialised matrices, so attention runs as MQA over the latent.
    /// </summary>
    public static MlaFlops Absorbed(MlaMoeArchitecture m, double q, double kv, double cacheHit)
    {
        ArgumentNullException.ThrowIfNull(m);
        var gemm = QueryProjection(m, q, m.Heads * (double)m.QkRopeHeadDim) // wq_a and the rotary part of wq_b
            + q * m.Heads * (double)QueryInputDim(m) * m.KvLoraRank // q_absorb
            + kv * m.Dim * (double)(m.KvLoraRank + m.QkRopeHeadDim) * (1 - cacheHit); // wkv_a
        var attention = m.Heads * (q * m.QkRopeHeadDim * kv + q * m.KvLoraRank * kv + q * kv * m.KvLoraRank)
            + q * m.Heads * (double)m.KvLoraRank * m.Dim; // o_absorb
        return new MlaFlops(Flops.FromMacs(gemm), Flops.FromMacs(attention));
    }

    /// <summary>
    /// Parameters of a standard MLA block with Linear biases and the two RMSNorm weights, as ptflops counts
    /// the seed's MLA module (187.17M for DeepSeek-V3).
    /// </summary>
    public static double StandardParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        double qkHead = m.QkNopeHeadDim + m.QkRopeHeadDim;
        var query = m.QLoraRank > 0
            ? Linear(m.Dim, m.QLoraRank) + m.QLoraRank /* q_norm */ + Linear(m.QLoraRank, m.Heads * qkHead)
            : Linear(m.Dim, m.Heads * qkHead);
        return query
            + Linear(m.Dim, m.KvLoraRank + m.QkRopeHeadDim) // wkv_a
            + m.KvLoraRank // kv_norm
            + Linear(m.KvLoraRank, m.Heads * (double)(m.QkNopeHeadDim + m.VHeadDim)) // wkv_b
            + Linear(m.Heads * (double)m.VHeadDim, m.Dim); // wo
    }

    /// <summary>Parameters of the absorbed MLA block with materialised matrices, no biases (598.15M for DeepSeek-V3).</summary>
    public static double AbsorbedParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var query = m.QLoraRank > 0 ? m.Dim * (double)m.QLoraRank : 0;
        return query
            + QueryInputDim(m) * (double)m.Heads * m.QkRopeHeadDim // wq_b rotary part
            + m.Heads * (double)QueryInputDim(m) * m.KvLoraRank // q_absorb
            + m.Dim * (double)(m.KvLoraRank + m.QkRopeHeadDim) // wkv_a
            + m.Heads * (double)m.KvLoraRank * m.Dim; // o_absorb
    }

    /// <summary>A Linear layer's weights and bias.</summary>
    internal static double Linear(double inFeatures, double outFeatures) => inFeatures * outFeatures + outFeatures;

    // Input width of the query up-projection: the compressed query, or the hidden state when queries are not compressed.
    private static int QueryInputDim(MlaMoeArchitecture m) => m.QLoraRank > 0 ? m.QLoraRank : m.Dim;

    // MACs of wq_a then the up-projection to `outWidth`, or a direct projection when there is no q_lora_rank.
    private static double QueryProjection(MlaMoeArchitecture m, double q, double outWidth) =>
        m.QLoraRank > 0
            ? q * m.Dim * (double)m.QLoraRank + q * m.QLoraRank * outWidth
            : q * m.Dim * outWidth;
}

using System.Collections.Frozen;

namespace InferencePlanner.Pricing;

/// <summary>
/// The seed article's model as a set of named choices. The defaults are the article's; each quirk (A-D in
/// the seed's restatement) is one option here, so switching it off is a deliberate, visible change.
/// </summary>
public sealed record SeedOptions
{
    /// <summary>One efficiency discount applied to every peak figure (FLOPS, HBM, NVLink, NIC). The article: 0.85.</summary>
    public double Discount { get; init; } = 0.85;

    /// <summary>
    /// Extra efficiency of the expert grouped GEMMs at decode batch sizes, after DeepGEMM's small-M results.
    /// The article: 0.7 (expert time is divided by it). Prefill experts run at the plain discount.
    /// </summary>
    public double DecodeExpertEfficiency { get; init; } = 0.7;

    /// <summary>Share of HBM usable for weights and KV cache; the rest is taken by the framework and activations. The article: 0.9.</summary>
    public double MemoryUtilization { get; init; } = 0.9;

    /// <summary>
    /// Quirk A: prefill MLA computes queries for every prompt token (q = kv = seq_len), discounting only the
    /// KV down-projection by the cache-hit rate. The article's printed numbers come from this, although its
    /// printed code passes q = seq_len x (1 - hit). False: queries only for the tokens that missed the cache.
    /// </summary>
    public bool PrefillQueriesForAllTokens { get; init; } = true;

    /// <summary>Quirk B: prefill dense MLP runs over all seq_len tokens, not only the cache misses.</summary>
    public bool PrefillDenseMlpForAllTokens { get; init; } = true;

    /// <summary>
    /// Quirk C: the decode tensor-parallel all-reduce moves seq_len x dim x 2 bytes (as in prefill). False:
    /// batch x dim x 2 bytes, what one decode step actually reduces.
    /// </summary>
    public bool DecodeAllReduceOverSeqLen { get; init; } = true;

    /// <summary>
    /// Quirk D: decode MLA tensor parallelism is chosen per row by comparing TP1 with TP4; when TP4 is faster
    /// the row uses this TP (the article: 4) ...
    /// </summary>
    public int DecodeTpWhenFaster { get; init; } = 4;

    /// <summary>... except for the GPUs named here (the article: TP8 for H20_3e), matched case-insensitively.</summary>
    public FrozenDictionary<string, int> DecodeTpWhenFasterByGpu { get; init; } =
        new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["H20_3e"] = 8 }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Use the article's rounded constants for DeepSeek-V3's memory budget (2.91 GB of other weights; 598.14M,
    /// 187.17M MLA and 44.05M expert parameters) when the model has DeepSeek-V3's shapes. Other models of the
    /// family get the same quantities computed from their configuration.
    /// </summary>
    public bool RoundedDeepSeekV3Constants { get; init; } = true;

    /// <summary>Fewest redundant experts an EP strategy carries for load balancing (the article: at least 16).</summary>
    public int MinRedundantExperts { get; init; } = 16;

    /// <summary>Nodes a token's experts may span in prefill: DeepSeek-V3 routes each token to at most topk_group (4) nodes.</summary>
    public bool DispatchNodesFromTopkGroup { get; init; } = true;

    /// <summary>The TP a decode row uses when TP4 beats TP1 on <paramref name="gpuName"/>.</summary>
    public int TpWhenFasterFor(string gpuName) =>
        DecodeTpWhenFasterByGpu.TryGetValue(gpuName, out var tp) ? tp : DecodeTpWhenFaster;
}

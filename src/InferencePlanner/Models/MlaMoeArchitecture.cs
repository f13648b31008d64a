namespace InferencePlanner.Models;

/// <summary>
/// The shapes of a DeepSeek-V2/V3-family model: multi-head latent attention (MLA), dense MLP in the first
/// layers, then Mixture-of-Experts layers with shared and routed experts. Field names follow the seed's
/// ModelArgs; the HuggingFace key each comes from is named.
/// </summary>
/// <param name="Dim">Hidden size (hidden_size).</param>
/// <param name="InterDim">Dense MLP intermediate size (intermediate_size).</param>
/// <param name="MoeInterDim">Expert intermediate size (moe_intermediate_size).</param>
/// <param name="Layers">Transformer layers (num_hidden_layers).</param>
/// <param name="DenseLayers">Leading layers with a dense MLP (first_k_dense_replace); the rest are MoE.</param>
/// <param name="Heads">Attention heads (num_attention_heads).</param>
/// <param name="RoutedExperts">Routed experts per MoE layer (n_routed_experts).</param>
/// <param name="SharedExperts">Shared experts per MoE layer (n_shared_experts).</param>
/// <param name="ActivatedExperts">Routed experts per token, top-k (num_experts_per_tok).</param>
/// <param name="ExpertGroups">Expert groups for group-limited routing (n_group).</param>
/// <param name="LimitedGroups">Groups a token may route to (topk_group): with one group per node, the most nodes a token reaches.</param>
/// <param name="QLoraRank">Query compression rank (q_lora_rank); 0 when queries are not compressed (DeepSeek-V2-Lite).</param>
/// <param name="KvLoraRank">Latent KV rank (kv_lora_rank).</param>
/// <param name="QkNopeHeadDim">Per-head query/key dimension without rotary embedding (qk_nope_head_dim).</param>
/// <param name="QkRopeHeadDim">Per-head rotary query/key dimension, shared key across heads (qk_rope_head_dim).</param>
/// <param name="VHeadDim">Per-head value dimension (v_head_dim).</param>
/// <param name="Vocab">Vocabulary size (vocab_size).</param>
public sealed record MlaMoeArchitecture(
    int Dim,
    int InterDim,
    int MoeInterDim,
    int Layers,
    int DenseLayers,
    int Heads,
    int RoutedExperts,
    int SharedExperts,
    int ActivatedExperts,
    int ExpertGroups,
    int LimitedGroups,
    int QLoraRank,
    int KvLoraRank,
    int QkNopeHeadDim,
    int QkRopeHeadDim,
    int VHeadDim,
    int Vocab)
{
    /// <summary>Layers with Mixture-of-Experts feed-forward.</summary>
    public int MoeLayers => Layers - DenseLayers;

    /// <summary>Elements cached per token per layer: the latent KV plus the shared rotary key.</summary>
    public int KvElementsPerTokenPerLayer => KvLoraRank + QkRopeHeadDim;

    /// <summary>
    /// DeepSeek-V3 as the seed's ModelArgs defines it (inference/model.py of DeepSeek-V3 with the 671B
    /// configuration). The seed's rounded memory constants apply to this architecture only.
    /// </summary>
    public static MlaMoeArchitecture DeepSeekV3 { get; } = new(
        Dim: 7168, InterDim: 18432, MoeInterDim: 2048, Layers: 61, DenseLayers: 3, Heads: 128,
        RoutedExperts: 256, SharedExperts: 1, ActivatedExperts: 8, ExpertGroups: 8, LimitedGroups: 4,
        QLoraRank: 1536, KvLoraRank: 512, QkNopeHeadDim: 128, QkRopeHeadDim: 64, VHeadDim: 128, Vocab: 129280);
}

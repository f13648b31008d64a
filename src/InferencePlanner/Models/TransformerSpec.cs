namespace InferencePlanner.Models;

/// <summary>How attention keys and values are shaped.</summary>
public enum AttentionKind
{
    /// <summary>Multi-head attention: one key/value head per query head.</summary>
    Mha,

    /// <summary>Grouped-query attention: query heads share fewer key/value heads.</summary>
    Gqa,

    /// <summary>Multi-query attention: one key/value head for all query heads.</summary>
    Mqa,

    /// <summary>Multi-head latent attention (DeepSeek): a compressed latent KV plus a shared rotary key.</summary>
    Mla,
}

/// <summary>
/// Linear attention as Gated DeltaNet runs it (Qwen3-Next, Qwen3.5): each request keeps a fixed-size recurrent state
/// per layer (a key-by-value matrix per value head, and the last few inputs of a short convolution) in place of a KV
/// cache. Decode updates the state once per token; prefill runs the chunked form.
/// </summary>
/// <param name="Layers">Layers with linear attention; the model's other layers keep full attention.</param>
/// <param name="KeyHeads">Query/key heads (linear_num_key_heads).</param>
/// <param name="ValueHeads">Value heads (linear_num_value_heads); each keeps one state matrix.</param>
/// <param name="KeyHeadDim">Query/key head dimension (linear_key_head_dim).</param>
/// <param name="ValueHeadDim">Value head dimension (linear_value_head_dim).</param>
/// <param name="ConvKernel">Width of the causal convolution over q, k and v (linear_conv_kernel_dim).</param>
public sealed record LinearAttentionSpec(int Layers, int KeyHeads, int ValueHeads, int KeyHeadDim, int ValueHeadDim, int ConvKernel)
{
    /// <summary>Channels of the short convolution: queries, keys and values.</summary>
    public int ConvChannels => 2 * KeyHeads * KeyHeadDim + ValueHeads * ValueHeadDim;

    /// <summary>Output width of the input projection: queries, keys, values and the output gate z.</summary>
    public int ProjectionWidth => 2 * KeyHeads * KeyHeadDim + 2 * ValueHeads * ValueHeadDim;

    /// <summary>Elements of one layer's recurrent state per request: a key-by-value matrix per value head.</summary>
    public double StateElements => (double)ValueHeads * KeyHeadDim * ValueHeadDim;
}

/// <summary>
/// Sparse attention as DeepSeek Sparse Attention runs it (DeepSeek-V3.2, GLM-5): a lightning indexer scores every
/// context token with a few small FP8 heads over its own key cache, and the attention reads only the top-k tokens it
/// selects.
/// </summary>
/// <param name="TopK">Tokens each query attends to (index_topk).</param>
/// <param name="IndexerHeads">Indexer query heads (index_n_heads).</param>
/// <param name="IndexerHeadDim">Indexer head dimension (index_head_dim); one indexer key of this size is cached per token and layer.</param>
public sealed record SparseAttentionSpec(int TopK, int IndexerHeads, int IndexerHeadDim);

/// <summary>The attention of every layer. MLA fields are zero for other kinds.</summary>
/// <param name="Kind">Attention kind.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (1 for MQA; equal to <paramref name="Heads"/> for MHA and MLA).</param>
/// <param name="HeadDim">Query/key head dimension (for MLA: nope + rope).</param>
/// <param name="VHeadDim">Value head dimension.</param>
/// <param name="QkvBias">Whether the q, k, v projections have biases (Qwen2, GPT-OSS).</param>
/// <param name="OutputBias">Whether the output projection has a bias (GPT-OSS).</param>
/// <param name="QkNorm">Whether queries and keys are RMS-normalised per head (Qwen3).</param>
/// <param name="Sinks">Whether each head has a learned attention-sink logit (GPT-OSS).</param>
/// <param name="QLoraRank">MLA query compression rank; 0 when queries are projected directly.</param>
/// <param name="KvLoraRank">MLA latent KV rank.</param>
/// <param name="QkNopeHeadDim">MLA per-head query/key dimension without rotary embedding.</param>
/// <param name="QkRopeHeadDim">MLA rotary dimension (one rotary key shared by all heads).</param>
/// <param name="SlidingWindow">Window of the sliding-window layers, tokens; 0 when no layer uses one.</param>
/// <param name="SlidingLayers">How many layers attend through the window; the others attend to the whole context.</param>
/// <param name="OutputGate">Whether the query projection also produces a sigmoid gate on the attention output (Qwen3-Next, Qwen3.5).</param>
/// <param name="QkNormPerLayer">Whether the query/key norms span all heads of the layer rather than one head (MiniMax-M2).</param>
/// <param name="Linear">Linear-attention layers (Gated DeltaNet) interleaved with the full-attention ones; null when every layer attends fully.</param>
/// <param name="Sparse">Sparse attention (DeepSeek Sparse Attention) in the full-attention layers; null when they attend to the whole context.</param>
public sealed record AttentionSpec(
    AttentionKind Kind,
    int Heads,
    int KvHeads,
    int HeadDim,
    int VHeadDim,
    bool QkvBias = false,
    bool OutputBias = false,
    bool QkNorm = false,
    bool Sinks = false,
    int QLoraRank = 0,
    int KvLoraRank = 0,
    int QkNopeHeadDim = 0,
    int QkRopeHeadDim = 0,
    int SlidingWindow = 0,
    int SlidingLayers = 0,
    bool OutputGate = false,
    bool QkNormPerLayer = false,
    LinearAttentionSpec? Linear = null,
    SparseAttentionSpec? Sparse = null)
{
    /// <summary>Layers with linear attention (0 without).</summary>
    public int LinearLayers => Linear?.Layers ?? 0;

    /// <summary>KV-cache elements per token per layer: the latent plus rotary key for MLA, keys and values of every KV head otherwise.</summary>
    public int KvElementsPerToken => Kind == AttentionKind.Mla ? KvLoraRank + QkRopeHeadDim : KvHeads * (HeadDim + VHeadDim);
}

/// <summary>The feed-forward blocks: dense MLPs in some layers, Mixture-of-Experts in the others.</summary>
/// <param name="DenseIntermediate">Intermediate size of the dense MLP (0 when no layer has one).</param>
/// <param name="DenseLayers">Layers with a dense MLP.</param>
/// <param name="MoeLayers">Layers with experts.</param>
/// <param name="RoutedExperts">Routed experts per MoE layer.</param>
/// <param name="SharedExperts">Shared experts per MoE layer (each of <paramref name="ExpertIntermediate"/> width).</param>
/// <param name="TopK">Routed experts per token.</param>
/// <param name="ExpertIntermediate">Intermediate size of one expert.</param>
/// <param name="Groups">Expert groups for group-limited routing (1 when routing is unrestricted).</param>
/// <param name="LimitedGroups">Groups a token may route to; with one group per node, the most nodes a token reaches.</param>
/// <param name="ExpertBias">Whether expert projections have biases (GPT-OSS).</param>
/// <param name="RouterBias">Whether the router has a bias (GPT-OSS linear bias, DeepSeek-V3 score-correction bias).</param>
/// <param name="MlpBias">Whether the dense MLP projections have biases.</param>
/// <param name="SharedIntermediate">Intermediate size of a shared expert when it differs from a routed one's (Qwen's shared_expert_intermediate_size); 0: the same.</param>
/// <param name="SharedGate">Whether a sigmoid gate (hidden to 1) scales the shared expert's output (Qwen3-Next, Qwen3.5).</param>
public sealed record FeedForwardSpec(
    int DenseIntermediate,
    int DenseLayers,
    int MoeLayers,
    int RoutedExperts = 0,
    int SharedExperts = 0,
    int TopK = 0,
    int ExpertIntermediate = 0,
    int Groups = 1,
    int LimitedGroups = 1,
    bool ExpertBias = false,
    bool RouterBias = false,
    bool MlpBias = false,
    int SharedIntermediate = 0,
    bool SharedGate = false)
{
    /// <summary>Intermediate size of one shared expert.</summary>
    public int SharedWidth => SharedIntermediate > 0 ? SharedIntermediate : ExpertIntermediate;

    /// <summary>Whether any layer has experts.</summary>
    public bool IsMoe => MoeLayers > 0 && RoutedExperts > 0;
}

/// <summary>
/// A decoder-only transformer as the default model sees it: any attention kind, dense or MoE feed-forward,
/// read from a HuggingFace config.json.
/// </summary>
/// <param name="Family">The config's model_type.</param>
/// <param name="Hidden">Hidden size.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="Vocab">Vocabulary size.</param>
/// <param name="TiedEmbeddings">Whether the output head shares the embedding matrix.</param>
/// <param name="Attention">Attention of every layer.</param>
/// <param name="FeedForward">Feed-forward blocks.</param>
/// <param name="MtpLayers">Multi-token-prediction modules shipped beside the model (DeepSeek-V3: 1); not counted in its parameters.</param>
public sealed record TransformerSpec(
    string Family,
    int Hidden,
    int Layers,
    int Vocab,
    bool TiedEmbeddings,
    AttentionSpec Attention,
    FeedForwardSpec FeedForward,
    int MtpLayers = 0)
{
    /// <summary>The checkpoint's weight format as its quantization_config declares it (null: BF16, none declared).</summary>
    public Units.Precision? CheckpointWeights { get; init; }

    /// <summary>The checkpoint's routed-expert weight format, where it differs from the other weights' (MXFP4, INT4 experts).</summary>
    public Units.Precision? CheckpointExperts { get; init; }

    /// <summary>
    /// Tokens of context the model's positions cover (its config's max_position_embeddings, with any RoPE scaling already
    /// counted in it); null where the config states none.
    /// </summary>
    public int? ContextWindow { get; init; }

    /// <summary>Layers that attend to the whole context (or, with sparse attention, to the indexer's top-k of it).</summary>
    public int FullAttentionLayers => Layers - Attention.SlidingLayers - Attention.LinearLayers;
}

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
    int SlidingLayers = 0)
{
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
    bool MlpBias = false)
{
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
    int MtpLayers = 0);

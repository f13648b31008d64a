using InferencePlanner.Models;

namespace InferencePlanner.Work;

/// <summary>
/// Parameter counts of a <see cref="TransformerSpec"/> as the checkpoint stores them (biases and norms
/// included where the architecture has them). The default model reads these bytes.
/// </summary>
public static class TransformerParameters
{
    /// <summary>
    /// Parameters of one full-attention layer's attention, norms included (a sliding-window layer has the same; with
    /// sparse attention, the lightning indexer too).
    /// </summary>
    public static double Attention(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var a = t.Attention;
        double h = t.Hidden;
        if (a.Kind == AttentionKind.Mla)
        {
            double qk = a.QkNopeHeadDim + a.QkRopeHeadDim;
            var query = a.QLoraRank > 0 ? h * a.QLoraRank + a.QLoraRank + a.QLoraRank * (double)a.Heads * qk : h * a.Heads * qk;
            return query
                + h * (a.KvLoraRank + a.QkRopeHeadDim) + a.KvLoraRank // wkv_a and its norm
                + a.KvLoraRank * (double)a.Heads * (a.QkNopeHeadDim + a.VHeadDim) // wkv_b
                + a.Heads * (double)a.VHeadDim * h // wo
                + Indexer(t)
                + 2 * h; // input and post-attention norms
        }

        // An output gate doubles the query projection: each head's output is scaled by a sigmoid of its own projection.
        double q = a.Heads * (double)a.HeadDim, kv = a.KvHeads * (double)(a.HeadDim + a.VHeadDim), o = a.Heads * (double)a.VHeadDim;
        var qOut = a.OutputGate ? 2 * q : q;
        var qkNorm = !a.QkNorm ? 0 : a.QkNormPerLayer ? (a.Heads + a.KvHeads) * (double)a.HeadDim : 2.0 * a.HeadDim;
        return h * (qOut + kv) + (a.QkvBias ? q + kv : 0)
            + o * h + (a.OutputBias ? h : 0)
            + qkNorm
            + (a.Sinks ? a.Heads : 0)
            + Indexer(t)
            + 2 * h;
    }

    /// <summary>
    /// Parameters of the lightning indexer of one sparse-attention layer (DeepSeek-V3.2's DSA): its query projection
    /// from the compressed query (or the hidden state), its key projection and key norm (a LayerNorm), and the
    /// per-head weights of its scores. Zero without sparse attention.
    /// </summary>
    public static double Indexer(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Attention.Sparse is not { } s)
        {
            return 0;
        }

        double h = t.Hidden, qIn = t.Attention.QLoraRank > 0 ? t.Attention.QLoraRank : h;
        return qIn * s.IndexerHeads * s.IndexerHeadDim + h * s.IndexerHeadDim + 2.0 * s.IndexerHeadDim + h * s.IndexerHeads;
    }

    /// <summary>
    /// Parameters of one linear-attention layer (Gated DeltaNet), norms included: the input projection to queries,
    /// keys, values and the output gate, the projection to each value head's decay and write strength, the depthwise
    /// convolution, the per-head decay and bias, the gated norm, the output projection. Zero without linear layers.
    /// </summary>
    public static double LinearAttention(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Attention.Linear is not { } l)
        {
            return 0;
        }

        double h = t.Hidden, values = (double)l.ValueHeads * l.ValueHeadDim;
        return h * l.ProjectionWidth // in_proj_qkvz
            + h * 2.0 * l.ValueHeads // in_proj_ba
            + (double)l.ConvChannels * l.ConvKernel // conv1d
            + 2.0 * l.ValueHeads // A_log, dt_bias
            + l.ValueHeadDim // gated RMSNorm
            + values * h // out_proj
            + 2 * h; // input and post-attention norms
    }

    /// <summary>Attention parameters of every layer: full (and sliding-window) attention plus linear attention.</summary>
    public static double AllAttention(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return (t.Layers - t.Attention.LinearLayers) * Attention(t) + t.Attention.LinearLayers * LinearAttention(t);
    }

    /// <summary>Parameters of one dense MLP (gated: up, gate, down).</summary>
    public static double DenseMlp(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return Gated(t.Hidden, f.DenseIntermediate, f.MlpBias);
    }

    /// <summary>Parameters of one routed expert.</summary>
    public static double Expert(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return Gated(t.Hidden, t.FeedForward.ExpertIntermediate, t.FeedForward.ExpertBias);
    }

    /// <summary>Parameters of one layer's shared experts, with the gate on their output where the model has one.</summary>
    public static double SharedExperts(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return f.SharedExperts * Gated(t.Hidden, f.SharedWidth, f.ExpertBias) + (f.SharedGate ? t.Hidden : 0);
    }

    /// <summary>Parameters of one layer's router.</summary>
    public static double Router(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return f.IsMoe ? (double)t.Hidden * f.RoutedExperts + (f.RouterBias ? f.RoutedExperts : 0) : 0;
    }

    /// <summary>Embedding and output head (one matrix when tied), plus the final norm.</summary>
    public static double Embeddings(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return (double)t.Vocab * t.Hidden * (t.TiedEmbeddings ? 1 : 2) + t.Hidden;
    }

    /// <summary>All parameters of the main model (multi-token-prediction modules not counted).</summary>
    public static double Total(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return AllAttention(t) + f.DenseLayers * DenseMlp(t)
            + f.MoeLayers * (f.RoutedExperts * Expert(t) + SharedExperts(t) + Router(t))
            + Embeddings(t);
    }

    /// <summary>Parameters one token's forward pass uses: everything but the routed experts it is not sent to.</summary>
    public static double Active(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return Total(t) - f.MoeLayers * (f.RoutedExperts - f.TopK) * Expert(t);
    }

    /// <summary>
    /// Active parameters without the input embedding table, of which a token reads one row (the convention of
    /// OpenAI's and Moonshot's published figures).
    /// </summary>
    public static double ActiveWithoutEmbedding(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return Active(t) - (t.TiedEmbeddings ? 0 : (double)t.Vocab * t.Hidden);
    }

    private static double Gated(double hidden, double inter, bool bias) => 3 * hidden * inter + (bias ? 2 * inter + hidden : 0);
}

using InferencePlanner.Models;

namespace InferencePlanner.Work;

/// <summary>
/// Parameter counts of a <see cref="TransformerSpec"/> as the checkpoint stores them (biases and norms
/// included where the architecture has them). The default model reads these bytes.
/// </summary>
public static class TransformerParameters
{
    /// <summary>Attention parameters of one layer, norms included.</summary>
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
                + 2 * h; // input and post-attention norms
        }

        double q = a.Heads * (double)a.HeadDim, kv = a.KvHeads * (double)(a.HeadDim + a.VHeadDim), o = a.Heads * (double)a.VHeadDim;
        return h * (q + kv) + (a.QkvBias ? q + kv : 0)
            + o * h + (a.OutputBias ? h : 0)
            + (a.QkNorm ? 2.0 * a.HeadDim : 0)
            + (a.Sinks ? a.Heads : 0)
            + 2 * h;
    }

    /// <summary>Parameters of one dense MLP (gated: up, gate, down).</summary>
    public static double DenseMlp(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        return Gated(t.Hidden, f.DenseIntermediate, f.MlpBias);
    }

    /// <summary>Parameters of one expert (routed or shared).</summary>
    public static double Expert(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return Gated(t.Hidden, t.FeedForward.ExpertIntermediate, t.FeedForward.ExpertBias);
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
        return t.Layers * Attention(t) + f.DenseLayers * DenseMlp(t)
            + f.MoeLayers * ((f.RoutedExperts + f.SharedExperts) * Expert(t) + Router(t))
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

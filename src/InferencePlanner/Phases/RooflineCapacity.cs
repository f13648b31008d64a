using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>The roofline model's memory budget per GPU.</summary>
public static class RooflineCapacity
{
    /// <summary>Weight bytes one GPU holds: attention, dense MLP, shared experts and embeddings sharded by TP; its routed expert copies.</summary>
    /// <remarks>With <paramref name="mtpLayers"/>, the multi-token-prediction modules too: a decoder layer each (MoE if the model has experts) and the 2 x hidden to hidden projection.</remarks>
    public static Bytes WeightsPerGpu(TransformerSpec t, RooflineLayout layout, PrecisionSet p, MlaForm form = MlaForm.OnTheFly, int mtpLayers = 0)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        var f = t.FeedForward;
        double tp = layout.Tp;
        var w = p.Weights.BytesPerElement();
        var e = p.ExpertWeights.BytesPerElement();
        var attention = t.Attention.Kind == AttentionKind.Mla && form == MlaForm.AbsorbedMaterialised
            ? RooflineWork.MaterialisedAbsorbedParameters(t, layout.Tp) + TransformerParameters.Indexer(t)
            : (TransformerParameters.Attention(t) - TransformerParameters.Indexer(t)) / tp + TransformerParameters.Indexer(t); // the indexer is replicated
        var linear = t.Attention.LinearLayers * TransformerParameters.LinearAttention(t) / tp;
        var moeLayer = f.IsMoe
            ? layout.ExpertsPerGpu(t) / layout.MoeTp * TransformerParameters.Expert(t) * e + TransformerParameters.SharedExperts(t) / tp * p.SharedExpertWeights.BytesPerElement()
                + TransformerParameters.Router(t) * w
            : 0;
        var denseLayer = TransformerParameters.DenseMlp(t) / tp * w;
        var dense = ((t.Layers - t.Attention.LinearLayers) * attention + linear) * w
            + f.DenseLayers * denseLayer
            + TransformerParameters.Embeddings(t) / tp * Precision.Bf16.BytesPerElement();
        var experts = f.IsMoe ? f.MoeLayers * moeLayer : 0;
        var mtp = mtpLayers * (attention * w + (f.IsMoe ? moeLayer : denseLayer) + 2.0 * t.Hidden * t.Hidden / tp * w);
        return Bytes.FromBytes(dense + experts + mtp);
    }

    /// <summary>
    /// KV-cache bytes one GPU holds per request of its batch for <paramref name="tokens"/> tokens of context:
    /// a TP group keeps the KV of all its GPUs' requests, each GPU for its own KV heads (all of the latent for MLA);
    /// sliding-window layers keep at most the window; sparse-attention layers also keep each token's indexer key;
    /// linear-attention layers keep a fixed-size state instead, whatever the context. Each of <paramref name="mtpLayers"/>
    /// multi-token-prediction modules in memory is one more full-attention layer keeping the whole context.
    /// </summary>
    public static Bytes KvPerRequest(TransformerSpec t, int tp, Precision kv, double tokens, int mtpLayers = 0)
    {
        ArgumentNullException.ThrowIfNull(t);
        var a = t.Attention;
        var perToken = RooflineWork.KvBytesPerTokenPerGpu(a, tp, kv) + (a.Sparse is { } s ? RooflineWork.IndexerKeyBytes(s) : 0);
        var windowed = a.SlidingLayers > 0 ? Math.Min(tokens, a.SlidingWindow) : 0;
        var state = a.Linear is { } l ? a.LinearLayers * LinearAttentionWork.StateBytesPerRequestPerGpu(l, tp) : 0;
        return Bytes.FromBytes(tp * (perToken * ((t.FullAttentionLayers + mtpLayers) * tokens + a.SlidingLayers * windowed) + state));
    }

    /// <summary>Multi-token-prediction modules the options put in memory: the model's, when drafting is on.</summary>
    public static int MtpLayers(TransformerSpec t, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(o);
        return o.MtpDraftTokens > 0 ? t.MtpLayers : 0;
    }

    /// <summary>Usable HBM per GPU: capacity (decimal GB) x the usable share.</summary>
    public static Bytes Usable(GpuSpec gpu, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        return Bytes.FromGB(gpu.MemoryGB) * o.MemoryUtilization;
    }

    /// <summary>Largest batch per GPU that fits (unrounded); negative when the weights alone do not fit.</summary>
    public static double MaxBatch(TransformerSpec t, GpuSpec gpu, RooflineLayout layout, PrecisionSet p, double tokensPerRequest, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        var mtp = MtpLayers(t, o);
        var free = Usable(gpu, o) - WeightsPerGpu(t, layout, p, o.MlaDecodeForm, mtp);
        return free / KvPerRequest(t, layout.Tp, p.KvCache, tokensPerRequest, mtp);
    }

    /// <summary>Throws <see cref="InputException"/> with the reason when the weights do not fit on each GPU.</summary>
    public static void RequireWeightsFit(ModelSpec model, GpuSpec gpu, RooflineLayout layout, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(layout);
        var weights = WeightsPerGpu(model.Transformer, layout, p, o.MlaDecodeForm, MtpLayers(model.Transformer, o));
        var usable = Usable(gpu, o);
        if (weights >= usable)
        {
            throw new InputException(
                $"{model.Name} on {layout.Gpus} x {gpu.Name} (TP{layout.Tp}): the weights need {weights.ToGB():F1} GB per GPU but {o.MemoryUtilization:0.##} x {gpu.MemoryGB:0.#} GB = {usable.ToGB():F1} GB is usable; use more GPUs or smaller weights");
        }
    }
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>Deployment sizes the roofline model picks when the user names none.</summary>
public static class AutomaticDeployment
{
    /// <summary>Share of usable memory the weights may take in an automatic choice, leaving the rest to the KV cache.</summary>
    public const double WeightShare = 0.6;

    /// <summary>Prefill GPUs of an MoE model when none are given: DeepSeek's minimum prefill unit (4 nodes of 8).</summary>
    public const int MoePrefillGpus = 32;

    /// <summary>Most GPUs an automatic MoE deployment takes.</summary>
    public const int MaxAutomaticGpus = 320;

    /// <summary>Prefill attention TP when none is given: the seed article's prefill TP.</summary>
    public const int SeedPrefillTp = 4;

    /// <summary>Tensor-parallel degrees tried for attention.</summary>
    public static IReadOnlyList<int> TpCandidates { get; } = [1, 2, 4, 8];

    /// <summary>The candidate TPs that fit a GPU's scale-up domain and divide the model's attention heads.</summary>
    public static IEnumerable<int> TpsWithin(TransformerSpec t, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        return TpCandidates.Where(tp => tp <= gpu.GpusPerNode && gpu.GpusPerNode % tp == 0 && t.Attention.Heads % tp == 0);
    }

    /// <summary>
    /// Prefill GPUs of an MoE model when none are given: <see cref="MoePrefillGpus"/>, or the smallest multiple of it
    /// whose per-GPU weights fit in usable memory on a GPU too small for 32 (at most <see cref="MaxAutomaticGpus"/>).
    /// </summary>
    public static int MoePrefillGpusFor(TransformerSpec t, GpuSpec gpu, int tp, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        for (var g = MoePrefillGpus; g < MaxAutomaticGpus; g += MoePrefillGpus)
        {
            if (WeightsFit(t, gpu, g, tp, p, o, 1))
            {
                return g;
            }
        }

        return MaxAutomaticGpus;
    }

    /// <summary>
    /// Decode attention TP when none is given: a dense model's <see cref="DenseTp"/>; for an MoE model data-parallel
    /// attention (TP1), or the smallest TP of 2, 4, 8 at which <see cref="MoeDecodeGpus"/> GPUs hold the weights where
    /// a replica of the attention per GPU does not fit (a GPU too small for the model's attention and dense layers).
    /// </summary>
    public static int DecodeTp(TransformerSpec t, GpuSpec gpu, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        if (!t.FeedForward.IsMoe)
        {
            return DenseTp(t, gpu, p, o);
        }

        return TpsWithin(t, gpu).FirstOrDefault(tp => WeightsFit(t, gpu, MoeDecodeGpus(t, gpu, tp, p, o), tp, p, o, 1), 1);
    }

    /// <summary>
    /// Prefill attention TP when none is given: <see cref="SeedPrefillTp"/>, or for a dense model whose weights four GPUs
    /// cannot hold the smallest larger TP (within the scale-up domain, dividing the heads) that holds them.
    /// </summary>
    public static int PrefillTp(TransformerSpec t, GpuSpec gpu, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        if (t.FeedForward.IsMoe)
        {
            return SeedPrefillTp;
        }

        return TpsWithin(t, gpu).Where(tp => tp >= SeedPrefillTp).FirstOrDefault(tp => WeightsFit(t, gpu, tp, tp, p, o, 1), SeedPrefillTp);
    }

    /// <summary>
    /// The tensor parallelism of a dense model: the smallest of 1, 2, 4, 8 (within the scale-up domain, dividing
    /// the heads) whose weights fit in <see cref="WeightShare"/> of usable memory; the largest when none does.
    /// </summary>
    public static int DenseTp(TransformerSpec t, GpuSpec gpu, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        var candidates = TpsWithin(t, gpu).ToList();
        foreach (var tp in candidates)
        {
            if (WeightsFit(t, gpu, tp, tp, p, o, WeightShare))
            {
                return tp;
            }
        }

        return candidates[^1];
    }

    /// <summary>
    /// Decode GPUs of an MoE model: the smallest multiple of 8 (of the domain when it is smaller) whose per-GPU
    /// weights fit in <see cref="WeightShare"/> of usable memory, at most <see cref="MaxAutomaticGpus"/>.
    /// </summary>
    public static int MoeDecodeGpus(TransformerSpec t, GpuSpec gpu, int tp, PrecisionSet p, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(o);
        var step = Math.Min(8, gpu.GpusPerNode);
        var max = Math.Min(MaxAutomaticGpus, t.FeedForward.RoutedExperts * 2);
        for (var g = Math.Max(step, tp); g <= max; g += step)
        {
            if (g % tp == 0 && WeightsFit(t, gpu, g, tp, p, o, WeightShare))
            {
                return g;
            }
        }

        return max;
    }

    // Whether the weights per GPU of `gpus` GPUs at attention TP `tp` (dense: a TP replica) fit in `share` of usable memory.
    private static bool WeightsFit(TransformerSpec t, GpuSpec gpu, int gpus, int tp, PrecisionSet p, RooflineOptions o, double share)
    {
        var layout = RooflineLayout.For(t, gpus, tp, t.FeedForward.IsMoe ? null : 0, o.Imbalance) with { LoadSpread = o.ExpertLoadSpread };
        return RooflineCapacity.WeightsPerGpu(t, layout, p, o.MlaDecodeForm, RooflineCapacity.MtpLayers(t, o)) <= RooflineCapacity.Usable(gpu, o) * share;
    }
}

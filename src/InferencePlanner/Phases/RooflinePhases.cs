using InferencePlanner.Models;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>The roofline model's phases: prices the layer work and adds it up over the model's layers.</summary>
public static class RooflinePhases
{
    /// <summary>GPUs in a "node" when throughput is quoted per node: an HGX node (for NVL72 racks, 8 of the rack's 72).</summary>
    public const int NodeGpus = 8;

    private static readonly RooflineOptions Defaults = new();

    /// <summary>Prefill of one prompt per data-parallel group.</summary>
    public static RooflinePrefillResult Prefill(
        TransformerSpec t, RooflinePolicy policy, RooflineLayout layout, PrecisionSet p, int seqLen, double cacheHit, RooflineOptions? o = null, double promptsPerGroup = 1)
    {
        o ??= Defaults;
        if (!(promptsPerGroup >= 1) || !double.IsFinite(promptsPerGroup))
        {
            throw new InputException($"a prefill step needs at least one prompt per data-parallel group, got {Reporting.Num.S(promptsPerGroup)}");
        }

        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layout);
        Check.Positive(seqLen, "--seq-len");
        Check.CacheHit(cacheHit);
        layout.Validate(t, policy.Gpu);
        var domain = Math.Min(policy.Gpu.GpusPerNode, layout.Gpus);
        var b = Sum(t, policy, RooflineWork.Prefill(t, layout, domain, p, seqLen, cacheHit, promptsPerGroup));
        if (o.TwoBatchOverlap)
        {
            // Each micro-batch carries half the prompts' tokens (with one prompt, half its tokens and attention pairs).
            b = Faster(b, Overlap(t, policy, b, RooflineWork.Prefill(t, layout, domain, p, seqLen, cacheHit, promptsPerGroup / 2), policy.Kernels.CommSmShare));
        }

        var tokens = layout.Dp * promptsPerGroup * seqLen;
        return new RooflinePrefillResult(b, tokens / b.Total.Seconds / layout.Gpus, tokens / b.Overlapped.Seconds / layout.Gpus);
    }

    /// <summary>One decode step at <paramref name="batchPerGpu"/> requests per GPU over <paramref name="contextLen"/> tokens of context.</summary>
    public static RooflineDecodeResult Decode(
        TransformerSpec t, RooflinePolicy policy, RooflineLayout layout, PrecisionSet p, int batchPerGpu, int contextLen, int decodeLen, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(o);
        Check.Positive(batchPerGpu, "--batch sizes");
        Check.Positive(contextLen, "--seq-len");
        layout.Validate(t, policy.Gpu);
        o.CheckMtp();
        var draftTokens = o.MtpDraftTokens;
        if (draftTokens > 0 && t.MtpLayers == 0)
        {
            throw new InputException("--mtp needs a model with a multi-token-prediction module (its config.json has num_nextn_predict_layers 0)");
        }

        var domain = Math.Min(policy.Gpu.GpusPerNode, layout.Gpus);
        var queries = 1.0 + draftTokens;
        var b = Sum(t, policy, RooflineWork.Decode(t, layout, domain, p, batchPerGpu, contextLen, o.MlaDecodeForm, queries));
        if (o.TwoBatchOverlap)
        {
            b = Faster(b, Overlap(t, policy, b, RooflineWork.Decode(t, layout, domain, p, batchPerGpu / 2.0, contextLen, o.MlaDecodeForm, queries), commSmShare: 0, pipelined: true));
        }

        if (draftTokens > 0)
        {
            // The module drafts one token per pass, each pass waiting for the one before.
            var draft = DraftPass(policy, RooflineWork.DraftPass(t, layout, domain, p, batchPerGpu, contextLen, o.MlaDecodeForm), t.FeedForward.IsMoe) * draftTokens;
            b = b with { Draft = draft, Overlapped = b.Overlapped + draft };
        }

        return new RooflineDecodeResult(batchPerGpu, b, RooflineCapacity.MaxBatch(t, policy.Gpu, layout, p, contextLen + decodeLen, o)) { TokensPerStep = o.TokensPerStep };
    }

    /// <summary>One multi-token-prediction draft pass of <paramref name="batchPerGpu"/> requests per GPU, as serving prices it.</summary>
    public static Duration DraftPassTime(TransformerSpec t, RooflinePolicy policy, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, double batchPerGpu, double contextLen)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        return DraftPass(policy, RooflineWork.DraftPass(t, layout, gpusPerDomain, p, batchPerGpu, contextLen), t.FeedForward.IsMoe);
    }

    // One draft pass: one decoder layer (MoE if the model has experts), the projection into it and the output head.
    private static Duration DraftPass(RooflinePolicy policy, in LayerWork w, bool moe)
    {
        var a = w.FullAttention;
        var f = moe ? w.MoeFeedForward : w.DenseFeedForward;
        return policy.Price(w.DraftProjection).Time + policy.Price(a.Projections).Time + policy.Price(a.Core).Time + policy.Price(a.AllReduce).Time
            + policy.Price(f.Dense).Time + policy.Price(f.AllReduce).Time + policy.Price(f.Router).Time + policy.Price(f.Shared).Time + policy.Price(f.Routed).Time
            + policy.Price(f.Dispatch).Time + policy.Price(f.Combine).Time + policy.Price(f.Glue).Time + policy.Price(w.Head).Time;
    }

    // Two micro-batches where they beat one batch; otherwise one batch, keeping the stages for the output.
    private static Breakdown Faster(Breakdown one, Breakdown two) =>
        two.Overlapped < one.Total ? two : one with { Stages = two.Stages };

    /// <summary>
    /// Adds the priced layer work over the model's layers, everything in sequence (one batch, no communication
    /// hidden); <see cref="Breakdown.Overlapped"/> is set to the same total.
    /// </summary>
    public static Breakdown Sum(TransformerSpec t, RooflinePolicy policy, in LayerWork work)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        var b = Accumulate(t, policy, work, out _);
        return b with { Overlapped = b.Total };
    }

    /// <summary>
    /// Two-micro-batch overlap as DeepSeek runs it. The batch is split in two and <paramref name="microBatch"/> is
    /// the work of one half, priced at its own size: each half reads the weights again, its GEMMs run at half the
    /// rows and its all-to-all carries half the tokens. In prefill (the default) the two halves alternate through
    /// two stages per MoE layer, one half's attention while the other's combine is in flight, then its experts
    /// while the other's dispatch is, so the layer takes 2 x (max(attention, combine) + max(experts, dispatch)),
    /// compute slowed by the share of SMs the communication kernels hold (<paramref name="commSmShare"/>). In
    /// decode (<paramref name="pipelined"/>) the attention is split in two and five stages interleave, and the
    /// low-latency all-to-all holds no SMs once its messages are issued, so either communication of one half can
    /// hide under any compute of the other: the layer takes the longer of both halves' compute in sequence and
    /// one half's own chain (attention, dispatch, experts, combine). Layers without experts and the head run both
    /// halves in sequence. Returns <paramref name="whole"/> (the one-batch sums) with the overlapped time and the
    /// per-micro-batch stages set.
    /// </summary>
    public static Breakdown Overlap(TransformerSpec t, RooflinePolicy policy, Breakdown whole, in LayerWork microBatch, double commSmShare, bool pipelined = false)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        var f = t.FeedForward;
        double moe = f.IsMoe ? f.MoeLayers : 0;
        var half = Accumulate(t, policy, microBatch, out var m);
        if (moe == 0)
        {
            return whole;
        }

        var slowdown = 1 / (1 - commSmShare);
        var attentionAll = half.AttentionProjections + half.AttentionCore + half.AttentionAllReduce;
        var attentionPerLayer = attentionAll / t.Layers;
        var stage1 = attentionPerLayer * slowdown;
        var stage2 = (m.Router + m.Shared + m.Routed + m.Glue) * slowdown;
        double combineNic = microBatch.MoeFeedForward.Combine.ScaleOutBytes.Value, dispatchNic = microBatch.MoeFeedForward.Dispatch.ScaleOutBytes.Value;
        var compute = stage1 + stage2;
        Duration perLayer;
        double nicBytes;
        if (pipelined)
        {
            // Per micro-batch: the compute stream runs both halves' stages, and each half waits for its own chain.
            var chain = (stage1 + m.Dispatch + stage2 + m.Combine) / 2;
            perLayer = compute >= chain ? compute : chain;
            nicBytes = (combineNic + dispatchNic) / compute.Seconds;
        }
        else
        {
            perLayer = (stage1 >= m.Combine ? stage1 : m.Combine) + (stage2 >= m.Dispatch ? stage2 : m.Dispatch);
            nicBytes = Math.Max(combineNic / stage1.Seconds, dispatchNic / stage2.Seconds);
        }

        var sequential = attentionAll - attentionPerLayer * moe + half.DenseMlp + half.MlpAllReduce + (half.Glue - m.Glue * moe) + half.Head;
        var exposedPerLayer = (perLayer - compute) * 2;
        return whole with
        {
            Overlapped = (sequential + perLayer * moe) * 2,
            ExposedCommunication = exposedPerLayer * moe,
            Stages = new StageOverlap(stage1, m.Combine, stage2, m.Dispatch, double.IsFinite(nicBytes) ? nicBytes / 1e9 : 0) { Exposed = exposedPerLayer, Pipelined = pipelined },
        };
    }

    // One MoE layer's priced parts, for the overlap.
    private readonly record struct MoeLayerTimes(Duration Router, Duration Shared, Duration Routed, Duration Dispatch, Duration Combine, Duration Glue);

    private static Breakdown Accumulate(TransformerSpec t, RooflinePolicy policy, in LayerWork work, out MoeLayerTimes moeLayer)
    {
        var a = t.Attention;
        var f = t.FeedForward;
        double full = t.FullAttentionLayers, sliding = a.SlidingLayers, linear = a.LinearLayers, dense = f.DenseLayers, moe = f.IsMoe ? f.MoeLayers : 0;
        var acc = new Accumulator();
        acc.Add(policy.Price(work.FullAttention.Projections), full, Part.Projections);
        acc.Add(policy.Price(work.FullAttention.Core), full, Part.Core);
        acc.Add(policy.Price(work.FullAttention.Indexer), full, Part.Core);
        acc.Add(policy.Price(work.ChunkCore), full, Part.Core);
        acc.Add(policy.Price(work.ChunkIndexer), full, Part.Core);
        acc.Add(policy.Price(work.LinearAttention.Projections), linear, Part.Projections);
        acc.Add(policy.Price(work.LinearAttention.Core), linear, Part.Core);
        acc.Add(policy.Price(work.LinearChunkCore), linear, Part.Core);
        acc.Add(policy.Price(work.LinearAttention.AllReduce), linear, Part.AttentionAllReduce);
        acc.Add(policy.Price(work.FullAttention.AllReduce), full, Part.AttentionAllReduce);
        acc.Add(policy.Price(work.SlidingAttention.Projections), sliding, Part.Projections);
        acc.Add(policy.Price(work.SlidingAttention.Core), sliding, Part.Core);
        acc.Add(policy.Price(work.SlidingChunkCore), sliding, Part.Core);
        acc.Add(policy.Price(work.SlidingAttention.AllReduce), sliding, Part.AttentionAllReduce);
        acc.Add(policy.Price(work.DenseFeedForward.Dense), dense, Part.Dense);
        acc.Add(policy.Price(work.DenseFeedForward.AllReduce), dense, Part.MlpAllReduce);
        acc.Add(policy.Price(work.DenseFeedForward.Glue), dense, Part.Glue);
        acc.Add(policy.Price(work.Head), 1, Part.Head);
        var moeGlue = policy.Price(work.MoeFeedForward.Glue);
        acc.Add(moeGlue, moe, Part.Glue);
        acc.Add(policy.Price(work.MoeFeedForward.AllReduce), moe, Part.MlpAllReduce);
        var router = policy.Price(work.MoeFeedForward.Router);
        var shared = policy.Price(work.MoeFeedForward.Shared);
        var routed = policy.Price(work.MoeFeedForward.Routed);
        var dispatch = policy.Price(work.MoeFeedForward.Dispatch);
        var combine = policy.Price(work.MoeFeedForward.Combine);
        acc.Add(router, moe, Part.Router);
        acc.Add(shared, moe, Part.Shared);
        acc.Add(routed, moe, Part.Routed);
        acc.Add(dispatch, moe, Part.Dispatch);
        acc.Add(combine, moe, Part.Combine);
        moeLayer = new MoeLayerTimes(router.Time, shared.Time, routed.Time, dispatch.Time, combine.Time, moeGlue.Time);
        return acc.Result();
    }

    private enum Part { Projections, Core, AttentionAllReduce, Dense, MlpAllReduce, Router, Shared, Routed, Dispatch, Combine, Glue, Head }

    private struct Accumulator
    {
        private Duration _projections, _core, _attentionAllReduce, _dense, _mlpAllReduce, _router, _shared, _routed, _dispatch, _combine, _glue, _head;
        private Duration _compute, _memory, _scaleUp, _scaleOut, _latency;

        public void Add(Priced priced, double layers, Part part)
        {
            if (layers == 0)
            {
                return;
            }

            var t = priced.Time * layers;
            switch (part)
            {
                case Part.Projections: _projections += t; break;
                case Part.Core: _core += t; break;
                case Part.AttentionAllReduce: _attentionAllReduce += t; break;
                case Part.Dense: _dense += t; break;
                case Part.MlpAllReduce: _mlpAllReduce += t; break;
                case Part.Router: _router += t; break;
                case Part.Shared: _shared += t; break;
                case Part.Routed: _routed += t; break;
                case Part.Dispatch: _dispatch += t; break;
                case Part.Glue: _glue += t; break;
                case Part.Head: _head += t; break;
                default: _combine += t; break;
            }

            switch (priced.Bound)
            {
                case Bound.Compute: _compute += t; break;
                case Bound.Memory: _memory += t; break;
                case Bound.ScaleUp: _scaleUp += t; break;
                case Bound.ScaleOut: _scaleOut += t; break;
                default: _latency += t; break;
            }
        }

        public readonly Breakdown Result() => new(_projections, _core, _attentionAllReduce, _dense, _mlpAllReduce, _router, _shared, _routed, _dispatch, _combine, _glue, _head,
            _compute, _memory, _scaleUp, _scaleOut, _latency, Duration.Zero);
    }
}

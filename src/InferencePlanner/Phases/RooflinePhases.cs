using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>Time of one pass through all layers, by component and by what bounds it.</summary>
public readonly record struct Breakdown(
    Duration AttentionProjections,
    Duration AttentionCore,
    Duration AttentionAllReduce,
    Duration DenseMlp,
    Duration MlpAllReduce,
    Duration Router,
    Duration SharedExperts,
    Duration RoutedExperts,
    Duration Dispatch,
    Duration Combine,
    Duration Glue,
    Duration Head,
    Duration ComputeBound,
    Duration MemoryBound,
    Duration ScaleUpBound,
    Duration ScaleOutBound,
    Duration LatencyBound,
    Duration Overlapped)
{
    /// <summary>
    /// Two-micro-batch overlap, per MoE layer: stage 1 runs one micro-batch's attention while the other's combine
    /// is in flight, stage 2 its experts while the other's dispatch is; slack = compute - communication (negative:
    /// exposed communication).
    /// </summary>
    public StageOverlap Stages { get; init; }

    /// <summary>Multi-token prediction: the draft passes of one step, in sequence after the model's pass; zero without it.</summary>
    public Duration Draft { get; init; }

    /// <summary>Everything in sequence: no communication hidden.</summary>
    public Duration Total => AttentionProjections + AttentionCore + AttentionAllReduce + DenseMlp + MlpAllReduce + Router + SharedExperts + RoutedExperts + Dispatch + Combine + Glue + Head + Draft;

    /// <summary>
    /// Communication left exposed under two-micro-batch overlap, over all layers; null when the batch runs as one
    /// (then all communication counts).
    /// </summary>
    public Duration? ExposedCommunication { get; init; }

    /// <summary>Whether the batch runs as two overlapped micro-batches (<see cref="Overlapped"/> is their time) rather than as one.</summary>
    public bool TwoBatch => ExposedCommunication is not null;

    /// <summary>
    /// The bound that accounts for the most time. Under overlap only the communication left exposed counts
    /// against the network, shared between NVLink and NIC as their times are.
    /// </summary>
    public Bound Limit
    {
        get
        {
            double up = ScaleUpBound.Seconds, outward = ScaleOutBound.Seconds;
            if (ExposedCommunication is { } exposed && up + outward > 0)
            {
                var share = Math.Min(1, exposed.Seconds / (up + outward));
                (up, outward) = (up * share, outward * share);
            }

            var best = Bound.Compute;
            var time = ComputeBound;
            if (MemoryBound > time) { best = Bound.Memory; time = MemoryBound; }
            if (up > time.Seconds) { best = Bound.ScaleUp; time = Duration.FromSeconds(up); }
            if (outward > time.Seconds) { best = Bound.ScaleOut; time = Duration.FromSeconds(outward); }
            if (LatencyBound > time) { best = Bound.Latency; }
            return best;
        }
    }
}

/// <summary>The overlap of one MoE layer under two micro-batches.</summary>
/// <param name="Attention">Stage 1 compute: attention (projections, core, all-reduce), slowed by the SMs communication takes.</param>
/// <param name="Combine">Stage 1 communication: combine.</param>
/// <param name="Experts">Stage 2 compute: router, shared and routed experts.</param>
/// <param name="Dispatch">Stage 2 communication: dispatch.</param>
/// <param name="RequiredNicGBps">NIC bandwidth per GPU (achieved) at which both stages' communication hides entirely; 0 when nothing crosses the NIC.</param>
public readonly record struct StageOverlap(Duration Attention, Duration Combine, Duration Experts, Duration Dispatch, double RequiredNicGBps)
{
    /// <summary>Communication left exposed per MoE layer, both micro-batches together.</summary>
    public Duration Exposed { get; init; }

    /// <summary>Whether the stages form decode's five-stage pipeline (any compute hides any communication) rather than prefill's fixed pairs.</summary>
    public bool Pipelined { get; init; }

    /// <summary>Stage 1 slack: attention - combine.</summary>
    public Duration AttentionSlack => Attention - Combine;

    /// <summary>Stage 2 slack: experts - dispatch.</summary>
    public Duration ExpertSlack => Experts - Dispatch;
}

/// <summary>Options of the roofline model that are not GPU data.</summary>
public sealed record RooflineOptions
{
    /// <summary>Share of HBM usable for weights and KV cache (the rest: framework, activations, fragmentation).</summary>
    public double MemoryUtilization { get; init; } = 0.9;

    /// <summary>Expert load imbalance before redundancy (busiest GPU over the mean) as given; null to derive it (<see cref="RooflineLayout.EffectiveImbalance"/>).</summary>
    public double? Imbalance { get; init; }

    /// <summary>Spread of load across experts from which the imbalance is derived (the calibrated constant unless calibrating).</summary>
    public double ExpertLoadSpread { get; init; } = RooflineLayout.ExpertLoadSpread;

    /// <summary>How MLA runs in decode (real kernels absorb on the fly).</summary>
    public MlaForm MlaDecodeForm { get; init; } = MlaForm.OnTheFly;

    /// <summary>
    /// Whether two micro-batches may overlap communication with compute (DeepSeek's two-batch overlap). They are
    /// used where they are faster than one batch: the second read of the weights and the smaller GEMMs can cost
    /// more than the communication they hide (SGLang turns the overlap off on NVL72 for this reason).
    /// </summary>
    public bool TwoBatchOverlap { get; init; } = true;

    /// <summary>
    /// Tokens a request gains per decode step with 0 to 5 chained draft tokens, as measured for DeepSeek-R1 with its
    /// one MTP module run autoregressively (TensorRT-LLM tech blog 1, "Pushing Latency Boundaries: Optimizing
    /// DeepSeek-R1 Performance on NVIDIA B200 GPUs", table "Autoregressive MTP Layers": acceptance 1.92, 2.58, 2.82,
    /// 2.99 and 3.01 for MTP 1 to 5, ISL 1k / OSL 2k, strict acceptance). Later drafts add little: the module was
    /// trained to predict one token ahead. Used when no tokens per step are given; more than 5 drafts hold at 3.01.
    /// </summary>
    public static IReadOnlyList<double> MtpMeasuredTokensPerStep { get; } = [1, 1.92, 2.58, 2.82, 2.99, 3.01];

    /// <summary>Where <see cref="MtpMeasuredTokensPerStep"/> comes from, as outputs name it.</summary>
    public const string MtpAcceptanceSource = "DeepSeek-R1's measured acceptance with chained drafts, TensorRT-LLM tech blog 1";

    /// <summary>Multi-token prediction: draft tokens per request and step (0: none). Needs a model with an MTP module.</summary>
    public int MtpDraftTokens { get; init; }

    /// <summary>Multi-token prediction: tokens a request gains per step, as given; null for the measured tokens per step of that many drafts (<see cref="MtpMeasuredTokensPerStep"/>).</summary>
    public double? MtpTokensPerStep { get; init; }

    /// <summary>Throws <see cref="InputException"/> naming the problem when the multi-token-prediction settings are not possible.</summary>
    public void CheckMtp()
    {
        if (MtpDraftTokens < 0)
        {
            throw new InputException($"--mtp is the number of draft tokens per step and must not be negative, got {MtpDraftTokens}");
        }

        if (!(TokensPerStep >= 1 && TokensPerStep <= 1 + MtpDraftTokens))
        {
            throw new InputException($"--mtp-tokens is the tokens a request gains per step, between 1 and 1 + {MtpDraftTokens} drafts, got {Reporting.Num.S(TokensPerStep)}");
        }
    }

    /// <summary>Tokens each request gains per decode step: 1 without multi-token prediction.</summary>
    public double TokensPerStep
    {
        get
        {
            if (MtpDraftTokens <= 0)
            {
                return 1;
            }

            if (MtpTokensPerStep is { } given)
            {
                return given;
            }

            var table = MtpMeasuredTokensPerStep;
            return table[Math.Min(MtpDraftTokens, table.Count - 1)];
        }
    }
}

/// <summary>A prefill evaluation under the roofline model.</summary>
/// <param name="PerLayers">Times for one prompt per DP group through all layers.</param>
/// <param name="TokensPerSecondPerGpu">Prompt tokens (cached or not) per second per GPU, communication not hidden.</param>
/// <param name="TokensPerSecondPerGpuOverlapped">The same with two-micro-batch overlap hiding dispatch and combine.</param>
public readonly record struct RooflinePrefillResult(Breakdown PerLayers, double TokensPerSecondPerGpu, double TokensPerSecondPerGpuOverlapped);

/// <summary>A decode evaluation under the roofline model, at one batch per GPU.</summary>
/// <param name="Batch">Requests per GPU.</param>
/// <param name="Step">Time of one decode step through all layers.</param>
/// <param name="MaxBatch">Largest batch per GPU whose KV cache fits beside the weights.</param>
public readonly record struct RooflineDecodeResult(int Batch, Breakdown Step, double MaxBatch)
{
    /// <summary>Tokens each request gains per step: 1, or with multi-token prediction the expected accepted tokens.</summary>
    public double TokensPerStep { get; init; } = 1;

    /// <summary>Tokens per second per user, communication not hidden.</summary>
    public double TokensPerSecondPerUser => TokensPerStep / Step.Total.Seconds;

    /// <summary>Tokens per second per user with two-micro-batch overlap.</summary>
    public double TokensPerSecondPerUserOverlapped => TokensPerStep / Step.Overlapped.Seconds;

    /// <summary>Tokens per second per GPU, communication not hidden.</summary>
    public double TokensPerSecondPerGpu => Batch * TokensPerSecondPerUser;

    /// <summary>Tokens per second per GPU with overlap.</summary>
    public double TokensPerSecondPerGpuOverlapped => Batch * TokensPerSecondPerUserOverlapped;

    /// <summary>Whether the batch fits in memory.</summary>
    public bool Fits => Batch <= MaxBatch;
}

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

using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>
/// The roofline model's description of the work: operators with FLOPs, HBM bytes (weights, activations,
/// KV cache) and link bytes, per GPU, for any <see cref="TransformerSpec"/>. Pricing is elsewhere.
/// </summary>
public static class RooflineWork
{
    private const double ActivationBytes = 2; // BF16 activations between kernels

    // SwiGLU on one intermediate element: read gate and up (BF16), write the product (BF16) and its FP8 copy.
    private const double GluBytesPerElement = 7;

    // Per token and layer: two RMSNorms (read, write), two residual adds (read two, write one), two activation
    // quantisations before the GEMMs (read BF16, write FP8): 13 hidden-sized BF16 passes.
    private const double GluePassesPerToken = 13;

    // Glue kernels per layer as serving frameworks fuse them: the residual add fused into each of the two RMSNorms
    // (with the activation quantisation), rotary embedding fused into the attention kernel, the SwiGLU fused with its
    // quantisation. A dense layer runs the two norms and the SwiGLU; a MoE layer also the top-k softmax, the
    // permutation of the tokens into expert order and the weighted reduction back (TensorRT-LLM's and vLLM's fused MoE).
    private const double DenseGlueKernels = 3, MoeGlueKernels = 6;

    // The vocabulary projection in BF16, split over the TP group (vocabulary-parallel).
    private static Operator Head(TransformerSpec t, int tp, double tokens)
    {
        var weights = (double)t.Vocab * t.Hidden / tp;
        return Operator.Kernel(OperatorKind.Gemm, Precision.Bf16, Flops.FromMacs(tokens * weights),
            Bytes.FromBytes(weights * ActivationBytes + tokens * (t.Hidden + t.Vocab / (double)tp) * ActivationBytes)) with { M = tokens, N = t.Vocab / (double)tp, K = t.Hidden };
    }

    // GEMM kernels behind one attention's projections: for MLA the query down and up, the joint KV down, the KV up
    // (prefill) or the two absorbed products (decode on the fly), and the output; otherwise QKV and output.
    private static double ProjectionKernels(AttentionSpec a, bool decode) =>
        a.Kind != AttentionKind.Mla ? 2 : (a.QLoraRank > 0 ? 2 : 1) + 1 + (decode ? 2 : 1) + 1;

    private static Operator Glue(double hidden, double tokens, double extraBytes, double launches) =>
        new Operator(OperatorKind.Glue, Precision.Bf16, Flops.Zero, Bytes.FromBytes(GluePassesPerToken * tokens * hidden * ActivationBytes + extraBytes), Bytes.Zero, Bytes.Zero)
            with { Launches = launches };

    /// <summary>
    /// Prefill: each data-parallel group processes one prompt of <paramref name="seqLen"/> tokens of which
    /// <paramref name="cacheHit"/> are already cached; only the missed tokens are computed, attending causally
    /// to the whole context.
    /// </summary>
    public static LayerWork Prefill(TransformerSpec t, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, int seqLen, double cacheHit, double prompts = 1)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        double seq = seqLen;
        var cached = Math.Floor(seq * cacheHit);
        var missed = seq - cached;
        var tokens = missed * prompts;
        var full = PrefillAttention(t, layout.Tp, p, missed, cached, seq, window: 0, prompts);
        var sliding = t.Attention.SlidingLayers > 0 ? PrefillAttention(t, layout.Tp, p, missed, cached, seq, t.Attention.SlidingWindow, prompts) : default;
        var work = new LayerWork(full, sliding, DenseFeedForward(t, layout, p, tokens), MoeFeedForward(t, layout, gpusPerDomain, p, tokens, decode: false))
        {
            Head = Head(t, layout.Tp, prompts), // only each prompt's last token goes through the head
            LinearAttention = LinearAttentionWork.Prefill(t, layout.Tp, p, tokens, prompts),
        };
        return SpansDomains(layout, gpusPerDomain) ? AcrossDomains(work, layout, gpusPerDomain) : work;
    }

    /// <summary>
    /// Decode: each GPU serves <paramref name="batchPerGpu"/> requests over a context of <paramref name="contextLen"/>
    /// tokens; a tensor-parallel group serves the requests of all its GPUs. Each request puts
    /// <paramref name="queriesPerRequest"/> tokens through the model: 1, or with multi-token prediction the token and
    /// the drafts it verifies, all attending to the same cached context (read once per request).
    /// </summary>
    public static LayerWork Decode(TransformerSpec t, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, double batchPerGpu, double contextLen, MlaForm form = MlaForm.OnTheFly, double queriesPerRequest = 1)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        var groupRequests = batchPerGpu * layout.Tp;
        var groupTokens = groupRequests * queriesPerRequest;
        var full = DecodeAttention(t, layout.Tp, p, groupRequests, queriesPerRequest, contextLen, form);
        var sliding = t.Attention.SlidingLayers > 0 ? DecodeAttention(t, layout.Tp, p, groupRequests, queriesPerRequest, Math.Min(contextLen, t.Attention.SlidingWindow), form) : default;
        var work = new LayerWork(full, sliding, DenseFeedForward(t, layout, p, groupTokens), MoeFeedForward(t, layout, gpusPerDomain, p, groupTokens, decode: true))
        {
            Head = Head(t, layout.Tp, groupTokens),
            LinearAttention = LinearAttentionWork.Decode(t, layout.Tp, p, groupRequests, queriesPerRequest),
        };
        return SpansDomains(layout, gpusPerDomain) ? AcrossDomains(work, layout, gpusPerDomain) : work;
    }

    /// <summary>
    /// A mixed serving step, as continuous batching with chunked prefill runs it: each GPU's
    /// <paramref name="decodePerGpu"/> decode requests over <paramref name="contextLen"/> tokens of context, and
    /// <paramref name="chunkTokensPerGroup"/> prompt tokens per data-parallel group from prompts of
    /// <paramref name="promptLen"/> tokens of which <paramref name="cacheHit"/> are cached. The GEMMs, the experts
    /// and the exchange run once over all the step's tokens (the weights are read once); the decode attention reads
    /// the KV cache as in decode and the chunk attends causally to its prompts, with the work of a whole prompt in
    /// proportion to the tokens of it the chunk carries.
    /// </summary>
    public static LayerWork Mixed(
        TransformerSpec t, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, double decodePerGpu, double contextLen, double chunkTokensPerGroup, double promptLen, double cacheHit,
        MlaForm form = MlaForm.OnTheFly, double queriesPerRequest = 1)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        // With multi-token prediction each decoding request puts its token and its drafts through the model.
        var decodeRequests = decodePerGpu * layout.Tp;
        var decodeTokens = decodeRequests * queriesPerRequest;
        var tokens = decodeTokens + chunkTokensPerGroup;
        var full = DecodeAttention(t, layout.Tp, p, decodeRequests, queriesPerRequest, Math.Max(1, contextLen), form);
        var sliding = t.Attention.SlidingLayers > 0 ? DecodeAttention(t, layout.Tp, p, decodeRequests, queriesPerRequest, Math.Max(1, Math.Min(contextLen, t.Attention.SlidingWindow)), form) : default;
        Operator chunk = Operator.None(OperatorKind.Attention), slidingChunk = Operator.None(OperatorKind.Attention), linearChunk = Operator.None(OperatorKind.Attention);
        var chunkIndexer = Operator.None(OperatorKind.Attention);
        var linear = LinearAttentionWork.Decode(t, layout.Tp, p, decodeRequests, queriesPerRequest);
        // At least the prompt's last token is computed: its output is the first token.
        var cached = Math.Min(Math.Floor(promptLen * cacheHit), Math.Max(0, promptLen - 1));
        var missed = promptLen - cached;
        if (chunkTokensPerGroup > 0 && missed > 0)
        {
            var prompts = chunkTokensPerGroup / missed;
            var chunkAttention = PrefillAttention(t, layout.Tp, p, missed, cached, promptLen, window: 0, prompts);
            chunk = chunkAttention.Core;
            chunkIndexer = chunkAttention.Indexer;
            linearChunk = LinearAttentionWork.Prefill(t, layout.Tp, p, chunkTokensPerGroup, prompts).Core;
            slidingChunk = t.Attention.SlidingLayers > 0 ? PrefillAttention(t, layout.Tp, p, missed, cached, promptLen, t.Attention.SlidingWindow, prompts).Core : chunk;
        }

        // The projections run over every token of the step: the decode tokens' operator with the chunk's rows added.
        full = full with { Projections = WithRows(full.Projections, tokens, decodeTokens), AllReduce = AllReduce(layout.Tp, tokens, t.Hidden) };
        if (t.Attention.SlidingLayers > 0)
        {
            sliding = sliding with { Projections = WithRows(sliding.Projections, tokens, decodeTokens), AllReduce = AllReduce(layout.Tp, tokens, t.Hidden) };
        }

        if (t.Attention.LinearLayers > 0)
        {
            linear = linear with { Projections = WithRows(linear.Projections, tokens, decodeTokens), AllReduce = AllReduce(layout.Tp, tokens, t.Hidden) };
        }

        var work = new LayerWork(full, sliding, DenseFeedForward(t, layout, p, tokens), MoeFeedForward(t, layout, gpusPerDomain, p, tokens, decode: chunkTokensPerGroup <= 0))
        {
            Head = Head(t, layout.Tp, decodeTokens + (missed > 0 ? chunkTokensPerGroup / missed : 0)),
            ChunkCore = chunkTokensPerGroup > 0 ? chunk : Operator.None(OperatorKind.Attention),
            SlidingChunkCore = chunkTokensPerGroup > 0 ? slidingChunk : Operator.None(OperatorKind.Attention),
            ChunkIndexer = chunkTokensPerGroup > 0 ? chunkIndexer : Operator.None(OperatorKind.Attention),
            LinearAttention = linear,
            LinearChunkCore = chunkTokensPerGroup > 0 ? linearChunk : Operator.None(OperatorKind.Attention),
        };
        return SpansDomains(layout, gpusPerDomain) ? AcrossDomains(work, layout, gpusPerDomain) : work;
    }

    // A projection GEMM re-described for more rows: FLOPs and activation bytes grow with the rows, the weights stay.
    private static Operator WithRows(in Operator op, double rows, double oldRows)
    {
        if (rows == oldRows || oldRows <= 0 && op.M <= 0)
        {
            return op;
        }

        var macsPerRow = oldRows > 0 ? op.Flops.Value / 2 / oldRows : 0;
        var weights = op.N * op.K;
        var activationPerRow = oldRows > 0 ? (op.MemoryBytes.Value - weights * op.Precision.BytesPerElement()) / oldRows : op.K * ActivationBytes * 3;
        return op with
        {
            Flops = Flops.FromMacs(rows * (macsPerRow > 0 ? macsPerRow : weights)),
            MemoryBytes = Bytes.FromBytes(weights * op.Precision.BytesPerElement() + rows * activationPerRow),
            M = rows,
        };
    }

    /// <summary>
    /// One pass of a multi-token-prediction module (DeepSeek-V3's: one more decoder layer of the model's shape
    /// behind a projection of the hidden state and the token's embedding, 2 x hidden to hidden, sharing the output
    /// head) drafting one token for each of <paramref name="batchPerGpu"/> requests. The layer's work is in the
    /// full-attention and MoE (or dense) parts, the head and the projection in <see cref="LayerWork.Head"/> and
    /// <see cref="LayerWork.DraftProjection"/>; a caller counts each part once.
    /// </summary>
    public static LayerWork DraftPass(TransformerSpec t, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, double batchPerGpu, double contextLen, MlaForm form = MlaForm.OnTheFly)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(p);
        var work = Decode(t, layout, gpusPerDomain, p, batchPerGpu, contextLen, form);
        var groupTokens = batchPerGpu * layout.Tp;
        double h = t.Hidden, weights = 2 * h * h / layout.Tp;
        var projection = Operator.Kernel(OperatorKind.Gemm, p.Weights, Flops.FromMacs(groupTokens * weights),
            Bytes.FromBytes(weights * p.Weights.BytesPerElement() + groupTokens * 3 * h * ActivationBytes)) with { M = groupTokens, N = h / layout.Tp, K = 2 * h };
        return work with { DraftProjection = projection };
    }

    /// <summary>
    /// Query-key pairs a causal attention computes for the tokens at positions cached+1 .. seq (1-based), each
    /// attending to min(position, window) keys; window 0 means no window.
    /// </summary>
    public static double CausalPairs(double cached, double seq, double window)
    {
        var a = cached + 1;
        if (a > seq)
        {
            return 0;
        }

        if (window <= 0 || seq <= window)
        {
            return (a + seq) * (seq - a + 1) / 2;
        }

        return a > window ? window * (seq - a + 1) : (a + window) * (window - a + 1) / 2 + window * (seq - window);
    }

    /// <summary>KV heads each GPU of a TP group holds: heads are split while there are enough, then replicated.</summary>
    public static int KvHeadsPerGpu(AttentionSpec a, int tp)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Kind == AttentionKind.Mla ? 1 : (a.KvHeads + tp - 1) / tp;
    }

    /// <summary>KV-cache bytes one GPU holds per token per layer.</summary>
    public static double KvBytesPerTokenPerGpu(AttentionSpec a, int tp, Precision kv)
    {
        ArgumentNullException.ThrowIfNull(a);
        var elements = a.Kind == AttentionKind.Mla ? a.KvLoraRank + a.QkRopeHeadDim : KvHeadsPerGpu(a, tp) * (double)(a.HeadDim + a.VHeadDim);
        return elements * kv.BytesPerElement();
    }

    private static AttentionLayerWork PrefillAttention(TransformerSpec t, int tp, PrecisionSet p, double missed, double cached, double seq, double window, double prompts)
    {
        var a = t.Attention;
        double heads = a.Heads / (double)tp, h = t.Hidden;
        var context = window > 0 ? Math.Min(seq, window) : seq;
        // Sparse attention: each query attends to the top-k tokens the indexer selects, all of them while the prompt is shorter.
        var sparse = window > 0 ? null : a.Sparse;
        var pairs = CausalPairs(cached, seq, window > 0 ? window : sparse?.TopK ?? 0) * prompts;
        var tokens = missed * prompts;
        var (projParams, projMacsPerToken) = Projections(t, tp);
        double macs = tokens * projMacsPerToken, coreMacs, coreBytes;
        if (a.Kind == AttentionKind.Mla)
        {
            // Standard form in prefill: the latent of every context token is expanded to per-head keys and values.
            macs += prompts * context * a.KvLoraRank * heads * (a.QkNopeHeadDim + a.VHeadDim);
            coreMacs = pairs * heads * (a.QkNopeHeadDim + a.QkRopeHeadDim + a.VHeadDim);
            coreBytes = prompts * (context * (a.KvLoraRank + a.QkRopeHeadDim) * p.KvCache.BytesPerElement()
                + context * heads * (a.QkNopeHeadDim + a.QkRopeHeadDim + a.VHeadDim) * ActivationBytes);
        }
        else
        {
            coreMacs = pairs * heads * (a.HeadDim + a.VHeadDim);
            coreBytes = prompts * context * KvBytesPerTokenPerGpu(a, tp, p.KvCache);
        }

        return new AttentionLayerWork(
            Operator.Kernel(OperatorKind.Gemm, p.Weights, Flops.FromMacs(macs), Bytes.FromBytes(projParams * p.Weights.BytesPerElement() + tokens * h * ActivationBytes * 3))
                with { M = tokens, N = projParams / h, K = h, Launches = ProjectionKernels(a, decode: false) },
            Operator.Kernel(OperatorKind.Attention, p.Attention, Flops.FromMacs(coreMacs), Bytes.FromBytes(coreBytes + tokens * heads * (a.HeadDim + a.VHeadDim) * ActivationBytes))
                with { Causal = true, M = missed, K = context },
            AllReduce(tp, tokens, h))
        {
            Indexer = sparse is null ? Operator.None(OperatorKind.Attention) : Indexer(sparse, tokens, CausalPairs(cached, seq, 0) * prompts, prompts * context) with { Causal = true, M = missed, K = context },
        };
    }

    /// <summary>Bytes of one token's indexer key: FP8 values with one FP32 scale (DeepSeek-V3.2's indexer cache).</summary>
    public static double IndexerKeyBytes(SparseAttentionSpec s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.IndexerHeadDim + 4.0;
    }

    // The lightning indexer (DeepSeek-V3.2): FP8 scores of each query's indexer heads against every context token's
    // indexer key (the keys read from their cache once per request or prompt), written as FP32 logits that the top-k
    // selection reads back. Every GPU of a TP group selects for all the group's queries (the selection is not split).
    private static Operator Indexer(SparseAttentionSpec s, double queries, double pairs, double keyReads) =>
        Operator.Kernel(OperatorKind.Attention, Precision.Fp8, Flops.FromMacs(pairs * s.IndexerHeads * s.IndexerHeadDim),
            Bytes.FromBytes(keyReads * IndexerKeyBytes(s) + pairs * 4 * 2 + queries * s.IndexerHeads * (s.IndexerHeadDim + 4.0)))
            with { Launches = 2 };

    private static AttentionLayerWork DecodeAttention(TransformerSpec t, int tp, PrecisionSet p, double groupRequests, double queries, double context, MlaForm form)
    {
        var a = t.Attention;
        var groupTokens = groupRequests * queries;
        double heads = a.Heads / (double)tp, h = t.Hidden;
        var (projParams, projMacsPerToken) = Projections(t, tp);
        var macs = groupTokens * projMacsPerToken;
        // Sparse attention reads only the top-k tokens the indexer selects: the core stops growing with the context past k.
        var attended = a.Sparse is { } sparse ? Math.Min(context, sparse.TopK) : context;
        double coreMacs;
        if (a.Kind == AttentionKind.Mla)
        {
            var latent = (double)a.KvLoraRank;
            switch (form)
            {
                case MlaForm.Standard:
                    // Every step re-expands each request's cached latent into per-head keys and values.
                    macs += groupTokens * attended * latent * heads * (a.QkNopeHeadDim + a.VHeadDim);
                    coreMacs = groupTokens * heads * attended * (a.QkNopeHeadDim + a.QkRopeHeadDim + a.VHeadDim);
                    break;
                case MlaForm.AbsorbedMaterialised:
                    // W_UK folded into the query projection and W_UV into the output projection as stored matrices.
                    (projParams, macs) = MaterialisedAbsorbed(t, tp, groupTokens);
                    coreMacs = groupTokens * heads * attended * (latent + a.QkRopeHeadDim + latent);
                    break;
                default:
                    // Absorbed on the fly, as FlashMLA-style kernels run it: queries move into the latent space (W_UK),
                    // attention runs as MQA over the cached latent, the result moves back through W_UV. The kernels
                    // take 64 or 128 query heads per token, so a TP group's fewer heads are padded to 64 and the core
                    // computes them all (it reads the same latent either way).
                    macs += groupTokens * heads * (a.QkNopeHeadDim * latent + latent * a.VHeadDim);
                    coreMacs = groupTokens * MlaKernelHeads(heads) * attended * (latent + a.QkRopeHeadDim + latent);
                    break;
            }
        }
        else
        {
            coreMacs = groupTokens * heads * attended * (a.HeadDim + a.VHeadDim);
        }

        // Every GPU of the group reads the KV of all the group's requests for its own KV heads (all of the latent for
        // MLA), once per request however many of its tokens attend.
        var kvBytes = groupRequests * attended * KvBytesPerTokenPerGpu(a, tp, p.KvCache);
        return new AttentionLayerWork(
            Operator.Kernel(OperatorKind.Gemm, p.Weights, Flops.FromMacs(macs), Bytes.FromBytes(projParams * p.Weights.BytesPerElement() + groupTokens * h * ActivationBytes * 3))
                with { M = groupTokens, N = projParams / h, K = h, Launches = ProjectionKernels(a, decode: form == MlaForm.OnTheFly) },
            // A split-KV decode kernel (FlashMLA, FlashDecoding) runs as the attention pass and a combine of the splits.
            Operator.Kernel(OperatorKind.Attention, p.Attention, Flops.FromMacs(coreMacs), Bytes.FromBytes(kvBytes)) with { Launches = 2, GroupedQuery = a.Kind != AttentionKind.Mla },
            AllReduce(tp, groupTokens, h))
        {
            Indexer = a.Sparse is { } s ? Indexer(s, groupTokens, groupTokens * context, groupRequests * context) : Operator.None(OperatorKind.Attention),
        };
    }

    // Query heads an MLA decode kernel computes per token for a GPU's heads: FlashMLA takes 64 or 128 (sgl-project/sglang
    // PR #22372 pads a TP group's 16 or 8 heads to 64), and so did FlashInfer's TensorRT-LLM MLA decode on SM100
    // (vllm-project/vllm PR #48047: 64 for TP4, TP8 and TP16 before FlashInfer 0.6.14).
    private static double MlaKernelHeads(double heads) => heads <= 64 ? 64 : Math.Ceiling(heads / 128) * 128;

    /// <summary>Attention weights one GPU holds per layer for MLA in the materialised absorbed form.</summary>
    public static double MaterialisedAbsorbedParameters(TransformerSpec t, int tp)
    {
        ArgumentNullException.ThrowIfNull(t);
        return MaterialisedAbsorbed(t, tp, 0).Params;
    }

    // The absorbed MLA with materialised matrices: weights per GPU and MACs for the group's tokens.
    private static (double Params, double Macs) MaterialisedAbsorbed(TransformerSpec t, int tp, double tokens)
    {
        var a = t.Attention;
        double h = t.Hidden, heads = a.Heads / (double)tp, latent = a.KvLoraRank;
        var qIn = a.QLoraRank > 0 ? a.QLoraRank : h;
        var weights = (a.QLoraRank > 0 ? h * a.QLoraRank : 0) // wq_a
            + qIn * heads * a.QkRopeHeadDim // rotary part of wq_b
            + heads * qIn * latent // q_absorb
            + h * (latent + a.QkRopeHeadDim) // wkv_a
            + heads * latent * h; // o_absorb
        return (weights, tokens * weights);
    }

    // Projection weights held by one GPU, and the MACs per token they cost (for MLA the up-projection wkv_b is
    // held but its MACs depend on the phase, so they are added by the caller).
    private static (double Params, double MacsPerToken) Projections(TransformerSpec t, int tp)
    {
        var a = t.Attention;
        double h = t.Hidden, heads = a.Heads / (double)tp;
        if (a.Kind == AttentionKind.Mla)
        {
            double qk = a.QkNopeHeadDim + a.QkRopeHeadDim;
            var qDown = a.QLoraRank > 0 ? h * a.QLoraRank : 0; // replicated on every rank
            var qUp = (a.QLoraRank > 0 ? a.QLoraRank : h) * heads * qk;
            var kvDown = h * (a.KvLoraRank + a.QkRopeHeadDim); // replicated on every rank
            var kvUp = a.KvLoraRank * heads * (a.QkNopeHeadDim + a.VHeadDim);
            var output = heads * a.VHeadDim * h;
            var indexer = IndexerProjections(t); // replicated on every rank
            return (qDown + qUp + kvDown + kvUp + output + indexer, qDown + qUp + kvDown + output + indexer);
        }

        var q = h * heads * a.HeadDim * (a.OutputGate ? 2 : 1); // the output gate doubles the query projection
        var kv = h * KvHeadsPerGpu(a, tp) * (double)(a.HeadDim + a.VHeadDim);
        var o = heads * a.VHeadDim * h;
        return (q + kv + o, q + kv + o);
    }

    // The lightning indexer's projections (its queries from the compressed query, its key, its head weights).
    private static double IndexerProjections(TransformerSpec t) =>
        t.Attention.Sparse is null ? 0 : TransformerParameters.Indexer(t) - 2.0 * t.Attention.Sparse.IndexerHeadDim;

    // A tensor-parallel group wider than the scale-up domain all-reduces hierarchically: reduce-scatter and all-gather
    // over NVLink inside each domain (the whole of each GPU's share), and the ring over the NIC between domains on
    // each GPU's 1/D of the data.
    // Whether a tensor-parallel group crosses scale-up domains (the common case, within one, leaves the work as described).
    private static bool SpansDomains(RooflineLayout layout, int gpusPerDomain) => layout.Tp > gpusPerDomain || layout.MoeTp > gpusPerDomain;

    private static LayerWork AcrossDomains(in LayerWork w, RooflineLayout layout, int gpusPerDomain)
    {

        Operator Span(in Operator allReduce, int tp)
        {
            if (tp <= gpusPerDomain || allReduce.IsEmpty)
            {
                return allReduce;
            }

            double d = gpusPerDomain, n = tp / d;
            var data = AllReduceMessageBytes(allReduce, tp);
            return Operator.Exchange(OperatorKind.AllReduce, Bytes.FromBytes(2 * (d - 1) / d * data), Bytes.FromBytes(2 * (n - 1) / n * data / d));
        }

        return w with
        {
            FullAttention = w.FullAttention with { AllReduce = Span(w.FullAttention.AllReduce, layout.Tp) },
            SlidingAttention = w.SlidingAttention with { AllReduce = Span(w.SlidingAttention.AllReduce, layout.Tp) },
            LinearAttention = w.LinearAttention with { AllReduce = Span(w.LinearAttention.AllReduce, layout.Tp) },
            DenseFeedForward = w.DenseFeedForward with { AllReduce = Span(w.DenseFeedForward.AllReduce, layout.Tp) },
            MoeFeedForward = w.MoeFeedForward with { AllReduce = Span(w.MoeFeedForward.AllReduce, layout.MoeTp) },
        };
    }

    /// <summary>The message an all-reduce of <paramref name="ranks"/> GPUs reduces, from the ring's 2(n - 1)/n of it that <see cref="AllReduce"/> carries per GPU.</summary>
    internal static double AllReduceMessageBytes(in Operator allReduce, double ranks) => allReduce.ScaleUpBytes.Value * ranks / (2.0 * (ranks - 1));

    /// <summary>The tensor-parallel all-reduce of <paramref name="tokens"/> hidden states over <paramref name="tp"/> GPUs (none at TP1).</summary>
    internal static Operator AllReduce(int tp, double tokens, double hidden) =>
        tp == 1
            ? Operator.None(OperatorKind.AllReduce)
            : Operator.Exchange(OperatorKind.AllReduce, Bytes.FromBytes(2.0 * (tp - 1) / tp * tokens * hidden * ActivationBytes), Bytes.Zero) with { Groups = tp };

    private static FeedForwardLayerWork DenseFeedForward(TransformerSpec t, RooflineLayout layout, PrecisionSet p, double groupTokens)
    {
        var f = t.FeedForward;
        if (f.DenseLayers == 0)
        {
            return default;
        }

        double tp = layout.Tp, h = t.Hidden;
        var weights = 3 * h * f.DenseIntermediate / tp;
        var dense = Operator.Kernel(OperatorKind.Gemm, p.Weights, Flops.FromMacs(groupTokens * weights),
            Bytes.FromBytes(weights * p.Weights.BytesPerElement() + groupTokens * (2 * h + f.DenseIntermediate / tp) * ActivationBytes))
            with { M = groupTokens, N = 2 * f.DenseIntermediate / tp, K = h, Launches = 2 };
        var glue = Glue(h, groupTokens / tp, GluBytesPerElement * groupTokens * f.DenseIntermediate / tp, launches: DenseGlueKernels);
        return new FeedForwardLayerWork(dense, AllReduce(layout.Tp, groupTokens, h), Operator.None(OperatorKind.Router),
            Operator.None(OperatorKind.ExpertGemm), Operator.None(OperatorKind.ExpertGemm), Operator.None(OperatorKind.Dispatch), Operator.None(OperatorKind.Combine), glue);
    }

    private static FeedForwardLayerWork MoeFeedForward(TransformerSpec t, RooflineLayout layout, int gpusPerDomain, PrecisionSet p, double groupTokens, bool decode)
    {
        var f = t.FeedForward;
        if (!f.IsMoe)
        {
            return default;
        }

        double h = t.Hidden, k = f.TopK;
        var tokens = groupTokens / layout.Tp; // after attention each GPU of the group carries its share of the tokens
        var expertParams = 3 * h * f.ExpertIntermediate;
        var expertBytes = expertParams * p.ExpertWeights.BytesPerElement();

        var router = Operator.Kernel(OperatorKind.Router, Precision.Bf16, Flops.FromMacs(tokens * h * f.RoutedExperts),
            Bytes.FromBytes(h * f.RoutedExperts * ActivationBytes + tokens * h * ActivationBytes)) with { M = tokens, N = f.RoutedExperts, K = h, Launches = 2 };
        // The shared experts are split over the attention's TP group like the attention (as DeepSeek's prefill
        // runs them); each GPU computes its slice for the group's tokens: the same FLOPs, 1/TP of the weights.
        double tp = layout.Tp;
        var sharedParams = TransformerParameters.SharedExperts(t);
        var sharedPrecision = p.SharedExpertWeights;
        var shared = f.SharedExperts == 0
            ? Operator.None(OperatorKind.ExpertGemm)
            : Operator.Kernel(OperatorKind.ExpertGemm, sharedPrecision, Flops.FromMacs(tokens * sharedParams),
                Bytes.FromBytes(sharedParams * sharedPrecision.BytesPerElement() / tp + groupTokens * h * ActivationBytes * 2))
                with { M = groupTokens, N = 2.0 * f.SharedWidth * f.SharedExperts / tp, K = h, Launches = 2 };

        // Each expert-parallel rank receives the top-k copies routed to its experts from every token of the
        // deployment; the busiest gets `imbalance` times the mean. Under MoE TP each of its GPUs computes a 1/MoeTp
        // slice of every expert for those copies. A small batch activates only some experts: each token picks k of
        // the E, so an expert is left idle by all T tokens, and its weights are not read; the more popular experts draw
        // repeat picks, so fewer are hit than if all were equally popular (ExpertsHitShare). The layer waits for the
        // rank that reads the most of them (BusiestRankExperts).
        double moeTp = layout.MoeTp, ep = layout.Ep;
        var allTokens = groupTokens * layout.Dp;
        var imbalance = layout.EffectiveImbalance(t, allTokens / ep);
        var pairs = allTokens * k / ep * imbalance;
        var localExperts = Math.Max(1, layout.ExpertsPerGpu(t));
        var hitExperts = Math.Max(1, BusiestRankExperts(localExperts, ExpertsHitShare(f, allTokens, layout.LoadSpread), ep));
        var routed = Operator.Kernel(OperatorKind.ExpertGemm, p.ExpertWeights, Flops.FromMacs(pairs * expertParams / moeTp),
            Bytes.FromBytes(hitExperts * expertBytes / moeTp + pairs * (2 * h + f.ExpertIntermediate / moeTp) * ActivationBytes))
            with { M = pairs / hitExperts, N = 2.0 * f.ExpertIntermediate / moeTp, K = h, Groups = hitExperts, Table = decode ? Kernels.GemmTable.Masked : Kernels.GemmTable.Contiguous, Launches = 2 };

        // Decode across several scale-up domains runs the low-latency all-to-all (DeepEP): every copy goes straight
        // over RDMA, none is merged per node. Otherwise the normal kernels merge copies per node and forward over NVLink.
        // The busiest GPU also receives `imbalance` times the mean in dispatch and sends as much back in combine.
        var epRanks = layout.Ep;
        var lowLatency = decode && epRanks > gpusPerDomain;
        var busiest = tokens * imbalance;

        // MoE TP: the slices' partial outputs are summed over the MoE TP group, for the tokens of its rank.
        var moeAllReduce = AllReduce(layout.MoeTp, allTokens / ep, h);

        // Glue: the layer's norms and residuals per token; per expert copy the SwiGLU activation, the layout into
        // expert order and the weighted reduction of the returned copies; the shared experts' activations.
        var glue = Glue(h, tokens, pairs * (GluBytesPerElement * f.ExpertIntermediate / moeTp + 4 * h) + tokens * f.SharedExperts * GluBytesPerElement * f.SharedWidth, launches: MoeGlueKernels);
        var noExchange = epRanks <= 1;
        return new FeedForwardLayerWork(Operator.None(OperatorKind.Gemm), moeAllReduce, router, shared, routed,
            noExchange ? Operator.None(OperatorKind.Dispatch) : Exchange(OperatorKind.Dispatch, f, epRanks, gpusPerDomain, lowLatency, busiest, h, p.Dispatch) with { M = tokens },
            noExchange ? Operator.None(OperatorKind.Combine) : Exchange(OperatorKind.Combine, f, epRanks, gpusPerDomain, lowLatency, busiest, h, p.Combine) with { M = tokens },
            glue);
    }

    /// <summary>
    /// Experts whose weights the busiest of <paramref name="ranks"/> expert-parallel ranks reads in one layer, each of
    /// its <paramref name="localExperts"/> reached by at least one token copy with probability
    /// <paramref name="hitShare"/>. A rank reads the weights of the local experts its copies reach, a binomial count
    /// (mean L q, variance L q (1 - q)), and the layer's exchange waits for the rank that reads the most: the mean plus
    /// the expected largest of as many standard normal draws as there are ranks times the count's spread, at most all
    /// L. A small batch reaches few experts per rank and its ranks differ most: at DeepSeek-V3's 256 experts over
    /// EP8, four tokens reach 3.7 of a rank's 32 on average and 6.3 on the busiest (the exact order statistic of the
    /// binomial counts: 6.4; the normal reading is within 2% of it from a few experts per rank, up to 10% under at about
    /// one). A large batch reaches all of them on every rank. One rank (no expert parallelism) reads the mean: MoE TP slices every expert over the GPUs alike.
    /// </summary>
    public static double BusiestRankExperts(double localExperts, double hitShare, double ranks)
    {
        var mean = localExperts * hitShare;
        if (!(ranks > 1) || !(hitShare > 0 && hitShare < 1))
        {
            return mean;
        }

        return Math.Min(localExperts, mean + OrderStatistics.ExpectedLargestOfNormals(ranks) * Math.Sqrt(mean * (1 - hitShare)));
    }

    /// <summary>
    /// Share of the experts that at least one of <paramref name="tokens"/> tokens routes to, each token picking
    /// top-k of the routed experts, tokens routed independently. With equally popular experts an expert is idle with
    /// probability (1 - k/E)^T = exp(-rT), r = -ln(1 - k/E). Experts are not equally popular: their loads spread by
    /// <paramref name="spread"/> (the coefficient of variation the expert imbalance is derived from,
    /// <see cref="RooflineLayout.ExpertLoadSpread"/>), so the popular ones draw repeat picks and fewer distinct experts
    /// are hit. With popularity gamma-distributed about the mean (shape a = 1 / spread^2), the expected idle share is
    /// the gamma's Laplace transform at rT: (1 + rT / a)^-a; a spread of 0 gives the uniform case. One token hits
    /// k/E within 1% at the calibrated spread (exactly k/E for equal experts).
    /// </summary>
    public static double ExpertsHitShare(FeedForwardSpec f, double tokens, double spread = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!f.IsMoe || tokens <= 0)
        {
            return f.IsMoe ? 0 : 1;
        }

        if (!(spread > 0))
        {
            return 1 - Math.Pow(1 - (double)f.TopK / f.RoutedExperts, tokens);
        }

        var shape = 1 / (spread * spread);
        var rate = -tokens * Math.Log(1 - (double)f.TopK / f.RoutedExperts);
        return 1 - Math.Pow(1 + rate / shape, -shape);
    }

    /// <summary>
    /// Copies of a token's hidden state one GPU sends per token over NVLink and over its NIC in an all-to-all
    /// over <paramref name="gpus"/> GPUs in domains of <paramref name="gpusPerDomain"/>. Experts are spread evenly,
    /// so a copy stays on the GPU with probability 1/G and in the domain with (D-1)/G. A token reaching a remote
    /// domain crosses the network once and is forwarded over that domain's NVLink (DeepEP's scheme); the remote
    /// domains a token reaches are the distinct ones among its top-k, at most the routing limit (DeepSeek:
    /// topk_group nodes).
    /// </summary>
    public static (double NvLink, double Nic) ExchangeCopies(FeedForwardSpec f, int gpus, int gpusPerDomain)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (gpus <= 1)
        {
            return (0, 0);
        }

        double g = gpus, d = Math.Min(gpusPerDomain, gpus), k = f.TopK;
        var domains = Math.Ceiling(g / d);
        var inDomain = k * (d - 1) / g;
        if (domains <= 1)
        {
            return (inDomain, 0);
        }

        // A copy lands outside the sender's domain with probability (G - D) / G, spread over the other domains.
        var remoteDomains = domains - 1;
        var remoteShare = (g - d) / g;
        var remoteDistinct = remoteDomains * (1 - Math.Pow(1 - remoteShare / remoteDomains, k));
        if (f.Groups > 1 && f.LimitedGroups < f.Groups)
        {
            remoteDistinct = Math.Min(remoteDistinct, f.LimitedGroups * (domains - 1) / domains);
        }

        var remoteCopies = k * (g - d) / g;
        return (inDomain + Math.Max(0, remoteCopies - remoteDistinct), remoteDistinct);
    }

    /// <summary>Bytes of one token's hidden state in an all-to-all: FP8 payloads carry one FP32 scale per 128 values.</summary>
    public static double PayloadBytesPerToken(double hidden, Precision payload) =>
        hidden * payload.BytesPerElement() + (payload == Precision.Fp8 ? hidden / 128 * 4 : 0);

    /// <summary>
    /// One GPU's dispatch or combine of <paramref name="tokens"/> tokens over <paramref name="gpus"/> GPUs. The
    /// low-latency mode (DeepEP's decode kernels) sends every top-k copy straight over RDMA; the normal mode merges
    /// copies per node and forwards them over NVLink (<see cref="ExchangeCopies"/>).
    /// </summary>
    public static Operator Exchange(OperatorKind kind, FeedForwardSpec f, int gpus, int gpusPerDomain, bool lowLatency, double tokens, double hidden, Precision payload)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (nvlinkCopies, nicCopies) = lowLatency ? (0, f.TopK * (gpus - 1.0) / gpus) : ExchangeCopies(f, gpus, gpusPerDomain);
        var perToken = PayloadBytesPerToken(hidden, payload);
        return Operator.Exchange(kind, Bytes.FromBytes(tokens * nvlinkCopies * perToken), Bytes.FromBytes(tokens * nicCopies * perToken))
            with { M = tokens, Groups = gpus, LowLatency = lowLatency };
    }
}

using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>
/// The work of one linear-attention layer (Gated DeltaNet, as Qwen3-Next and Qwen3.5 interleave it with full
/// attention) on one GPU of a tensor-parallel group, whose value heads are split over the group. Each request keeps
/// a recurrent state per value head, a key-by-value matrix, in place of a KV cache, and the last few inputs of the
/// short convolution. Decode reads and writes that state once per step, whatever the context; prefill runs the
/// chunked form, whose cost grows linearly with the prompt.
/// </summary>
public static class LinearAttentionWork
{
    /// <summary>
    /// Bytes per element of the recurrent state: FP32, as the kernels keep it (flash-linear-attention's Gated DeltaNet
    /// kernels accumulate the state in FP32; Qwen3.5's config.json declares mamba_ssm_dtype float32).
    /// </summary>
    public const double StateBytesPerElement = 4;

    /// <summary>Tokens per chunk of the chunked form (flash-linear-attention's chunk_gated_delta_rule runs chunks of 64).</summary>
    public const double ChunkTokens = 64;

    private const double ActivationBytes = 2;

    // Per token and value head, the recurrent update: decay the state, read it with the key (k^T S), write the
    // corrected value back as a rank-one update, read it with the query (q^T S): four key-by-value passes.
    private const double RecurrentPasses = 4;

    // Kernels of the chunked form: the gates' cumulative sum, the keys' Gram matrix, its triangular solve, the WY
    // transform, the chunk states, the outputs (flash-linear-attention's chunk_gated_delta_rule), the convolution and
    // the gated norm.
    private const double ChunkedKernels = 8;

    // Kernels of a decode step: the convolution update, the fused recurrent update, the gated norm.
    private const double RecurrentKernels = 3;

    /// <summary>Value heads one GPU of a TP group holds (split while there are enough, then replicated).</summary>
    public static int ValueHeadsPerGpu(LinearAttentionSpec l, int tp)
    {
        ArgumentNullException.ThrowIfNull(l);
        return (l.ValueHeads + tp - 1) / tp;
    }

    /// <summary>
    /// Bytes of one request's state in one linear-attention layer on one GPU: its value heads' state matrices at
    /// <see cref="StateBytesPerElement"/> and the convolution's last (kernel - 1) inputs in BF16. It does not grow
    /// with the context.
    /// </summary>
    public static double StateBytesPerRequestPerGpu(LinearAttentionSpec l, int tp)
    {
        ArgumentNullException.ThrowIfNull(l);
        var share = ValueHeadsPerGpu(l, tp) / (double)l.ValueHeads;
        return share * (l.StateElements * StateBytesPerElement + (l.ConvKernel - 1.0) * l.ConvChannels * ActivationBytes);
    }

    /// <summary>
    /// A decode step: <paramref name="groupRequests"/> requests of the TP group, each putting
    /// <paramref name="queriesPerRequest"/> tokens through the recurrence (the token and any drafts, one after another
    /// on a state read once). None without linear layers.
    /// </summary>
    public static AttentionLayerWork Decode(TransformerSpec t, int tp, PrecisionSet p, double groupRequests, double queriesPerRequest)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(p);
        if (t.Attention.Linear is not { } l || groupRequests <= 0)
        {
            return default;
        }

        var tokens = groupRequests * queriesPerRequest;
        var heads = ValueHeadsPerGpu(l, tp);
        var macs = tokens * heads * (RecurrentPasses * l.KeyHeadDim * l.ValueHeadDim) + tokens * l.ConvChannels / (double)tp * l.ConvKernel;
        // The state and the convolution's inputs are read and written back once per request; q, k, v, the gates and z come in, the output goes out.
        var bytes = 2 * groupRequests * StateBytesPerRequestPerGpu(l, tp) + tokens * IoPerToken(l, tp);
        var core = Operator.Kernel(OperatorKind.Attention, Precision.Bf16, Flops.FromMacs(macs), Bytes.FromBytes(bytes)) with { Launches = RecurrentKernels };
        return new AttentionLayerWork(Projections(t, l, tp, p, tokens), core, RooflineWork.AllReduce(tp, tokens, t.Hidden));
    }

    /// <summary>
    /// Prefill of <paramref name="tokens"/> prompt tokens of the TP group, from <paramref name="prompts"/> prompts, in
    /// the chunked form: within each chunk of <see cref="ChunkTokens"/> tokens a causal attention of the keys and
    /// values and the WY transform of the delta rule; between chunks the state carried over (read by the queries,
    /// updated by the chunk). Linear in the tokens, whatever the context before them (the cached prefix is carried in
    /// the state). None without linear layers.
    /// </summary>
    public static AttentionLayerWork Prefill(TransformerSpec t, int tp, PrecisionSet p, double tokens, double prompts)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(p);
        if (t.Attention.Linear is not { } l || tokens <= 0)
        {
            return default;
        }

        var heads = ValueHeadsPerGpu(l, tp);
        double dk = l.KeyHeadDim, dv = l.ValueHeadDim;
        // Per token and value head: the causal products inside its chunk (q k^T and k k^T over the keys, their
        // products with the values over the values: half a chunk each on average), and three key-by-value passes
        // against the chunk's state (the queries read it, the transformed keys read it, the chunk updates it).
        var perHead = ChunkTokens * (dk + dv) + 3 * dk * dv;
        var macs = tokens * heads * perHead + tokens * l.ConvChannels / (double)tp * l.ConvKernel;
        // Each chunk's starting state is written in FP32 and read back for the outputs; each prompt's final state stays.
        var chunks = Math.Max(prompts, tokens / ChunkTokens);
        var stateShare = heads / (double)l.ValueHeads;
        var bytes = 2 * chunks * stateShare * l.StateElements * StateBytesPerElement + prompts * StateBytesPerRequestPerGpu(l, tp) + tokens * IoPerToken(l, tp) * 2;
        var core = Operator.Kernel(OperatorKind.Attention, Precision.Bf16, Flops.FromMacs(macs), Bytes.FromBytes(bytes)) with { Launches = ChunkedKernels };
        return new AttentionLayerWork(Projections(t, l, tp, p, tokens), core, RooflineWork.AllReduce(tp, tokens, t.Hidden));
    }

    // Activations per token in and out of the core on one GPU: queries, keys, values and the gate z in, the decay and
    // write strength per value head, the output out (BF16).
    private static double IoPerToken(LinearAttentionSpec l, int tp) =>
        (l.ProjectionWidth + 2.0 * l.ValueHeads + l.ValueHeads * (double)l.ValueHeadDim) / tp * ActivationBytes;

    // The input projections (to q, k, v, z and to the decay and write strength) and the output projection, split over
    // the TP group.
    private static Operator Projections(TransformerSpec t, LinearAttentionSpec l, int tp, PrecisionSet p, double tokens)
    {
        double h = t.Hidden;
        var weights = (h * l.ProjectionWidth + h * 2.0 * l.ValueHeads + (double)l.ValueHeads * l.ValueHeadDim * h) / tp;
        return Operator.Kernel(OperatorKind.Gemm, p.Weights, Flops.FromMacs(tokens * weights),
            Bytes.FromBytes(weights * p.Weights.BytesPerElement() + tokens * h * ActivationBytes * 3))
            with { M = tokens, N = weights / h, K = h, Launches = 3 };
    }
}

using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>What an operator does, which decides how a cost policy prices it.</summary>
public enum OperatorKind
{
    /// <summary>A dense matrix multiply (projections, dense MLP).</summary>
    Gemm,

    /// <summary>Expert feed-forward (shared or routed), run as a grouped GEMM.</summary>
    ExpertGemm,

    /// <summary>Attention scores, score x V and the output projection.</summary>
    Attention,

    /// <summary>Reading the KV cache from HBM.</summary>
    KvRead,

    /// <summary>Tensor-parallel all-reduce.</summary>
    AllReduce,

    /// <summary>The router's gate projection and top-k.</summary>
    Router,

    /// <summary>
    /// Memory-bound kernels between the GEMMs: norms, residual adds, rotary embedding, activation quantisation,
    /// the SwiGLU activation, and laying expert inputs out and reducing their outputs.
    /// </summary>
    Glue,

    /// <summary>MoE dispatch: tokens sent to the GPUs holding their experts.</summary>
    Dispatch,

    /// <summary>MoE combine: expert outputs sent back.</summary>
    Combine,
}

/// <summary>Which interconnect carries a collective.</summary>
public enum Link
{
    /// <summary>Not a collective.</summary>
    None,

    /// <summary>The scale-up domain (NVLink inside a node).</summary>
    ScaleUp,

    /// <summary>The scale-out network (the NIC of each GPU).</summary>
    ScaleOut,
}

/// <summary>
/// One operator's work on one GPU, with its shape reduced to what pricing needs: FLOPs at a compute
/// precision, bytes read from memory, bytes sent over a link. It knows nothing about GPUs.
/// </summary>
/// <param name="Kind">What the operator does.</param>
/// <param name="Precision">Compute precision of the FLOPs.</param>
/// <param name="Flops">Floating-point work.</param>
/// <param name="MemoryBytes">Bytes read from HBM.</param>
/// <param name="ScaleUpBytes">Bytes each GPU sends over the scale-up domain (NVLink).</param>
/// <param name="ScaleOutBytes">Bytes each GPU sends over its NIC.</param>
public readonly record struct Operator(OperatorKind Kind, Precision Precision, Flops Flops, Bytes MemoryBytes, Bytes ScaleUpBytes, Bytes ScaleOutBytes)
{
    /// <summary>GEMM rows (tokens; tokens per expert for grouped GEMMs); tokens per GPU for an exchange.</summary>
    public double M { get; init; }

    /// <summary>GEMM output columns.</summary>
    public double N { get; init; }

    /// <summary>GEMM reduction depth.</summary>
    public double K { get; init; }

    /// <summary>GEMM groups (local experts); GPUs taking part for an exchange.</summary>
    public double Groups { get; init; } = 1;

    /// <summary>Which kernel measurements describe it: dense, or grouped in the contiguous (prefill) or masked (decode) layout.</summary>
    public Kernels.GemmTable Table { get; init; }

    /// <summary>For an exchange: the low-latency mode (pure RDMA, every copy sent directly), as decode runs it.</summary>
    public bool LowLatency { get; init; }

    /// <summary>For attention: a causal pass over prompts (prefill), keys attended per prompt in <see cref="K"/>.</summary>
    public bool Causal { get; init; }

    /// <summary>For attention: over per-head keys and values (grouped-query or multi-head attention), which its own decode kernels read, rather than MLA's latent.</summary>
    public bool GroupedQuery { get; init; }

    /// <summary>Kernels the operator launches (each pays the launch latency where the latency is modelled).</summary>
    public double Launches { get; init; } = 1;

    /// <summary>An operator that does nothing (a block the layer does not have).</summary>
    public static Operator None(OperatorKind kind) => new(kind, Precision.Bf16, Flops.Zero, Bytes.Zero, Bytes.Zero, Bytes.Zero);

    /// <summary>Whether the operator has any work.</summary>
    public bool IsEmpty => Flops.Value == 0 && MemoryBytes.Value == 0 && ScaleUpBytes.Value == 0 && ScaleOutBytes.Value == 0;

    /// <summary>A compute operator that also reads <paramref name="memory"/> bytes from HBM (weights, activations, KV cache).</summary>
    public static Operator Kernel(OperatorKind kind, Precision precision, Flops flops, Bytes memory) =>
        new(kind, precision, flops, memory, Bytes.Zero, Bytes.Zero);

    /// <summary>A collective sending bytes over both networks.</summary>
    public static Operator Exchange(OperatorKind kind, Bytes scaleUp, Bytes scaleOut) =>
        new(kind, Precision.Fp8, Flops.Zero, Bytes.Zero, scaleUp, scaleOut);

    /// <summary>A compute operator.</summary>
    public static Operator Compute(OperatorKind kind, Precision precision, Flops flops) =>
        new(kind, precision, flops, Bytes.Zero, Bytes.Zero, Bytes.Zero);

    /// <summary>A read of <paramref name="bytes"/> from HBM.</summary>
    public static Operator MemoryRead(OperatorKind kind, Bytes bytes) =>
        new(kind, Precision.Fp8, Flops.Zero, bytes, Bytes.Zero, Bytes.Zero);

    /// <summary>A collective sending <paramref name="bytes"/> per GPU over <paramref name="link"/>.</summary>
    public static Operator Collective(OperatorKind kind, Bytes bytes, Link link) =>
        link == Link.ScaleUp ? Exchange(kind, bytes, Bytes.Zero) : Exchange(kind, Bytes.Zero, bytes);
}

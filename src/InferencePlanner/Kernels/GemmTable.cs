namespace InferencePlanner.Kernels;

/// <summary>Which grouped-GEMM layout experts run in.</summary>
public enum GemmTable
{
    /// <summary>Dense GEMM.</summary>
    Dense,

    /// <summary>Grouped, contiguous layout (prefill).</summary>
    Contiguous,

    /// <summary>Grouped, masked layout (decode).</summary>
    Masked,
}

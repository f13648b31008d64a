namespace InferencePlanner.Units;

/// <summary>A numeric format for weights, activations, KV cache or compute.</summary>
public enum Precision
{
    /// <summary>8-bit floating point (E4M3), 1 byte.</summary>
    Fp8,

    /// <summary>16-bit floating point (BF16 or FP16), 2 bytes.</summary>
    Bf16,

    /// <summary>
    /// NVFP4: 4-bit floating point (E2M1) with one FP8 (E4M3) scale per 16 values, 0.5625 bytes (NVIDIA, "Introducing
    /// NVFP4 for Efficient and Accurate Low-Precision Inference", 2025; its per-tensor FP32 scale is negligible); multiplied
    /// with FP4 activations at the FP4 rate where the GPU has FP4 units.
    /// </summary>
    Fp4,

    /// <summary>
    /// MXFP4 weights (OpenAI's GPT-OSS experts: one 8-bit power-of-two scale per 32 values), 0.53125 bytes, that
    /// the frameworks multiply with 8-bit activations on GPUs with FP4 units: TensorRT-LLM's default on Blackwell is
    /// W4A8_MXFP4_MXFP8 (its GPT-OSS deployment guide), and vLLM's InferenceMAX runs set
    /// VLLM_USE_FLASHINFER_MOE_MXFP4_MXFP8. Blackwell's tensor cores take an FP4 operand with an FP8 one at the FP8
    /// rate (tcgen05 kind::f8f6f4), so the GEMM runs at FP8's peak; without FP4 units it is weight-only, at BF16.
    /// </summary>
    Mxfp4,

    /// <summary>
    /// 4-bit integer weights, weight-only: one BF16 scale per group of 32 (Kimi-K2-Thinking's and Kimi-K2.5's
    /// compressed-tensors experts, group_size 32), about 0.56 bytes; dequantised in the kernel and multiplied at BF16.
    /// </summary>
    Int4,
}

/// <summary>Sizes of the precisions.</summary>
public static class PrecisionExtensions
{
    /// <summary>Bytes per element.</summary>
    public static double BytesPerElement(this Precision p) => p switch
    {
        Precision.Fp8 => 1.0,
        Precision.Bf16 => 2.0,
        Precision.Fp4 => 0.5 + 1.0 / 16,
        Precision.Mxfp4 => 0.5 + 1.0 / 32,
        Precision.Int4 => 0.5 + 2.0 / 32,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown precision"),
    };

    /// <summary>Short label as the seed prints it: FP8, or FP16 for 16-bit.</summary>
    public static string Label(this Precision p) => p switch
    {
        Precision.Fp8 => "FP8",
        Precision.Fp4 => "FP4",
        Precision.Mxfp4 => "MXFP4",
        Precision.Int4 => "INT4",
        _ => "FP16",
    };

    /// <summary>Name as the default model prints it: FP4, FP8 or BF16.</summary>
    public static string Name(this Precision p) => p == Precision.Bf16 ? "BF16" : p.Label();

    /// <summary>Parses a precision name: fp4 (nvfp4), fp8, bf16, fp16, or the weight formats mxfp4 and int4.</summary>
    public static Precision Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant() switch
        {
            "fp8" or "e4m3" => Precision.Fp8,
            "bf16" or "fp16" => Precision.Bf16,
            "fp4" or "nvfp4" => Precision.Fp4,
            "mxfp4" => Precision.Mxfp4,
            "int4" or "w4a16" => Precision.Int4,
            _ => throw new InputException($"{option}: unknown precision '{text}' (use fp4, fp8, bf16, or mxfp4 and int4 for weights)"),
        };
    }
}

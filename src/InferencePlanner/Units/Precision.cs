namespace InferencePlanner.Units;

/// <summary>A numeric format for weights, activations, KV cache or compute.</summary>
public enum Precision
{
    /// <summary>8-bit floating point (E4M3), 1 byte.</summary>
    Fp8,

    /// <summary>16-bit floating point (BF16 or FP16), 2 bytes.</summary>
    Bf16,

    /// <summary>4-bit floating point with a shared scale (NVFP4: one FP8 scale per 16 values; MXFP4: one per 32), about 0.53 bytes.</summary>
    Fp4,

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
        Precision.Fp4 => 0.5 + 1.0 / 32,
        Precision.Int4 => 0.5 + 2.0 / 32,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown precision"),
    };

    /// <summary>Short label as the seed prints it: FP8, or FP16 for 16-bit.</summary>
    public static string Label(this Precision p) => p switch
    {
        Precision.Fp8 => "FP8",
        Precision.Fp4 => "FP4",
        Precision.Int4 => "INT4",
        _ => "FP16",
    };

    /// <summary>Name as the default model prints it: FP4, FP8 or BF16.</summary>
    public static string Name(this Precision p) => p == Precision.Bf16 ? "BF16" : p.Label();

    /// <summary>Parses a precision name: fp4, fp8, bf16, fp16 or int4 (weights only).</summary>
    public static Precision Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant() switch
        {
            "fp8" or "e4m3" => Precision.Fp8,
            "bf16" or "fp16" => Precision.Bf16,
            "fp4" or "nvfp4" or "mxfp4" => Precision.Fp4,
            "int4" or "w4a16" => Precision.Int4,
            _ => throw new InputException($"{option}: unknown precision '{text}' (use fp4, fp8, bf16, or int4 for weights)"),
        };
    }
}

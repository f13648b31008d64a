namespace InferencePlanner.Units;

/// <summary>A numeric format for weights, activations, KV cache or compute.</summary>
public enum Precision
{
    /// <summary>8-bit floating point (E4M3), 1 byte.</summary>
    Fp8,

    /// <summary>16-bit floating point (BF16 or FP16), 2 bytes.</summary>
    Bf16,
}

/// <summary>Sizes of the precisions.</summary>
public static class PrecisionExtensions
{
    /// <summary>Bytes per element.</summary>
    public static double BytesPerElement(this Precision p) => p switch
    {
        Precision.Fp8 => 1.0,
        Precision.Bf16 => 2.0,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown precision"),
    };

    /// <summary>Short label: FP8 or FP16 (the seed's naming for 16-bit).</summary>
    public static string Label(this Precision p) => p == Precision.Fp8 ? "FP8" : "FP16";
}

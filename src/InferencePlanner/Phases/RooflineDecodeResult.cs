namespace InferencePlanner.Phases;

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

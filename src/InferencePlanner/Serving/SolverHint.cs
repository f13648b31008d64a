namespace InferencePlanner.Serving;

/// <summary>
/// What a sweep over concurrency knows before it solves the next steady state: the decode batches it found at the last
/// two, lower, concurrencies. More clients decode no fewer requests, so the last batch brackets the next one from below;
/// extrapolated along the last two (or in proportion to the concurrency when there is one), a little beyond, it is a
/// first guess from above. The solver then needs a few evaluations instead of a whole bracket's. A wrong hint costs an
/// evaluation, never a different answer. The default is no hint.
/// </summary>
/// <param name="DecodeBatchPerGpu">The decode batch per (decode) GPU at <paramref name="Concurrency"/>.</param>
/// <param name="Concurrency">The concurrency it was solved at; 0: no hint.</param>
/// <param name="PreviousBatchPerGpu">The batch at the concurrency before, if any.</param>
/// <param name="PreviousConcurrency">That concurrency; 0: none.</param>
public readonly record struct SolverHint(double DecodeBatchPerGpu, int Concurrency, double PreviousBatchPerGpu = 0, int PreviousConcurrency = 0)
{
    // How far beyond the extrapolation the guess goes, so that it lands above the root more often than not.
    private const double Margin = 1.05;

    /// <summary>The hint after solving at <paramref name="concurrency"/>, keeping this one's point as the one before.</summary>
    public SolverHint Then(in ServingResult solved, int concurrency) => new(solved.DecodeBatchPerGpu, concurrency, DecodeBatchPerGpu, Concurrency);

    // The engine-wide batch below the root, and the guess above it, for `gpus` decode GPUs at concurrency `c`.
    internal (double Below, double Guess) For(double gpus, double c)
    {
        if (Concurrency <= 0 || !(DecodeBatchPerGpu > 0))
        {
            return (0, 0);
        }

        var below = DecodeBatchPerGpu * gpus;
        var slope = PreviousConcurrency > 0 && PreviousConcurrency < Concurrency
            ? (DecodeBatchPerGpu - PreviousBatchPerGpu) / (Concurrency - PreviousConcurrency)
            : DecodeBatchPerGpu / Concurrency;
        var guess = below + Math.Max(0, slope) * gpus * (c - Concurrency) * Margin;
        return (below, guess);
    }
}

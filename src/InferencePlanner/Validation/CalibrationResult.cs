namespace InferencePlanner.Validation;

/// <summary>The calibration: every candidate's error, the best value, each end-to-end row held out, and their error summary.</summary>
/// <param name="Scan">Every candidate spread with its error.</param>
/// <param name="Best">The candidate with the least error over all rows.</param>
/// <param name="HeldOut">Each row predicted with the spread calibrated on the others.</param>
public sealed record CalibrationResult(IReadOnlyList<SpreadCandidate> Scan, double Best, IReadOnlyList<HeldOutRow> HeldOut)
{
    /// <summary>Median and worst absolute error of the held-out predictions.</summary>
    public ErrorSummary HeldOutSummary { get; } = ErrorSummary.Of("default", "end-to-end, held out", HeldOut.Select(h => h.ErrorPercent));
}

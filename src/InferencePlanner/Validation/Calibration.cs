using InferencePlanner.Hardware;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;

namespace InferencePlanner.Validation;

/// <summary>The calibration error of one candidate value of the expert load spread.</summary>
/// <param name="Spread">Candidate spread.</param>
/// <param name="SquaredLogError">Sum over the end-to-end rows of ln(predicted / measured)^2.</param>
public readonly record struct SpreadCandidate(double Spread, double SquaredLogError);

/// <summary>One end-to-end row predicted with the spread calibrated on the other rows only.</summary>
/// <param name="Measurement">The held-out row.</param>
/// <param name="Spread">The spread that fits the other rows best.</param>
/// <param name="Predicted">The prediction for the held-out row at that spread.</param>
public readonly record struct HeldOutRow(Measurement Measurement, double Spread, double Predicted)
{
    /// <summary>Signed error, percent of the measured value.</summary>
    public double ErrorPercent => Measurement.ErrorPercent(Predicted);
}

/// <summary>The calibration: every candidate's error, the best value, each end-to-end row held out, and their error summary.</summary>
/// <param name="Scan">Every candidate spread with its error.</param>
/// <param name="Best">The candidate with the least error over all rows.</param>
/// <param name="HeldOut">Each row predicted with the spread calibrated on the others.</param>
public sealed record CalibrationResult(IReadOnlyList<SpreadCandidate> Scan, double Best, IReadOnlyList<HeldOutRow> HeldOut)
{
    /// <summary>Median and worst absolute error of the held-out predictions.</summary>
    public ErrorSummary HeldOutSummary { get; } = ErrorSummary.Of("default", "end-to-end, held out", HeldOut.Select(h => h.ErrorPercent));
}

/// <summary>
/// How the default model's one calibrated constant, the spread of load across experts
/// (<see cref="Work.RooflineLayout.ExpertLoadSpread"/>), follows from the end-to-end measurements: every candidate
/// from 0.1 to 1.0 in steps of 0.1 is scored by its squared log error over the rows, and the least wins. Holding
/// each row out in turn and calibrating on the others shows how the model predicts a deployment it was not fitted to.
/// </summary>
public static class Calibration
{
    /// <summary>The candidate spreads, 0.1 to 1.0.</summary>
    public static IReadOnlyList<double> Candidates { get; } = [.. Enumerable.Range(1, 10).Select(i => i / 10.0)];

    /// <summary>The calibration on <paramref name="measurements"/>' end-to-end rows: every candidate's error, the best value, and each row held out.</summary>
    public static CalibrationResult Run(IReadOnlyList<Measurement> measurements, RooflineOptions options)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        ArgumentNullException.ThrowIfNull(options);
        var rows = measurements.Where(m => m.Kind != "kernel").ToList();
        var policies = rows.Select(m => new RooflinePolicy(GpuCatalog.Resolve(m.Gpu))).ToList();

        // predicted[c][r]: row r at candidate c, computed once.
        var predicted = Candidates.Select(c => rows.Select((m, r) => Validator.Default(m, policies[r], options with { Imbalance = null, ExpertLoadSpread = c })).ToArray()).ToArray();
        double Error(int c, int skip) => rows.Select((m, r) => r == skip ? 0 : Math.Pow(Math.Log(predicted[c][r] / m.Measured), 2)).Sum();
        int Best(int skip) => Enumerable.Range(0, Candidates.Count).MinBy(c => Error(c, skip));

        var scan = Candidates.Select((c, i) => new SpreadCandidate(c, Error(i, -1))).ToList();
        var heldOut = rows.Select((m, r) =>
        {
            var c = Best(r);
            return new HeldOutRow(m, Candidates[c], predicted[c][r]);
        }).ToList();
        return new CalibrationResult(scan, Candidates[Best(-1)], heldOut);
    }
}

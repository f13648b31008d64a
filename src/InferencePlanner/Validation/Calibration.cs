using InferencePlanner.Hardware;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;

namespace InferencePlanner.Validation;

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
        var predicted = Candidates.Select(c => rows.Select((m, r) => Validator.Roofline(m, policies[r], options with { Imbalance = null, ExpertLoadSpread = c })).ToArray()).ToArray();
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

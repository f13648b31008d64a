using InferencePlanner.Validation;

namespace InferencePlanner.Reporting;

/// <content>
/// TPOT against concurrency: what one more request in flight adds to every request's TPOT, measured and predicted,
/// by framework and the engine's attention TP.
/// </content>
public static partial class ServingValidationReport
{
    /// <summary>Most requests in flight at which <see cref="ConcurrencyCosts"/> reads a deployment's TPOT against its concurrency.</summary>
    public const int ConcurrencyCostMaxConcurrency = 64;

    /// <summary>Fewest distinct concurrencies (at most <see cref="ConcurrencyCostMaxConcurrency"/>) a deployment needs for a line.</summary>
    public const int ConcurrencyCostMinConcurrencies = 3;

    /// <summary>
    /// What a request in flight costs in TPOT, for one framework and attention TP, read from the aggregated deployments
    /// measured at <see cref="ConcurrencyCostMinConcurrencies"/> or more concurrencies up to
    /// <see cref="ConcurrencyCostMaxConcurrency"/> with one ISL/OSL. Each deployment's TPOTs, the medians at each
    /// concurrency, get a least-squares line; the slope is what one more request adds to every request's TPOT (its KV
    /// reads, its share of the prompts that share the steps, the host's per-request work), the intercept what a step
    /// costs besides. Medians over the deployments.
    /// </summary>
    /// <param name="Stratum">Framework and the engine's attention TP.</param>
    /// <param name="Deployments">Deployments read (one per model, GPU, ISL/OSL and deployment).</param>
    /// <param name="MeasuredUsPerRequest">Measured slope, microseconds of TPOT per request in flight.</param>
    /// <param name="PredictedUsPerRequest">Predicted slope, microseconds of TPOT per request in flight.</param>
    /// <param name="SlopeRatio">Predicted over measured slope, the median over the deployments (below 1: requests priced too cheap).</param>
    /// <param name="InterceptRatio">Predicted over measured intercept, the median over the deployments.</param>
    public sealed record ConcurrencyCost(string Stratum, int Deployments, double MeasuredUsPerRequest, double PredictedUsPerRequest, double SlopeRatio, double InterceptRatio);

    /// <summary>The concurrency costs of each framework and attention TP with at least one deployment (see <see cref="ConcurrencyCost"/>).</summary>
    public static IReadOnlyList<ConcurrencyCost> ConcurrencyCosts(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return
        [
            .. ConcurrencyLines(predictions).GroupBy(l => (l.Case.Framework.Name, l.Case.DecodeShape.Tp)).OrderBy(g => g.Key.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Tp).Select(g => new ConcurrencyCost(
                FormattableString.Invariant($"{g.Key.Name} / TP{g.Key.Tp}"),
                g.Count(),
                ErrorStats.Median(g.Select(l => l.Measured.Slope * 1000)),
                ErrorStats.Median(g.Select(l => l.Predicted.Slope * 1000)),
                ErrorStats.Median(g.Where(l => l.Measured.Slope > 0).Select(l => l.Predicted.Slope / l.Measured.Slope).DefaultIfEmpty(double.NaN)),
                ErrorStats.Median(g.Where(l => l.Measured.Intercept > 0).Select(l => l.Predicted.Intercept / l.Measured.Intercept).DefaultIfEmpty(double.NaN)))),
        ];
    }

    // Each aggregated deployment's TPOT against concurrency at one ISL/OSL, measured at ConcurrencyCostMinConcurrencies
    // or more concurrencies up to ConcurrencyCostMaxConcurrency: the least-squares lines through the median TPOT at each
    // concurrency, measured and predicted, with the first row's case.
    private static List<(Validation.ServingCase Case, Line Measured, Line Predicted)> ConcurrencyLines(IReadOnlyList<ServingPrediction> predictions)
    {
        var lines = new List<(Validation.ServingCase Case, Line Measured, Line Predicted)>();
        foreach (var g in predictions.Where(p => p.Predicted && p.Case!.Mode == Serving.ServingMode.Aggregated && p.Case.Workload.Concurrency <= ConcurrencyCostMaxConcurrency)
            .GroupBy(p => (p.Case!.Stratum, p.Case.Deployment, p.Case.Workload.Isl, p.Case.Workload.Osl)))
        {
            var byConcurrency = g.GroupBy(p => p.Case!.Workload.Concurrency).OrderBy(c => c.Key).ToList();
            if (byConcurrency.Count < ConcurrencyCostMinConcurrencies)
            {
                continue;
            }

            double[] x = [.. byConcurrency.Select(c => (double)c.Key)];
            var measured = Fit(x, [.. byConcurrency.Select(c => ErrorStats.Median(c.Select(p => p.MeasuredTpotMs!.Value)))]);
            var predicted = Fit(x, [.. byConcurrency.Select(c => ErrorStats.Median(c.Select(p => p.PredictedTpotMs!.Value)))]);
            lines.Add((g.First().Case!, measured, predicted));
        }

        return lines;
    }
}

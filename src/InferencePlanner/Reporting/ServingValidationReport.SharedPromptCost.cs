using InferencePlanner.Validation;

namespace InferencePlanner.Reporting;

/// <content>
/// TPOT's share of the prompts: what a prompt token costs the steps it shares with decode, measured and predicted, read
/// from how a deployment's concurrency cost grows with the prompt tokens each output token carries.
/// </content>
public static partial class ServingValidationReport
{
    /// <summary>Fewest ISL/OSL shapes (with a concurrency line each) a deployment needs for <see cref="SharedPromptCosts"/>.</summary>
    public const int SharedPromptMinShapes = 3;

    /// <summary>
    /// What one prompt token costs the steps it shares with decode, for one model, GPU and framework, read from the
    /// aggregated deployments whose concurrency line (<see cref="ConcurrencyCost"/>) was measured at
    /// <see cref="SharedPromptMinShapes"/> or more ISL/OSL shapes. In the steady state each request in flight brings
    /// ISL / (OSL - 1) prompt tokens into the steps per output token (those the prefix cache misses,
    /// <see cref="Serving.ServingWorkload.MissedTokens"/>), so a deployment's TPOT per request in flight grows
    /// with that ratio at the price of one prompt token in a step; a least-squares line through the shapes' slopes
    /// against the ratio gives it (its intercept is what a request costs besides: KV reads, host work). Medians over
    /// the deployments.
    /// </summary>
    /// <param name="Stratum">Model, GPU, mode and framework.</param>
    /// <param name="Deployments">Deployments read (framework, precisions and layout).</param>
    /// <param name="MeasuredUsPerPromptToken">Measured price of one prompt token in a shared step, microseconds.</param>
    /// <param name="PredictedUsPerPromptToken">Predicted price, microseconds.</param>
    /// <param name="Ratio">Predicted over measured price, the median over the deployments (above 1: prompts sharing the steps priced too dear).</param>
    public sealed record SharedPromptCost(string Stratum, int Deployments, double MeasuredUsPerPromptToken, double PredictedUsPerPromptToken, double Ratio);

    /// <summary>The shared prompt costs of each model, GPU and framework with at least one deployment (see <see cref="SharedPromptCost"/>).</summary>
    public static IReadOnlyList<SharedPromptCost> SharedPromptCosts(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var prices = new List<(string Stratum, double Measured, double Predicted)>();
        foreach (var d in ConcurrencyLines(predictions).GroupBy(l => (l.Case.Stratum, l.Case.Deployment)))
        {
            var shapes = d.ToList();
            double[] ratio = [.. shapes.Select(l => l.Case.Workload.MissedTokens / (l.Case.Workload.Osl - 1.0))];
            if (shapes.Count < SharedPromptMinShapes || ratio.Distinct().Count() < 2)
            {
                continue;
            }

            var measured = Fit(ratio, [.. shapes.Select(l => l.Measured.Slope)]).Slope * 1000;
            var predicted = Fit(ratio, [.. shapes.Select(l => l.Predicted.Slope)]).Slope * 1000;
            prices.Add((d.Key.Stratum, measured, predicted));
        }

        return
        [
            .. prices.GroupBy(p => p.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new SharedPromptCost(
                g.Key,
                g.Count(),
                ErrorStats.Median(g.Select(p => p.Measured)),
                ErrorStats.Median(g.Select(p => p.Predicted)),
                ErrorStats.Median(g.Where(p => p.Measured > 0).Select(p => p.Predicted / p.Measured).DefaultIfEmpty(double.NaN)))),
        ];
    }
}

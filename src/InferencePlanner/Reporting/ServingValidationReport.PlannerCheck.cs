using InferencePlanner.Units;
using InferencePlanner.Validation;

namespace InferencePlanner.Reporting;

/// <content>
/// The planner check: in each group of measured rows, the deployment the planner ranks best against the best measured
/// one, and what the outcome rests on.
/// </content>
public static partial class ServingValidationReport
{
    /// <summary>
    /// The planner's choice in one group of measured rows (model, GPU, ISL/OSL and mode), restricted to the deployments
    /// measured there (framework, precisions and layout), under a TPOT target at the group's median measured TPOT. Each
    /// deployment's throughput under the target is the most output tokens/s per GPU of its rows that meet it (predicted
    /// for the planner's ranking, measured for the check); the planner chooses the deployment it ranks best.
    /// </summary>
    /// <param name="Group">The group.</param>
    /// <param name="Deployments">Deployments measured in it.</param>
    /// <param name="TargetTpotMs">The target: TPOT at most this (the group's median measured TPOT).</param>
    /// <param name="Chosen">The deployment the planner ranks best.</param>
    /// <param name="BestMeasured">The deployment with the most measured output tokens/s per GPU under the target.</param>
    /// <param name="Share">The chosen deployment's measured output tokens/s per GPU under the target over the best's (0 when none of its rows meets the target).</param>
    public sealed record PlannerChoice(string Group, int Deployments, double TargetTpotMs, string Chosen, string BestMeasured, double Share)
    {
        /// <summary>Whether the choice reaches 90% of the best measured throughput under the target.</summary>
        public bool Good => Share >= 0.9;
    }

    /// <summary>
    /// The planner's choice in each group with at least two measured deployments; with <paramref name="byFramework"/>,
    /// each framework's deployments of a group form a group of their own (a plan searches one framework).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The check orders measured deployments, so it reads only the rows whose deployment is known: a row several of the
    /// benchmark's recipes could have run (<see cref="ServingCase.SeveralRecipes"/>: with MTP and without, or two worker
    /// counts), or a run the dataset gives twice with columns that read as two deployments
    /// (<see cref="ServingCase.ReadTwoWays"/>), measured one of them, and nothing says which, so it is no measurement of
    /// either. Nor is a disaggregated row whose worker counts neither it nor a recipe gives
    /// (<see cref="ServingCase.UnstatedWorkers"/>): its measured output tokens/s per GPU divides by GPUs the reading
    /// sized. With <paramref name="everyRow"/> such rows count too, a row of several readings as the deployment of its
    /// first, priced at the geometric mean of its readings: what the check gave before it left them out.
    /// </para>
    /// <para>
    /// <paramref name="targetQuantile"/> moves the target from the median (0.5) to another quantile of the group's
    /// measured TPOT, interpolated between rows: how much the outcome depends on where the target falls.
    /// </para>
    /// </remarks>
    public static IReadOnlyList<PlannerChoice> PlannerChoices(IReadOnlyList<ServingPrediction> predictions, bool byFramework = false, double targetQuantile = 0.5, bool everyRow = false)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (!(targetQuantile > 0 && targetQuantile < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetQuantile), targetQuantile, "a quantile strictly between 0 and 1");
        }

        var choices = new List<PlannerChoice>();
        foreach (var g in predictions.Where(p => p.Predicted && (everyRow || p.Case!.DeploymentKnown)).GroupBy(p => byFramework ? $"{p.Case!.Group} / {p.Case.Framework.Name}" : p.Case!.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var target = Quantile([.. g.Select(p => p.MeasuredTpotMs!.Value)], targetQuantile);
            var deployments = g.GroupBy(p => p.Case!.Deployment).Select(d => (
                Key: d.Key,
                Predicted: d.Where(p => p.PredictedTpotMs <= target).Select(p => p.PredictedThroughput).DefaultIfEmpty(0).Max(),
                // Where no row is predicted to meet the target, the deployment ranks by how close it comes.
                Closest: d.Min(p => p.PredictedTpotMs!.Value),
                Measured: d.Where(p => p.MeasuredTpotMs <= target).Select(p => p.MeasuredThroughput).DefaultIfEmpty(0).Max())).ToList();
            if (deployments.Count < 2)
            {
                continue;
            }

            var best = deployments.MaxBy(d => d.Measured);
            var chosen = deployments.Any(d => d.Predicted > 0) ? deployments.MaxBy(d => d.Predicted) : deployments.MinBy(d => d.Closest);
            choices.Add(new PlannerChoice(g.Key, deployments.Count, target, chosen.Key, best.Key, best.Measured > 0 ? chosen.Measured / best.Measured : 0));
        }

        return choices;
    }

    /// <summary>
    /// The planner check on held-out predictions: each row as the fold that held its GPU (or model) out of the
    /// calibration predicted it, with the constants fitted on the other rows. A group holds one model and one GPU, so
    /// one fold predicts all its rows. The figure the fitted check stands beside, as the held-out errors stand beside
    /// the fitted ones.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesHeldOut(IReadOnlyList<HeldOutFold> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        return PlannerChoices([.. folds.SelectMany(f => f.Predictions)]);
    }

    /// <summary>
    /// The planner check with the measured TPOT (or TTFT) in place of the predicted one: how much of the check's
    /// outcome rests on each. With both measured every group reaches the best.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithMeasured(IReadOnlyList<ServingPrediction> predictions, bool tpot, bool ttft)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return PlannerChoices(
        [
            .. predictions.Select(p => p.Predicted
                ? p with { PredictedTpotMs = tpot ? p.MeasuredTpotMs : p.PredictedTpotMs, PredictedTtftMs = ttft ? p.MeasuredTtftMs : p.PredictedTtftMs }
                : p),
        ]);
    }

    /// <summary>
    /// The planner check with each row's predicted TTFT and TPOT replaced by the medians of the measured ones over the
    /// rows that describe the same run (group, deployment and concurrency): what a model that knew everything the rows
    /// state, and nothing they leave out, could reach. Where one deployment at one concurrency was measured more than
    /// once with different results (runs that differed in what the rows do not say), no model of the rows can tell
    /// them apart; what this leaves out of reach is only that.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithDescribedRunMedians(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var medians = predictions.Where(p => p.Predicted).GroupBy(p => p.Case!.Run, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => (Ttft: ErrorStats.Median([.. g.Select(p => p.MeasuredTtftMs!.Value)]), Tpot: ErrorStats.Median([.. g.Select(p => p.MeasuredTpotMs!.Value)])),
            StringComparer.Ordinal);
        return PlannerChoices(
        [
            .. predictions.Select(p => p.Predicted ? p with { PredictedTtftMs = medians[p.Case!.Run].Ttft, PredictedTpotMs = medians[p.Case!.Run].Tpot } : p),
        ]);
    }

    /// <summary>
    /// The planner check with each stratum's (model, GPU, mode, framework) median TPOT bias divided out of its predicted
    /// TPOTs, fitted on the very rows it is scored on: what the check would give if every stratum had a constant of
    /// its own, a bound no calibration of one constant per stratum can beat. What it leaves out of reach is the shape
    /// of TPOT across layouts and concurrencies within a stratum.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithStratumBiasRemoved(IReadOnlyList<ServingPrediction> predictions) =>
        PlannerChoicesWithBiasRemoved(predictions, p => p.Case!.Stratum);

    /// <summary>
    /// The planner check with the median TPOT bias of each stratum's decode shape divided out: each model / GPU / mode /
    /// framework, by the decode engine's attention TP and the requests in flight per decode GPU (the bands of
    /// <see cref="ByDecodeShape"/>), fitted on the very rows it is scored on. A bound on what a correction of TPOT's
    /// shape across layouts and concurrencies could reach at that grain; what it leaves is the scatter of rows within
    /// one shape.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithShapeBiasRemoved(IReadOnlyList<ServingPrediction> predictions) =>
        PlannerChoicesWithBiasRemoved(predictions, p => FormattableString.Invariant($"{p.Case!.Stratum} / TP{p.Case.DecodeShape.Tp} / {RequestsBand(p.Case.DecodeShape.RequestsPerGpu)}"));

    /// <summary>
    /// The planner check with the median TPOT bias of each deployment divided out: each model / GPU / mode / framework's
    /// deployment (precisions and layout), over every workload (ISL/OSL) and concurrency it was measured at, fitted on the
    /// very rows it is scored on. A bound on what a model could reach that priced each deployment at the right level
    /// relative to the others and still missed how its TPOT moves with the workload and the concurrency; what it leaves is
    /// that movement.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithDeploymentBiasRemoved(IReadOnlyList<ServingPrediction> predictions) =>
        PlannerChoicesWithBiasRemoved(predictions, p => $"{p.Case!.Stratum} / {p.Case.Deployment}");

    /// <summary>
    /// The planner check with the median TPOT bias of each deployment at each workload divided out (the group and the
    /// deployment: one bias per deployment's concurrency sweep), fitted on the very rows it is scored on. A bound on what a
    /// model could reach that priced every sweep at the right level and missed only how TPOT moves with the concurrency
    /// within it.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithSweepBiasRemoved(IReadOnlyList<ServingPrediction> predictions) =>
        PlannerChoicesWithBiasRemoved(predictions, p => $"{p.Case!.Group} / {p.Case.Deployment}");

    private static IReadOnlyList<PlannerChoice> PlannerChoicesWithBiasRemoved(IReadOnlyList<ServingPrediction> predictions, Func<ServingPrediction, string> cell)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var bias = predictions.Where(p => p.Predicted).GroupBy(cell)
            .ToDictionary(g => g.Key, g => ErrorStats.Median([.. g.Select(p => p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value)]), StringComparer.Ordinal);
        return PlannerChoices(
        [
            .. predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.PredictedTpotMs / bias[cell(p)] } : p),
        ]);
    }

    /// <summary>The share of groups the goal asks the planner check to pass.</summary>
    public const double PlannerGoalShare = 0.8;

    /// <summary>Draws of random errors over which <see cref="PlannerNoise"/> takes its medians.</summary>
    public const int NoiseDraws = 21;

    /// <summary>The spreads of random TPOT error <see cref="PlannerNoise"/> tries, natural log: 0.02 to 0.40 in steps of 0.02.</summary>
    public static IReadOnlyList<double> NoiseSigmas { get; } = [.. Enumerable.Range(1, 20).Select(i => Math.Round(i * 0.02, 2))];

    /// <summary>
    /// What the planner check gives for a model whose TPOT errors have no bias and no pattern: each row's TPOT read as
    /// its measured TPOT times exp(<paramref name="sigma"/> x a standard normal draw), independently, the predicted
    /// TTFT kept. The draws come from a generator seeded with <paramref name="seed"/>, so a seed gives the same outcome
    /// on every run.
    /// </summary>
    public static IReadOnlyList<PlannerChoice> PlannerChoicesWithRandomTpotErrors(IReadOnlyList<ServingPrediction> predictions, double sigma, int seed)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (!(sigma >= 0) || !double.IsFinite(sigma))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "a finite spread of at least 0");
        }

        var random = new Random(seed);
        return PlannerChoices(
        [
            .. predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.MeasuredTpotMs * Math.Exp(sigma * StandardNormal(random)) } : p),
        ]);
    }

    /// <summary>
    /// How the planner check's outcome depends on the size of TPOT errors alone: the spread of this model's held-out
    /// errors, what the check gives for errors of that spread with no pattern, and the widest spread at which it still
    /// meets the goal.
    /// </summary>
    /// <param name="ModelSigma">The spread (natural log) of a normal whose median absolute value is the median absolute log error of the held-out predicted TPOTs (each GPU held out) over the rows the check reads (their deployment known).</param>
    /// <param name="GroupsAtModelSigma">Groups within 90% of the best measured with random errors of that spread, the median over the draws.</param>
    /// <param name="Groups">Groups in the check.</param>
    /// <param name="GoalSigma">The widest spread of <see cref="NoiseSigmas"/> up to which the median over the draws meets <see cref="PlannerGoalShare"/> of the groups at every spread (0: not even the narrowest).</param>
    /// <param name="GroupsBySigma">The median over the draws at each spread of <see cref="NoiseSigmas"/>.</param>
    public sealed record PlannerNoise(double ModelSigma, int GroupsAtModelSigma, int Groups, double GoalSigma, IReadOnlyList<(double Sigma, int Groups)> GroupsBySigma);

    /// <summary>
    /// The planner check under random TPOT errors (<see cref="PlannerChoicesWithRandomTpotErrors"/>), at each spread of
    /// <see cref="NoiseSigmas"/> and at the spread of the held-out errors, <see cref="NoiseDraws"/> draws each (seeds 1
    /// to <see cref="NoiseDraws"/>).
    /// </summary>
    public static PlannerNoise PlannerNoiseOf(IReadOnlyList<ServingPrediction> predictions, IReadOnlyList<ServingPrediction> heldOut)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(heldOut);
        var logErrors = heldOut.Where(p => p.Predicted && p.Case!.DeploymentKnown).Select(p => Math.Abs(Math.Log(p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value))).ToList();
        var modelSigma = logErrors.Count == 0 ? 0 : ErrorStats.Median(logErrors) / MedianAbsNormal;
        var groups = PlannerChoices(predictions).Count;

        int MedianGood(double sigma) => (int)ErrorStats.Median(
            [.. Enumerable.Range(1, NoiseDraws).Select(seed => (double)PlannerChoicesWithRandomTpotErrors(predictions, sigma, seed).Count(c => c.Good))]);

        var bySigma = NoiseSigmas.Select(s => (s, MedianGood(s))).ToList();
        var goal = bySigma.TakeWhile(x => x.Item2 >= PlannerGoalShare * groups).Select(x => x.s).DefaultIfEmpty(0).Last();
        return new PlannerNoise(modelSigma, MedianGood(modelSigma), groups, goal, bySigma);
    }

    /// <summary>A standard normal's median absolute value: a normal of spread sigma has half its draws within 0.674 sigma of 0.</summary>
    public const double MedianAbsNormal = 0.6744897501960817;

    // A standard normal draw (Box-Muller).
    private static double StandardNormal(Random random)
    {
        var u = 1 - random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}

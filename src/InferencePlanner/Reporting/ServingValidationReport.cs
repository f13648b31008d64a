using InferencePlanner.Units;
using System.Text.Json;
using InferencePlanner.Validation;

namespace InferencePlanner.Reporting;

/// <summary>The serving level against measured serving points: errors by stratum, overall, held out, coverage and ranking.</summary>
public static partial class ServingValidationReport
{
    /// <summary>What validate --serving computes.</summary>
    /// <param name="Predictions">Every row, predicted or with the reason it is not.</param>
    /// <param name="Calibration">The calibration and its folds.</param>
    public sealed record Outcome(IReadOnlyList<ServingPrediction> Predictions, ServingCalibration.Result Calibration)
    {
        /// <summary>The runs one row states the layout of and another gives read by the recipes (<see cref="ServingValidator.Read"/>).</summary>
        public IReadOnlyList<RecipeCheck> RecipeChecks { get; init; } = [];

        /// <summary>The rows with a prediction.</summary>
        public IReadOnlyList<ServingPrediction> Predicted => [.. Predictions.Where(p => p.Predicted)];

        /// <summary>TPOT errors over the predicted rows.</summary>
        public ErrorStats Tpot => ErrorStats.Of([.. Predicted.Select(p => p.TpotErrorPercent)]);

        /// <summary>TTFT errors over the predicted rows.</summary>
        public ErrorStats Ttft => ErrorStats.Of([.. Predicted.Select(p => p.TtftErrorPercent)]);

        /// <summary>Rows that restate a run another row gives, which is scored once (<see cref="ServingValidator.RestatedReason"/>).</summary>
        public int Restated => Predictions.Count(p => p.Reason == ServingValidator.RestatedReason);

        /// <summary>
        /// Predicted rows read as several deployments, priced at the geometric mean of their readings: rows that more than
        /// one of the benchmark's recipes could have measured (with MTP and without on one image, or two worker counts;
        /// <see cref="ServingCase.SeveralRecipes"/>), and runs the dataset gives twice with columns that read as two
        /// deployments (<see cref="ServingCase.ReadTwoWays"/>). Nothing tells which ran.
        /// </summary>
        public IReadOnlyList<ServingPrediction> SeveralReadings => [.. Predicted.Where(p => p.Case!.ReadSeveralWays)];

        /// <summary>
        /// Predicted rows of no known deployment, which the planner check leaves out: those of <see cref="SeveralReadings"/>,
        /// and disaggregated rows whose worker counts neither the row nor a recipe gives (<see cref="ServingCase.UnstatedWorkers"/>),
        /// whose GPUs, and so their measured output tokens/s per GPU, are an assumption.
        /// </summary>
        public IReadOnlyList<ServingPrediction> DeploymentUnknown => [.. Predicted.Where(p => !p.Case!.DeploymentKnown)];

        /// <summary>Rows predicted over the runs given: every row but those restating an earlier one.</summary>
        public double Coverage => Predictions.Count - Restated == 0 ? 0 : (double)Predicted.Count / (Predictions.Count - Restated);

        /// <summary>TPOT errors with each GPU held out of the calibration.</summary>
        public ErrorStats TpotGpuHeldOut => Held(Calibration.ByGpu, p => p.TpotErrorPercent);

        /// <summary>TTFT errors with each GPU held out.</summary>
        public ErrorStats TtftGpuHeldOut => Held(Calibration.ByGpu, p => p.TtftErrorPercent);

        /// <summary>TPOT errors with each model held out.</summary>
        public ErrorStats TpotModelHeldOut => Held(Calibration.ByModel, p => p.TpotErrorPercent);

        /// <summary>TTFT errors with each model held out.</summary>
        public ErrorStats TtftModelHeldOut => Held(Calibration.ByModel, p => p.TtftErrorPercent);

        private static ErrorStats Held(IReadOnlyList<HeldOutFold> folds, Func<ServingPrediction, double> error) =>
            ErrorStats.Of([.. folds.SelectMany(f => f.Predictions).Where(p => p.Predicted).Select(error)]);

        /// <summary>Spearman rank correlation of predicted and measured output tokens/s per GPU in each group of model, GPU, ISL/OSL and mode (groups of at least 3 rows).</summary>
        public IReadOnlyList<(string Group, int Rows, double Spearman)> Ranking =>
        [
            .. Predicted.GroupBy(p => p.Case!.Group).Where(g => g.Count() >= 3).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, g.Count(), Spearman([.. g.Select(p => p.MeasuredThroughput)], [.. g.Select(p => p.PredictedThroughput)]))),
        ];
    }

    /// <summary>
    /// Each framework and mode's band, and each decode attention TP's within it where it has at least
    /// <see cref="Serving.ErrorBand.MinRowsPerTp"/> rows: the 10th and 90th percentiles of measured over predicted TTFT
    /// and TPOT with each GPU held out of the calibration, rounded to 0.01 as data/measurements/serving/error-bands.json
    /// ships them.
    /// </summary>
    public static IReadOnlyList<Serving.ErrorBand> ErrorBands(Outcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var bands = new List<Serving.ErrorBand>();
        foreach (var g in o.Calibration.ByGpu.SelectMany(f => f.Predictions).Where(p => p.Predicted)
            .GroupBy(p => (p.Case!.Framework.Name, p.Case.Mode)).OrderBy(g => g.Key.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Mode))
        {
            bands.Add(Band(g.Key.Name, g.Key.Mode, null, [.. g]));
            foreach (var t in g.GroupBy(p => Serving.ErrorBand.TpBucket(p.Case!.DecodeShape.Tp)).Where(t => t.Count() >= Serving.ErrorBand.MinRowsPerTp).OrderBy(t => t.Key))
            {
                bands.Add(Band(g.Key.Name, g.Key.Mode, t.Key, [.. t]));
            }
        }

        return bands;

        static Serving.ErrorBand Band(string framework, Serving.ServingMode mode, int? tp, List<ServingPrediction> rows)
        {
            double Q(Func<ServingPrediction, double> ratio, double q) => Math.Round(Quantile([.. rows.Select(ratio)], q), 2);
            static double Ttft(ServingPrediction p) => p.MeasuredTtftMs!.Value / p.PredictedTtftMs!.Value;
            static double Tpot(ServingPrediction p) => p.MeasuredTpotMs!.Value / p.PredictedTpotMs!.Value;
            return new Serving.ErrorBand(framework, mode, tp, rows.Count,
                Q(Ttft, Serving.ErrorBand.LowQuantile), Q(Ttft, Serving.ErrorBand.HighQuantile), Q(Tpot, Serving.ErrorBand.LowQuantile), Q(Tpot, Serving.ErrorBand.HighQuantile));
        }
    }

    // The q-quantile of the values, interpolated linearly between the sorted values (the median at q = 0.5).
    private static double Quantile(double[] values, double q)
    {
        Array.Sort(values);
        var x = q * (values.Length - 1);
        var i = (int)Math.Floor(x);
        return i + 1 < values.Length ? values[i] + ((x - i) * (values[i + 1] - values[i])) : values[i];
    }

    /// <summary>A straight line: a time in ms against what it grows with (prompt tokens, requests in flight).</summary>
    private readonly record struct Line(double Slope, double Intercept);

    // The least-squares line through the points (x, y); x holds at least two distinct values.
    private static Line Fit(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }

        var slope = sxy / sxx;
        return new Line(slope, my - (slope * mx));
    }

    /// <summary>Most requests in flight at which <see cref="PromptCosts"/> reads a deployment's TTFT against its prompt length.</summary>
    public const int PromptCostMaxConcurrency = 8;

    /// <summary>
    /// What a prompt costs in one stratum, read from pairs of measured rows: the same aggregated deployment, output
    /// length and concurrency (at most <see cref="PromptCostMaxConcurrency"/>) at its shortest and longest prompt. The
    /// slope of TTFT against prompt length is what the prefill costs per token; the intercept, TTFT less the slope's
    /// part, is what a request costs besides (overheads and the wait at that concurrency). Medians over the pairs.
    /// </summary>
    /// <param name="Stratum">Model / GPU / mode / framework.</param>
    /// <param name="Pairs">Pairs of rows read.</param>
    /// <param name="MeasuredMsPer1kTokens">Measured TTFT slope, ms per 1,000 prompt tokens.</param>
    /// <param name="PredictedMsPer1kTokens">Predicted TTFT slope, ms per 1,000 prompt tokens.</param>
    /// <param name="SlopeRatio">Predicted over measured slope, the median over the pairs (below 1: prompts priced too cheap).</param>
    /// <param name="MeasuredInterceptMs">Measured TTFT less the slope's part, ms.</param>
    /// <param name="PredictedInterceptMs">Predicted TTFT less the slope's part, ms.</param>
    public sealed record PromptCost(string Stratum, int Pairs, double MeasuredMsPer1kTokens, double PredictedMsPer1kTokens, double SlopeRatio, double MeasuredInterceptMs, double PredictedInterceptMs);

    /// <summary>The prompt costs of each stratum with at least one pair of rows (see <see cref="PromptCost"/>).</summary>
    public static IReadOnlyList<PromptCost> PromptCosts(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var pairs = new List<(string Stratum, double Measured, double Predicted, double MeasuredIntercept, double PredictedIntercept)>();
        foreach (var g in predictions.Where(p => p.Predicted && p.Case!.Mode == Serving.ServingMode.Aggregated && p.Case.Workload.Concurrency <= PromptCostMaxConcurrency)
            .GroupBy(p => (p.Case!.Stratum, p.Case.Deployment, p.Case.Workload.Concurrency, p.Case.Workload.Osl)))
        {
            var byIsl = g.GroupBy(p => p.Case!.Workload.Isl).OrderBy(i => i.Key).ToList();
            if (byIsl.Count < 2)
            {
                continue;
            }

            double[] isl = [byIsl[0].Key, byIsl[^1].Key];
            var measured = Fit(isl, [ErrorStats.Median(byIsl[0].Select(p => p.MeasuredTtftMs!.Value)), ErrorStats.Median(byIsl[^1].Select(p => p.MeasuredTtftMs!.Value))]);
            var predicted = Fit(isl, [ErrorStats.Median(byIsl[0].Select(p => p.PredictedTtftMs!.Value)), ErrorStats.Median(byIsl[^1].Select(p => p.PredictedTtftMs!.Value))]);
            pairs.Add((g.Key.Stratum, measured.Slope * 1000, predicted.Slope * 1000, measured.Intercept, predicted.Intercept));
        }

        return
        [
            .. pairs.GroupBy(p => p.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new PromptCost(
                g.Key,
                g.Count(),
                ErrorStats.Median(g.Select(p => p.Measured)),
                ErrorStats.Median(g.Select(p => p.Predicted)),
                ErrorStats.Median(g.Where(p => p.Measured > 0).Select(p => p.Predicted / p.Measured).DefaultIfEmpty(double.NaN)),
                ErrorStats.Median(g.Select(p => p.MeasuredIntercept)),
                ErrorStats.Median(g.Select(p => p.PredictedIntercept)))),
        ];
    }

    // Upper ends of the bands of requests in flight per decode GPU that ByDecodeShape groups rows by.
    private static readonly double[] RequestsPerGpuBands = [2, 8, 32, double.PositiveInfinity];

    // The band of RequestsPerGpuBands that holds a decode GPU's requests in flight.
    private static int RequestsBand(double requestsPerGpu) => Array.FindIndex(RequestsPerGpuBands, b => requestsPerGpu <= b);

    /// <summary>
    /// TPOT errors by the decode engine's attention TP and the requests in flight per decode GPU (up to 2, 2 to 8, 8 to
    /// 32, more): where the model's bias changes with the layout, a planner that trusts it leans towards the layouts it
    /// predicts too fast.
    /// </summary>
    public static IReadOnlyList<(string Shape, ErrorStats Tpot)> ByDecodeShape(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return
        [
            .. predictions.Where(p => p.Predicted)
                .Select(p => (p, Shape: p.Case!.DecodeShape, Band: RequestsBand(p.Case!.DecodeShape.RequestsPerGpu)))
                .GroupBy(x => (x.Shape.Tp, x.Band))
                .OrderBy(g => g.Key.Tp).ThenBy(g => g.Key.Band)
                .Select(g => (Band(g.Key.Tp, g.Key.Band), ErrorStats.Of([.. g.Select(x => x.p.TpotErrorPercent)]))),
        ];

        static string Band(int tp, int band)
        {
            var low = band == 0 ? 0 : RequestsPerGpuBands[band - 1];
            var high = RequestsPerGpuBands[band];
            var requests = double.IsPositiveInfinity(high)
                ? FormattableString.Invariant($"more than {low:0}")
                : FormattableString.Invariant($"{(band == 0 ? "up to" : $"{low:0} to")} {high:0}");
            return $"TP{tp}, {requests} requests per GPU";
        }
    }

    private static IEnumerable<IReadOnlyList<Cell>> RecipeCheckRows(IReadOnlyList<RecipeCheck> checks)
    {
        foreach (var (agreement, label) in new[] { (RecipeAgreement.Deployment, "the stated deployment"), (RecipeAgreement.Workers, "the stated workers, another layout, batch cap or MTP"), (RecipeAgreement.None, "other worker counts") })
        {
            var these = checks.Where(c => c.Agreement == agreement).ToList();
            var example = these.FirstOrDefault();
            yield return [label, Cell.Of(these.Count, 0), example?.Stated.Deployment ?? "", example?.Nearest.Deployment ?? ""];
        }
    }

    /// <summary>Predicts <paramref name="rows"/> with the built-in frameworks and calibrates with held-out folds.</summary>
    public static Outcome Run(IReadOnlyList<ServingMeasurement> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var (cases, unread, checks) = ServingValidator.Read(rows);
        var predictions = ServingValidator.Predict(cases, f => f);
        var calibration = ServingCalibration.Run(cases);

        // Back into the file's order: the read and unread rows each keep it.
        var merged = new List<ServingPrediction>(rows.Count);
        int c = 0, u = 0;
        foreach (var row in rows)
        {
            merged.Add(c < cases.Count && ReferenceEquals(cases[c].Row, row) ? predictions[c++] : unread[u++]);
        }

        return new Outcome(merged, calibration) { RecipeChecks = checks };
    }

    /// <summary>The tables.</summary>
    public static Document Document(Outcome o, string source)
    {
        ArgumentNullException.ThrowIfNull(o);
        var summary = new List<IReadOnlyList<Cell>>
        {
            Row("all rows, shipped constants", o.Tpot, o.Ttft),
            Row("each GPU held out of the calibration", o.TpotGpuHeldOut, o.TtftGpuHeldOut),
            Row("each model held out of the calibration", o.TpotModelHeldOut, o.TtftModelHeldOut),
        };
        // The rows whose deployment the file states whole, apart from those whose workers it leaves out: read by the
        // benchmark's recipes, or sized.
        var stated = o.Predicted.Where(p => !p.Case!.WorkersUnstated).ToList();
        var recipes = o.Predicted.Where(p => p.Case!.Assumptions.Contains(ServingCase.RecipeWorkers)).ToList();
        var sized = o.Predicted.Where(p => p.Case!.Assumptions.Contains(ServingCase.UnstatedWorkers)).ToList();
        if (recipes.Count + sized.Count > 0)
        {
            summary.Add(Row("  of them, rows that state their whole deployment", ErrorStats.Of([.. stated.Select(p => p.TpotErrorPercent)]), ErrorStats.Of([.. stated.Select(p => p.TtftErrorPercent)])));
        }

        if (recipes.Count > 0)
        {
            summary.Add(Row("  of them, disaggregated rows read by the benchmark's recipes", ErrorStats.Of([.. recipes.Select(p => p.TpotErrorPercent)]), ErrorStats.Of([.. recipes.Select(p => p.TtftErrorPercent)])));
        }

        if (sized.Count > 0)
        {
            summary.Add(Row("  of them, disaggregated rows read with sized worker counts", ErrorStats.Of([.. sized.Select(p => p.TpotErrorPercent)]), ErrorStats.Of([.. sized.Select(p => p.TtftErrorPercent)])));
        }

        var several = o.SeveralReadings;
        if (several.Count > 0)
        {
            summary.Add(Row("  of all rows, those read as several deployments (several recipes, or a run read two ways)", ErrorStats.Of([.. several.Select(p => p.TpotErrorPercent)]), ErrorStats.Of([.. several.Select(p => p.TtftErrorPercent)])));
        }

        var strata = o.Predicted.GroupBy(p => p.Case!.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Row(g.Key, ErrorStats.Of([.. g.Select(p => p.TpotErrorPercent)]), ErrorStats.Of([.. g.Select(p => p.TtftErrorPercent)]))).ToList();
        var reasons = o.Predictions.Where(p => !p.Predicted).GroupBy(p => Shorten(p.Reason ?? "")).OrderByDescending(g => g.Count())
            .Select(g => (IReadOnlyList<Cell>)[g.Key, Cell.Of(g.Count(), 0)]).ToList();
        var constants = o.Calibration.Constants.Select(c => (IReadOnlyList<Cell>)[c.Framework, Cell.Of(c.StepOverheadUs, 0), Cell.Of(c.HostUsPerRequest, 0), Cell.Of(c.RequestOverheadMs, 1), c.RequestOverheadWithPostprocessWorkersMs is { } w ? Cell.Of(w, 1) : "", Cell.Of(c.PrefillStepFactor, 1), Cell.Of(c.AllReduceDoublingUs, 0), Cell.Of(c.Rows, 0)]).ToList();
        var ranking = o.Ranking.Select(r => (IReadOnlyList<Cell>)[r.Group, Cell.Of(r.Rows, 0), Cell.Of(r.Spearman, 2)]).ToList();
        var choices = PlannerChoices(o.Predictions);
        var withinFramework = PlannerChoices(o.Predictions, byFramework: true);
        var measuredTpot = PlannerChoicesWithMeasured(o.Predictions, tpot: true, ttft: false);
        var measuredTtft = PlannerChoicesWithMeasured(o.Predictions, tpot: false, ttft: true);
        var lower = PlannerChoices(o.Predictions, targetQuantile: 0.25);
        var upper = PlannerChoices(o.Predictions, targetQuantile: 0.75);
        var unbiased = PlannerChoicesWithStratumBiasRemoved(o.Predictions);
        var reshaped = PlannerChoicesWithShapeBiasRemoved(o.Predictions);
        var leveled = PlannerChoicesWithDeploymentBiasRemoved(o.Predictions);
        var swept = PlannerChoicesWithSweepBiasRemoved(o.Predictions);
        var described = PlannerChoicesWithDescribedRunMedians(o.Predictions);
        var everyRow = PlannerChoices(o.Predictions, everyRow: true);
        var gpuHeldOut = PlannerChoicesHeldOut(o.Calibration.ByGpu);
        var modelHeldOut = PlannerChoicesHeldOut(o.Calibration.ByModel);
        var noise = PlannerNoiseOf(o.Predictions, [.. o.Calibration.ByGpu.SelectMany(f => f.Predictions)]);
        var shapes = ByDecodeShape(o.Predictions).Select(s => (IReadOnlyList<Cell>)[s.Shape, Cell.Of(s.Tpot.Rows, 0), Cell.Of(s.Tpot.MedianAbs, 1), Cell.Of(s.Tpot.Mape, 1), Cell.Of(s.Tpot.Bias, 1), Cell.Of(s.Tpot.Within20, 1)]).ToList();
        var prompts = PromptCosts(o.Predictions).Select(c => (IReadOnlyList<Cell>)[c.Stratum, Cell.Of(c.Pairs, 0), Cell.Of(c.MeasuredMsPer1kTokens, 1), Cell.Of(c.PredictedMsPer1kTokens, 1), Cell.Of(c.SlopeRatio, 2), Cell.Of(c.MeasuredInterceptMs, 0), Cell.Of(c.PredictedInterceptMs, 0)]).ToList();
        var requests = ConcurrencyCosts(o.Predictions).Select(c => (IReadOnlyList<Cell>)[c.Stratum, Cell.Of(c.Deployments, 0), Cell.Of(c.MeasuredUsPerRequest, 0), Cell.Of(c.PredictedUsPerRequest, 0), Cell.Of(c.SlopeRatio, 2), Cell.Of(c.InterceptRatio, 2)]).ToList();
        var shared = SharedPromptCosts(o.Predictions).Select(c => (IReadOnlyList<Cell>)[c.Stratum, Cell.Of(c.Deployments, 0), Cell.Of(c.MeasuredUsPerPromptToken, 1), Cell.Of(c.PredictedUsPerPromptToken, 1), Cell.Of(c.Ratio, 2)]).ToList();
        string[] columns = ["rows scored", "TPOT rows", "TPOT median abs error %", "TPOT MAPE %", "TPOT bias %", "TPOT within 20% (%)", "TTFT median abs error %", "TTFT MAPE %", "TTFT bias %", "TTFT within 20% (%)"];
        return new Document("Serving level against measured serving points", [new("measurements", source), new("rows", o.Predictions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("coverage", $"{o.Predicted.Count} of {o.Predictions.Count - o.Restated} runs predicted ({100 * o.Coverage:F1}%); {o.Restated} rows restate a run another row gives, scored once")],
        [
            new Table("serving-summary", "TTFT and TPOT, predicted against measured", columns, summary,
                ["Error = predicted / measured - 1; bias is the median signed error (positive: predicted slower).", "Held out: each GPU's (each model's) rows predicted with the frameworks' constants calibrated on the other rows of these measurements; the first row keeps the shipped constants, calibrated on the bundled file.",
                    "The rows below the held-out ones split the first: disaggregated rows that give no worker counts are read by the benchmark's recipes, or with sized ones (see data/measurements/serving/README.md), and are left out of the calibration; the last row cuts across them.",
                    "Several recipes could have run a row when more than one of the benchmark's recipes fits it (with MTP and without on one image, or two worker counts) and existed on the day it was measured: the row is priced as each and scored at the geometric mean of the predictions; nothing in its columns tells which ran."]),
            new Table("serving-strata", "By model / GPU / mode / framework", ["stratum", .. columns[1..]], [.. strata.Select(r => (IReadOnlyList<Cell>)r)]),
            new Table("serving-decode-shape", "TPOT by the decode engine's attention TP and requests in flight per decode GPU", ["decode shape", .. columns[1..6]], shapes,
                ["Disaggregated rows count every request as decoding on the decode workers. A bias that changes with TP tilts a planner's choice of layout towards the TPs predicted too fast."]),
            new Table("serving-prompt-cost", $"TTFT against prompt length: aggregated deployments measured at two or more prompt lengths with the same output length and concurrency (at most {PromptCostMaxConcurrency})",
                ["stratum", "pairs", "measured ms per 1k prompt tokens", "predicted ms per 1k prompt tokens", "predicted / measured slope", "measured intercept (ms)", "predicted intercept (ms)"], prompts,
                ["Each pair is one deployment's rows at its shortest and longest prompt; medians over the pairs. The slope is what the prefill costs per token; the intercept, TTFT less the slope's part, what a request costs besides. A slope ratio below 1 with an intercept above the measured one means the prefill is priced too cheap and the calibrated request overhead carries the difference."]),
            new Table("serving-concurrency-cost", $"TPOT against concurrency: aggregated deployments measured at {ConcurrencyCostMinConcurrencies} or more concurrencies up to {ConcurrencyCostMaxConcurrency}, by framework and attention TP",
                ["framework / TP", "deployments", "measured us per request in flight", "predicted us per request in flight", "predicted / measured slope", "predicted / measured intercept"], requests,
                ["Each deployment (model, GPU, ISL/OSL, framework, precisions, layout) gets a least-squares line through its median TPOT at each concurrency; medians over the deployments. The slope is what one more request in flight adds to every request's TPOT: its KV reads, its share of the prompts that share the steps, the host's work per request. A slope ratio that falls as TP grows means the model's per-request cost shrinks with TP faster than the measured one, and tilts the planner towards wide TP."]),
            new Table("serving-shared-prompt-cost", $"TPOT's share of the prompts: aggregated deployments with a concurrency line at {SharedPromptMinShapes} or more ISL/OSL shapes, by model, GPU and framework",
                ["stratum", "deployments", "measured us per prompt token", "predicted us per prompt token", "predicted / measured"], shared,
                ["Each request in flight brings ISL / (OSL - 1) prompt tokens into the steps per output token; a deployment's TPOT per request in flight (the concurrency line's slope) against that ratio rises at the price of one prompt token in a step. Medians over the deployments. Where prompts share steps with decode (TensorRT-LLM, vLLM) the predicted price is the chunk's part of a mixed step plus the prefill step factor's excess; where they run in steps of their own (SGLang) it is the prefill step at the factor."]),
            new Table("serving-calibration", "Calibrated constants (least absolute log error over each framework's rows with a whole layout)", ["framework", "step overhead (us)", "host time per running request (us)", "request overhead (ms)", "with postprocess workers (ms)", "prefill step factor", "all-reduce per doubling (us)", "rows"], constants,
                ["Shipped in data/frameworks/*.json, the prefill step factor and the all-reduce step (one value each for all) in ServingFramework.CalibratedPrefillStepFactor and GpuLatency.CalibratedAllReduceDoublingUs; a test keeps them equal to this calibration. All-reduce per doubling: what a small all-reduce inside one node adds each time its group doubles beyond two GPUs (" + FormattableString.Invariant($"{Hardware.GpuLatency.DefaultAllReduceUs:0.#}") + " us between two, NCCL issue #1259)."]),
            new Table("serving-error-bands", "Held-out bands: measured over predicted, 10th and 90th percentiles, each GPU held out of the calibration", ["framework", "mode", "decode TP", "rows", "TTFT low", "TTFT high", "TPOT low", "TPOT high"],
                [.. ErrorBands(o).Select(b => (IReadOnlyList<Cell>)[b.Framework, Serving.ServingModes.ShortName(b.Mode), b.TpText, Cell.Of(b.Rows, 0), Cell.Of(b.TtftLow, 2), Cell.Of(b.TtftHigh, 2), Cell.Of(b.TpotLow, 2), Cell.Of(b.TpotHigh, 2)])],
                [$"Shipped in {Serving.ErrorBand.FileName}, which serve and plan read to put a band around each prediction; a test keeps it equal to this table. 80% of a stratum's rows measured within its band of the prediction. A decode TP with fewer than " + FormattableString.Invariant($"{Serving.ErrorBand.MinRowsPerTp}") + " rows has no band of its own and takes its framework and mode's (all)."]),
            new Table("serving-coverage", "Rows not predicted, by reason", ["reason", "rows"], reasons),
            new Table("serving-recipe-check", "The benchmark recipes' reading of runs another row states the layout of", ["the recipes read", "runs", "for example: stated", "the recipes' nearest reading"],
                [.. RecipeCheckRows(o.RecipeChecks)],
                ["Runs the dataset gives twice: once from a row that states its workers and layout (the database dump's), once from a row that states neither, read by the benchmark's recipes by date. The stated reading is the one scored. A disaggregated deployment's workers are its prefill and decode worker counts; the recipes' reading counts as agreeing where any of its readings (several recipes at one concurrency) does."]),
            new Table("serving-ranking", "Rank correlation of predicted and measured output tokens/s per GPU, by model / GPU / ISLxOSL / mode", ["group", "rows", "Spearman"], ranking),
            new Table("planner-choices", $"The planner's choice among the measured deployments of each group: {choices.Count(c => c.Good)} of {choices.Count} groups within 90% of the best measured ({withinFramework.Count(c => c.Good)} of {withinFramework.Count} when each framework's deployments are a group, as one plan searches one framework)",
                ["group", "deployments", "target TPOT (ms)", "chosen", "best measured", "chosen / best measured throughput"],
                [.. choices.Select(c => (IReadOnlyList<Cell>)[c.Group, Cell.Of(c.Deployments, 0), Cell.Of(c.TargetTpotMs, 2), c.Chosen, c.BestMeasured, Cell.Of(c.Share, 2)])],
                ["Target: TPOT at most the group's median measured TPOT. A deployment (framework, precisions, layout) is worth its most output tokens/s per GPU over its rows that meet the target: "
                    + "predicted for the planner's ranking, measured for the check. 0: none of the chosen deployment's measured rows meets the target.",
                    $"Held out: with each GPU's rows predicted by constants calibrated on the other GPUs' rows, {gpuHeldOut.Count(c => c.Good)} of {gpuHeldOut.Count} groups; with each model's by constants calibrated on the other models', {modelHeldOut.Count(c => c.Good)} of {modelHeldOut.Count}. The figures below read the shipped constants.",
                    $"Only rows whose deployment is known are read: a row several recipes could have run, or a run the dataset gives twice read as two deployments, measured one of them, and nothing says which; a disaggregated row whose worker counts neither it nor a recipe gives runs on GPUs the reading sizes, so its measured tokens/s per GPU is as assumed as its prediction ({o.DeploymentUnknown.Count - o.SeveralReadings.Count} such rows). With those rows too, each as its first reading at the geometric mean of its readings' predictions, {everyRow.Count(c => c.Good)} of {everyRow.Count} groups.",
                    $"What the outcome rests on: with the measured TPOT in place of the predicted, {measuredTpot.Count(c => c.Good)} of {measuredTpot.Count} groups; with the measured TTFT in place of the predicted, {measuredTtft.Count(c => c.Good)} of {measuredTtft.Count}.",
                    $"Where the target falls: at the first and third quartiles of each group's measured TPOT instead of its median, {lower.Count(c => c.Good)} and {upper.Count(c => c.Good)} of {choices.Count} groups.",
                    $"What one constant per stratum could reach: with each model / GPU / mode / framework's median TPOT bias divided out, fitted on these very rows, {unbiased.Count(c => c.Good)} of {unbiased.Count} groups; the rest turns on how TPOT varies across layouts and concurrencies within a stratum.",
                    $"What a correction of that shape could reach: with the median TPOT bias of each stratum's decode TP and requests per decode GPU (the bands of serving-decode-shape) divided out, fitted on these very rows, {reshaped.Count(c => c.Good)} of {reshaped.Count} groups.",
                    $"What the level of each deployment could reach: with the median TPOT bias of each deployment (stratum, precisions and layout, over all its workloads and concurrencies) divided out, fitted on these very rows, {leveled.Count(c => c.Good)} of {leveled.Count} groups; with one bias for each deployment at each workload (its concurrency sweep), {swept.Count(c => c.Good)} of {swept.Count}: the rest turns on how TPOT moves with the concurrency within a sweep.",
                    $"What the rows allow: with each row's TTFT and TPOT read as the medians measured over the rows that describe the same run (group, deployment, concurrency), a model that knew all the rows state and nothing more, {described.Count(c => c.Good)} of {described.Count} groups; runs of one deployment that measured differently for reasons the rows do not state cost the rest.",
                    FormattableString.Invariant($"What the size of the errors alone allows: TPOTs with no bias and no pattern, each row's measured TPOT times exp(sigma x a normal draw), pass {noise.GroupsAtModelSigma} of {noise.Groups} groups at this model's held-out spread over the rows it reads (sigma {noise.ModelSigma:0.00}, each GPU held out; the median of {NoiseDraws} draws); the goal of {PlannerGoalShare:P0} of the groups holds up to sigma {noise.GoalSigma:0.00}, a median absolute TPOT error of about {100 * (Math.Exp(MedianAbsNormal * noise.GoalSigma) - 1):0}%. By sigma: {string.Join(", ", noise.GroupsBySigma.Select(x => $"{x.Sigma:0.00}: {x.Groups}"))}.")]),
        ]);
    }

    /// <summary>One JSON document: every row, the summary figures, the calibration.</summary>
    public static string Json(Outcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteStartArray("rows");
            foreach (var p in o.Predictions)
            {
                j.WriteStartObject();
                j.WriteString("id", p.Id);
                Number(j, "measuredTtftMs", p.MeasuredTtftMs);
                Number(j, "measuredTpotMs", p.MeasuredTpotMs);
                Number(j, "predictedTtftMs", p.Predicted ? p.PredictedTtftMs : null);
                Number(j, "predictedTpotMs", p.Predicted ? p.PredictedTpotMs : null);
                if (p.Predicted)
                {
                    j.WriteNull("reason");
                    j.WriteString("group", p.Case!.Group);
                    j.WriteString("deployment", p.Case!.Deployment);
                    j.WriteNumber("concurrency", p.Case.Workload.Concurrency);
                    j.WriteBoolean("deploymentKnown", p.Case.DeploymentKnown);
                    j.WriteNumber("measuredOutputTokensPerGpuS", p.MeasuredThroughput);
                    j.WriteNumber("predictedOutputTokensPerGpuS", p.PredictedThroughput);
                }
                else
                {
                    j.WriteString("reason", p.Reason ?? "not predicted");
                }

                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteNumber("rowsGiven", o.Predictions.Count);
            j.WriteNumber("rowsPredicted", o.Predicted.Count);
            j.WriteNumber("rowsRestated", o.Restated);
            j.WriteNumber("rowsOfUnknownDeployment", o.DeploymentUnknown.Count);
            Stats(j, "tpot", o.Tpot);
            Stats(j, "ttft", o.Ttft);
            Stats(j, "tpotGpuHeldOut", o.TpotGpuHeldOut);
            Stats(j, "ttftGpuHeldOut", o.TtftGpuHeldOut);
            Stats(j, "tpotModelHeldOut", o.TpotModelHeldOut);
            Stats(j, "ttftModelHeldOut", o.TtftModelHeldOut);
            j.WriteStartArray("strata");
            foreach (var g in o.Predicted.GroupBy(p => p.Case!.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                j.WriteStartObject();
                j.WriteString("stratum", g.Key);
                Stats(j, "tpot", ErrorStats.Of([.. g.Select(p => p.TpotErrorPercent)]));
                Stats(j, "ttft", ErrorStats.Of([.. g.Select(p => p.TtftErrorPercent)]));
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("calibration");
            foreach (var c in o.Calibration.Constants)
            {
                j.WriteStartObject();
                j.WriteString("framework", c.Framework);
                j.WriteNumber("stepOverheadUs", c.StepOverheadUs);
                j.WriteNumber("requestOverheadMs", c.RequestOverheadMs);
                Number(j, "requestOverheadWithPostprocessWorkersMs", c.RequestOverheadWithPostprocessWorkersMs);
                j.WriteNumber("hostUsPerRequest", c.HostUsPerRequest);
                j.WriteNumber("prefillStepFactor", c.PrefillStepFactor);
                j.WriteNumber("allReduceDoublingUs", c.AllReduceDoublingUs);
                j.WriteNumber("rows", c.Rows);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("errorBands");
            foreach (var b in ErrorBands(o))
            {
                b.WriteTo(j);
            }

            j.WriteEndArray();
            j.WriteStartArray("ranking");
            foreach (var r in o.Ranking)
            {
                j.WriteStartObject();
                j.WriteString("group", r.Group);
                j.WriteNumber("rows", r.Rows);
                Number(j, "spearman", r.Spearman);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartObject("recipeChecks");
            j.WriteNumber("statedDeployment", o.RecipeChecks.Count(c => c.Agreement == RecipeAgreement.Deployment));
            j.WriteNumber("statedWorkers", o.RecipeChecks.Count(c => c.Agreement == RecipeAgreement.Workers));
            j.WriteNumber("otherWorkers", o.RecipeChecks.Count(c => c.Agreement == RecipeAgreement.None));
            j.WriteEndObject();
            var choices = PlannerChoices(o.Predictions);
            j.WriteNumber("plannerGroupsWithin90Percent", choices.Count(c => c.Good));
            j.WriteNumber("plannerGroups", choices.Count);
            j.WriteNumber("plannerGroupsWithin90PercentGpuHeldOut", PlannerChoicesHeldOut(o.Calibration.ByGpu).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentModelHeldOut", PlannerChoicesHeldOut(o.Calibration.ByModel).Count(c => c.Good));
            var everyRow = PlannerChoices(o.Predictions, everyRow: true);
            j.WriteNumber("plannerGroupsWithin90PercentWithEveryRow", everyRow.Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithEveryRow", everyRow.Count);
            var withinFramework = PlannerChoices(o.Predictions, byFramework: true);
            j.WriteNumber("plannerFrameworkGroupsWithin90Percent", withinFramework.Count(c => c.Good));
            j.WriteNumber("plannerFrameworkGroups", withinFramework.Count);
            var measuredTpot = PlannerChoicesWithMeasured(o.Predictions, tpot: true, ttft: false);
            j.WriteNumber("plannerGroupsWithin90PercentWithMeasuredTpot", measuredTpot.Count(c => c.Good));
            var measuredTtft = PlannerChoicesWithMeasured(o.Predictions, tpot: false, ttft: true);
            j.WriteNumber("plannerGroupsWithin90PercentWithMeasuredTtft", measuredTtft.Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentAtFirstQuartileTarget", PlannerChoices(o.Predictions, targetQuantile: 0.25).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentAtThirdQuartileTarget", PlannerChoices(o.Predictions, targetQuantile: 0.75).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentWithStratumBiasRemoved", PlannerChoicesWithStratumBiasRemoved(o.Predictions).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentWithShapeBiasRemoved", PlannerChoicesWithShapeBiasRemoved(o.Predictions).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentWithDeploymentBiasRemoved", PlannerChoicesWithDeploymentBiasRemoved(o.Predictions).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentWithSweepBiasRemoved", PlannerChoicesWithSweepBiasRemoved(o.Predictions).Count(c => c.Good));
            j.WriteNumber("plannerGroupsWithin90PercentWithDescribedRunMedians", PlannerChoicesWithDescribedRunMedians(o.Predictions).Count(c => c.Good));
            var noise = PlannerNoiseOf(o.Predictions, [.. o.Calibration.ByGpu.SelectMany(f => f.Predictions)]);
            j.WriteStartObject("plannerRandomTpotErrors");
            j.WriteNumber("draws", NoiseDraws);
            j.WriteNumber("heldOutSigma", Math.Round(noise.ModelSigma, 4));
            j.WriteNumber("groupsWithin90PercentAtHeldOutSigma", noise.GroupsAtModelSigma);
            j.WriteNumber("goalSigma", noise.GoalSigma);
            j.WriteStartArray("bySigma");
            foreach (var (sigma, groups) in noise.GroupsBySigma)
            {
                j.WriteStartObject();
                j.WriteNumber("sigma", sigma);
                j.WriteNumber("groupsWithin90Percent", groups);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteStartArray("decodeShapes");
            foreach (var (shape, tpot) in ByDecodeShape(o.Predictions))
            {
                j.WriteStartObject();
                j.WriteString("shape", shape);
                Stats(j, "tpot", tpot);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("concurrencyCosts");
            foreach (var c in ConcurrencyCosts(o.Predictions))
            {
                j.WriteStartObject();
                j.WriteString("stratum", c.Stratum);
                j.WriteNumber("deployments", c.Deployments);
                Number(j, "measuredUsPerRequest", c.MeasuredUsPerRequest);
                Number(j, "predictedUsPerRequest", c.PredictedUsPerRequest);
                Number(j, "slopeRatio", c.SlopeRatio);
                Number(j, "interceptRatio", c.InterceptRatio);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("sharedPromptCosts");
            foreach (var c in SharedPromptCosts(o.Predictions))
            {
                j.WriteStartObject();
                j.WriteString("stratum", c.Stratum);
                j.WriteNumber("deployments", c.Deployments);
                Number(j, "measuredUsPerPromptToken", c.MeasuredUsPerPromptToken);
                Number(j, "predictedUsPerPromptToken", c.PredictedUsPerPromptToken);
                Number(j, "ratio", c.Ratio);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("promptCosts");
            foreach (var c in PromptCosts(o.Predictions))
            {
                j.WriteStartObject();
                j.WriteString("stratum", c.Stratum);
                j.WriteNumber("pairs", c.Pairs);
                Number(j, "measuredMsPer1kTokens", c.MeasuredMsPer1kTokens);
                Number(j, "predictedMsPer1kTokens", c.PredictedMsPer1kTokens);
                Number(j, "slopeRatio", c.SlopeRatio);
                Number(j, "measuredInterceptMs", c.MeasuredInterceptMs);
                Number(j, "predictedInterceptMs", c.PredictedInterceptMs);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            // The choices behind the fitted figure and the two held-out ones, group by group.
            WriteChoices(j, "plannerChoices", choices);
            WriteChoices(j, "plannerChoicesGpuHeldOut", PlannerChoicesHeldOut(o.Calibration.ByGpu));
            WriteChoices(j, "plannerChoicesModelHeldOut", PlannerChoicesHeldOut(o.Calibration.ByModel));
            j.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteChoices(Utf8JsonWriter j, string name, IReadOnlyList<PlannerChoice> choices)
    {
        j.WriteStartArray(name);
        foreach (var c in choices)
        {
            j.WriteStartObject();
            j.WriteString("group", c.Group);
            j.WriteNumber("deployments", c.Deployments);
            j.WriteNumber("targetTpotMs", c.TargetTpotMs);
            j.WriteString("chosen", c.Chosen);
            j.WriteString("bestMeasured", c.BestMeasured);
            j.WriteNumber("share", c.Share);
            j.WriteEndObject();
        }

        j.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter j, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x))
        {
            j.WriteNumber(name, x);
        }
        else
        {
            j.WriteNull(name);
        }
    }

    private static void Stats(Utf8JsonWriter j, string name, ErrorStats s)
    {
        j.WriteStartObject(name);
        j.WriteNumber("rows", s.Rows);
        Number(j, "medianAbsErrorPercent", s.MedianAbs);
        Number(j, "mapePercent", s.Mape);
        Number(j, "biasPercent", s.Bias);
        Number(j, "within20Percent", s.Within20);
        j.WriteEndObject();
    }

    private static List<Cell> Row(string label, ErrorStats tpot, ErrorStats ttft) =>
        [label, Cell.Of(tpot.Rows, 0), Cell.Of(tpot.MedianAbs, 1), Cell.Of(tpot.Mape, 1), Cell.Of(tpot.Bias, 1), Cell.Of(tpot.Within20, 1), Cell.Of(ttft.MedianAbs, 1), Cell.Of(ttft.Mape, 1), Cell.Of(ttft.Bias, 1), Cell.Of(ttft.Within20, 1)];

    // Reasons name sizes and layouts; group them by their first clause.
    private static string Shorten(string reason)
    {
        var colon = reason.IndexOf("): ", StringComparison.Ordinal);
        return colon > 0 ? reason[(colon + 3)..].Split(';')[0] : reason;
    }

    /// <summary>Spearman's rank correlation (average ranks for ties); NaN with fewer than two distinct values.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), num = 0, da = 0, db = 0;
        for (var i = 0; i < ra.Length; i++)
        {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }

        return da == 0 || db == 0 ? double.NaN : num / Math.Sqrt(da * db);
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0 + 1;
            }

            i = j + 1;
        }

        return ranks;
    }
}

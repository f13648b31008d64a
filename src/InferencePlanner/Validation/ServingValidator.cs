using InferencePlanner.Hardware;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>One measured serving point against its prediction.</summary>
/// <param name="Id">The row's id.</param>
/// <param name="MeasuredTtftMs">Measured TTFT, ms (null when the row has none).</param>
/// <param name="MeasuredTpotMs">Measured TPOT, ms.</param>
/// <param name="PredictedTtftMs">Predicted TTFT, ms; null when the row cannot be predicted.</param>
/// <param name="PredictedTpotMs">Predicted TPOT, ms; null when the row cannot be predicted.</param>
/// <param name="Reason">Why the row cannot be predicted; null when it is.</param>
/// <param name="Case">The row as read; null when it cannot be read.</param>
public sealed record ServingPrediction(string Id, double? MeasuredTtftMs, double? MeasuredTpotMs, double? PredictedTtftMs, double? PredictedTpotMs, string? Reason, ServingCase? Case)
{
    /// <summary>Whether the row has both a prediction and a measurement.</summary>
    public bool Predicted => PredictedTtftMs is not null && PredictedTpotMs is not null && MeasuredTtftMs is not null && MeasuredTpotMs is not null;

    /// <summary>Signed TTFT error, percent of the measurement.</summary>
    public double TtftErrorPercent => (PredictedTtftMs!.Value / MeasuredTtftMs!.Value - 1) * 100;

    /// <summary>Signed TPOT error, percent of the measurement.</summary>
    public double TpotErrorPercent => (PredictedTpotMs!.Value / MeasuredTpotMs!.Value - 1) * 100;

    /// <summary>Output tokens per second per GPU from the measured latencies (closed loop: concurrency / request time x OSL / GPUs).</summary>
    public double MeasuredThroughput => Throughput(MeasuredTtftMs!.Value, MeasuredTpotMs!.Value);

    /// <summary>The same from the predicted latencies.</summary>
    public double PredictedThroughput => Throughput(PredictedTtftMs!.Value, PredictedTpotMs!.Value);

    private double Throughput(double ttft, double tpot)
    {
        var w = Case!.Workload;
        var gpus = Case.Engine?.Gpus ?? Case.Disaggregated!.Gpus;
        return w.Concurrency / ((ttft + (w.Osl - 1) * tpot) / 1000) * w.Osl / gpus;
    }
}

/// <summary>Error figures over a set of predictions, in percent of the measurements.</summary>
/// <param name="Rows">Rows with a prediction.</param>
/// <param name="MedianAbs">Median of |error|.</param>
/// <param name="Mape">Mean of |error|.</param>
/// <param name="Bias">Median signed error (positive: predicted slower than measured).</param>
/// <param name="Within20">Share of rows within 20%, percent.</param>
public readonly record struct ErrorStats(int Rows, double MedianAbs, double Mape, double Bias, double Within20)
{
    /// <summary>The figures of a list of signed errors (percent).</summary>
    public static ErrorStats Of(IReadOnlyList<double> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            return new ErrorStats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var abs = errors.Select(Math.Abs).ToList();
        return new ErrorStats(errors.Count, Median(abs), abs.Average(), Median(errors), 100.0 * abs.Count(a => a <= 20) / abs.Count);
    }

    /// <summary>The median of a list.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>The serving level against measured serving points.</summary>
public static class ServingValidator
{
    /// <summary>Predicts every row with the frameworks <paramref name="frameworks"/> resolves (built-in by default).</summary>
    public static IReadOnlyList<ServingPrediction> Predict(IReadOnlyList<ServingMeasurement> rows, Func<string, ServingFramework?>? frameworks = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var models = new Dictionary<ModelKey, ServingModel>();
        return [.. ReadEach(rows, frameworks ?? FrameworkCatalog.Find, []).Select(r => r.Case is { } c ? Evaluate(c, models) : r.Unread!)];
    }

    /// <summary>Predicts the cases already read, with each case's framework replaced by <paramref name="frameworks"/> where it gives one.</summary>
    /// <remarks><paramref name="gpus"/>, where given, replaces each case's GPU the same way (a calibrated latency).</remarks>
    public static IReadOnlyList<ServingPrediction> Predict(IReadOnlyList<ServingCase> cases, Func<ServingFramework, ServingFramework> frameworks, Func<GpuSpec, GpuSpec>? gpus = null)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(frameworks);
        gpus ??= g => g;
        var models = new Dictionary<ModelKey, ServingModel>();
        // The alternative readings of a row (several recipes at its concurrency) take the replaced framework too.
        return [.. cases.Select(c => Evaluate(c with { Framework = frameworks(c.Framework), Gpu = gpus(c.Gpu), Alternatives = [.. c.Alternatives.Select(a => a with { Framework = frameworks(a.Framework), Gpu = gpus(a.Gpu) })] }, models))];
    }

    /// <summary>
    /// Reads every row: the cases that can be priced, the rows that cannot with the reason, and the runs one row states
    /// the layout of and another gives read by the benchmark's recipes (the stated reading and the recipes', a check of
    /// how the recipes read rows that state nothing; one per run).
    /// </summary>
    public static (List<ServingCase> Cases, List<ServingPrediction> Unread, List<RecipeCheck> RecipeChecks) Read(IReadOnlyList<ServingMeasurement> rows, Func<string, ServingFramework?>? frameworks = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var checks = new Dictionary<string, RecipeCheck>(StringComparer.Ordinal);
        var each = ReadEach(rows, frameworks ?? FrameworkCatalog.Find, checks);
        return ([.. each.Where(r => r.Case is not null).Select(r => r.Case!)], [.. each.Where(r => r.Case is null).Select(r => r.Unread!)], [.. checks.Values]);
    }

    /// <summary>
    /// A decode step cannot get faster as more requests share it: it reads the same weights and more KV cache. Of two
    /// runs of one deployment at one ISL/OSL in one batch of the source (<see cref="ServingMeasurement.SourceBatch"/>:
    /// two batches may have run one deployment as read with settings the file does not give), the one that kept more
    /// requests decoding (Little's law over the measured means: concurrency x (OSL - 1) x TPOT / (TTFT + (OSL - 1) x
    /// TPOT)) cannot report a TPOT under this share of the other's; the slack leaves room for run-to-run noise. A row
    /// that does contradicts its own deployment's measurements (in the bundled file: vLLM's gpt-oss-120b runs on H100 at
    /// concurrency 512, TTFT about 20 s and a TPOT under half that of concurrency 64) and is counted as not predicted.
    /// </summary>
    public const double LeastTpotShareAtLargerBatch = 0.5;

    /// <summary>Why a row is not scored when its TPOT contradicts its deployment's other runs.</summary>
    public static readonly string InconsistentReason = FormattableString.Invariant($"reports a TPOT under {LeastTpotShareAtLargerBatch:0.##} x that of a run of the same deployment, ISL/OSL and source batch that kept fewer requests decoding (Little's law over the measured means): a decode step cannot get faster as its batch grows");

    // Marks the cases whose measurements contradict another run of their deployment (LeastTpotShareAtLargerBatch).
    private static void MarkInconsistent(List<(ServingCase? Case, ServingPrediction? Unread)> each)
    {
        static double Decoding(ServingCase c)
        {
            var decode = (c.Workload.Osl - 1) * c.Row.MeasuredTpotMs!.Value;
            return c.Workload.Concurrency * decode / (c.Row.MeasuredTtftMs!.Value + decode);
        }

        var runs = each.Select((e, i) => (e.Case, Index: i))
            .Where(e => e.Case is { Row.MeasuredTtftMs: not null, Row.MeasuredTpotMs: not null })
            .GroupBy(e => (e.Case!.Row.SourceBatch, e.Case.Stratum, e.Case.Deployment, e.Case.Workload.Isl, e.Case.Workload.Osl));
        var marked = new List<int>();
        foreach (var deployment in runs)
        {
            foreach (var (c, i) in deployment)
            {
                var batch = Decoding(c!);
                var tpot = c!.Row.MeasuredTpotMs!.Value;
                if (deployment.Any(o => Decoding(o.Case!) < batch && tpot < LeastTpotShareAtLargerBatch * o.Case!.Row.MeasuredTpotMs!.Value))
                {
                    marked.Add(i);
                }
            }
        }

        foreach (var i in marked)
        {
            var row = each[i].Case!.Row;
            each[i] = (null, new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, InconsistentReason, each[i].Case));
        }
    }

    // Each row in order, as a case to price or as a prediction-less outcome with its reason. Of two rows that give one
    // measurement (Measurement) one is priced: the one that states its workers and layout where the other was read by the
    // benchmark's recipes (the database's record of the configuration that ran outranks a reconstruction by date),
    // otherwise the first; where both state, or both were read, and they read as two deployments, the second reading
    // joins the first's alternatives, for the dataset does not say which ran. A stated row and a read one of one run
    // are kept in checks (the first such pair of each run).
    private static List<(ServingCase? Case, ServingPrediction? Unread)> ReadEach(IReadOnlyList<ServingMeasurement> rows, Func<string, ServingFramework?> frameworks, Dictionary<string, RecipeCheck> checks)
    {
        var each = new List<(ServingCase? Case, ServingPrediction? Unread)>(rows.Count);
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var (c, reason) = ServingCase.Read(row, frameworks);
            if (c is null)
            {
                each.Add((null, new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, reason, null)));
            }
            else if (Measurement(c) is { } key && first.TryGetValue(key, out var i))
            {
                var kept = each[i].Case!;
                if (kept.WorkersUnstated != c.WorkersUnstated)
                {
                    checks.TryAdd(key, kept.WorkersUnstated ? new RecipeCheck(c, kept) : new RecipeCheck(kept, c));
                }

                if (kept.WorkersUnstated && !c.WorkersUnstated)
                {
                    // The row that states its workers and layout is the run's record; the earlier one, read by the
                    // recipes, restates it.
                    each[i] = (null, Restated(kept.Row));
                    first[key] = each.Count;
                    each.Add((c, null));
                }
                else
                {
                    each[i] = (!kept.WorkersUnstated && c.WorkersUnstated ? kept : kept.WithReadingsOf(c), null);
                    each.Add((null, Restated(row)));
                }
            }
            else
            {
                if (Measurement(c) is { } k)
                {
                    first[k] = each.Count;
                }

                each.Add((c, null));
            }
        }

        MarkInconsistent(each);
        return each;
    }

    /// <summary>Why a row is not scored when another row gives its run.</summary>
    public const string RestatedReason = "restates a run another row gives (one measurement in two source files of the dataset), scored once";

    /// <summary>
    /// What identifies a row's measurement: its setting (<see cref="ServingCase.Setting"/>: the model's architecture,
    /// GPU, ISL/OSL, mode, framework and concurrency) and its measured TTFT and TPOT to 12 significant digits, which two
    /// runs never share; null without both. The dataset carries some runs in two of its source files under two ids, some
    /// with the layout written two ways (an engine wider than its node that repeats TP8 with EP8), some under two names
    /// of one architecture, and some with worker counts in one file and none in the other; scored twice, they would
    /// weigh those runs twice in every median.
    /// </summary>
    private static string? Measurement(ServingCase c) =>
        c.Row.MeasuredTtftMs is { } ttft && c.Row.MeasuredTpotMs is { } tpot
            ? FormattableString.Invariant($"{c.Setting} | {ttft:G12} | {tpot:G12}")
            : null;

    private static ServingPrediction Restated(ServingMeasurement row) => new(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, RestatedReason, null);

    private readonly record struct ModelKey(string Model, GpuSpec Gpu, ServingFramework Framework, Work.PrecisionSet Precisions, int Drafts);

    private static ServingPrediction Evaluate(ServingCase c, Dictionary<ModelKey, ServingModel> models)
    {
        var row = c.Row;
        if (c.PostprocessWorkers > 0 && c.Framework.RequestOverheadWithPostprocessWorkersMs is not null)
        {
            // The server ran processes of their own for detokenising and returning responses.
            c = c with { Framework = c.Framework.WithPostprocessWorkers(c.PostprocessWorkers) };
        }

        if (row.MeasuredTtftMs is null || row.MeasuredTpotMs is null)
        {
            return new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, "the row has no positive measured TTFT and TPOT", c);
        }

        if (c.Alternatives.Count > 0)
        {
            // Several recipes ran at the row's concurrency: the geometric mean of the predictions of each.
            var each = new[] { c with { Alternatives = [] } }.Concat(c.Alternatives).Select(a => Evaluate(a, models)).ToList();
            if (each.FirstOrDefault(p => p.PredictedTtftMs is null || p.PredictedTpotMs is null) is { } failed)
            {
                return failed with { Case = c };
            }

            double Mean(Func<ServingPrediction, double> f) => Math.Exp(each.Average(p => Math.Log(f(p))));
            return new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, Mean(p => p.PredictedTtftMs!.Value), Mean(p => p.PredictedTpotMs!.Value), null, c);
        }

        // One model per everything it is built from: the records compare by value, so a framework read from a script or
        // recalibrated is a model of its own.
        var key = new ModelKey(c.Model.Name, c.Gpu, c.Framework, c.Precisions, c.MtpDrafts);
        if (!models.TryGetValue(key, out var model))
        {
            model = new ServingModel(c.Model, c.Gpu, c.Framework, c.Precisions, c.MtpDrafts);
            models[key] = model;
        }

        try
        {
            var r = c.Mode == ServingMode.Aggregated ? model.Aggregated(c.Workload, c.Engine!, c.ChunkTokens) : model.Disaggregated(c.Workload, c.Disaggregated!, c.ChunkTokens);
            if (c.Mode == ServingMode.Disaggregated && c.Assumptions.Contains(ServingCase.UnstatedWorkers))
            {
                // Prefill workers that carry the decode workers' rate.
                var x = (int)Math.Clamp(Math.Ceiling(r.BalancedPrefillPerDecode * c.Disaggregated!.DecodeWorkers - 1e-9), 1, 1000);
                r = model.Disaggregated(c.Workload, c.Disaggregated with { PrefillWorkers = x }, c.ChunkTokens);
            }

            if (!double.IsFinite(r.Ttft.Total) || !double.IsFinite(r.Tpot.Total))
            {
                return new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, "the prediction is not finite", c);
            }

            return new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, r.Ttft.Total, r.Tpot.Total, null, c);
        }
        catch (InputException e)
        {
            return new ServingPrediction(row.Id, row.MeasuredTtftMs, row.MeasuredTpotMs, null, null, e.Message, c);
        }
    }
}

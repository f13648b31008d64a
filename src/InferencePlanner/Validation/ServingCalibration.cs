using InferencePlanner.Hardware;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>A framework's calibrated constants, with the two shared by all frameworks (prefill step factor, all-reduce step).</summary>
/// <param name="Framework">The framework's name.</param>
/// <param name="StepOverheadUs">Host time per engine step, microseconds.</param>
/// <param name="RequestOverheadMs">Time to first token outside the engine steps, ms.</param>
/// <param name="Rows">Rows it was chosen on.</param>
/// <param name="HostUsPerRequest">Host time per running request of a step, microseconds.</param>
/// <param name="PrefillStepFactor">A prefill step's time over the kernel data's price of it.</param>
/// <param name="AllReduceDoublingUs">What a small all-reduce adds per doubling of its group beyond two GPUs (one value for all frameworks and GPUs).</param>
/// <param name="RequestOverheadWithPostprocessWorkersMs">The request overhead of the rows whose server ran postprocess workers (null: no such rows).</param>
public readonly record struct FrameworkConstants(string Framework, double StepOverheadUs, double RequestOverheadMs, int Rows, double HostUsPerRequest = 0, double PrefillStepFactor = 1, double AllReduceDoublingUs = GpuLatency.CalibratedAllReduceDoublingUs, double? RequestOverheadWithPostprocessWorkersMs = null);

/// <summary>Predictions of rows held out of the calibration, by what was held out.</summary>
/// <param name="HeldOut">What was held out (a GPU's or a model's name).</param>
/// <param name="Predictions">The held-out rows, predicted with constants calibrated on the others.</param>
public sealed record HeldOutFold(string HeldOut, IReadOnlyList<ServingPrediction> Predictions);

/// <summary>
/// The serving level's calibration: each framework's step overhead, request overhead (and, where benchmark scripts
/// ran TensorRT-LLM's postprocess workers, the request overhead of those runs), host time per running request and
/// prefill step factor, and what a small all-reduce adds per doubling of its group: the constants no public figure
/// gives to the precision the model needs. Each is chosen on a grid (0 to 2,000 us in 25 us steps; 0 to 300 ms
/// in 2.5 ms steps; 0 to 200 us in 25 us steps; 1 to 1.5 in steps of 0.1; 0 to 9 us in 3 us steps) for the least
/// absolute log error of TPOT and of TTFT (robust to the few runs that stalled) over
/// the framework's rows that state their whole layout (disaggregated rows without worker counts are left out). The
/// step and request overheads enter the predictions additively to first order, so the rows are priced once per host
/// time, prefill step factor and all-reduce step with both at zero and their grids searched on those prices. For each
/// factor and all-reduce step the host time is the one whose best step overhead leaves the least TPOT error, and the
/// request overhead is chosen on its prices; the factor and the all-reduce step, one each for all frameworks (a step's
/// kernels and collectives are the same whoever schedules them), are the pair whose TPOT and TTFT errors sum least over
/// all of them. The chosen constants are then priced in full.
/// Held out: each GPU and each model in turn, its rows predicted with constants chosen on the others' rows only.
/// </summary>
public static class ServingCalibration
{
    /// <summary>Step-overhead grid, microseconds.</summary>
    public const double StepGridUs = 25, StepMaxUs = 2000;

    /// <summary>Request-overhead grid, ms.</summary>
    public const double RequestGridMs = 2.5, RequestMaxMs = 300;

    /// <summary>Host time per running request grid, microseconds.</summary>
    public const double HostGridUs = 25, HostMaxUs = 200;

    /// <summary>Prefill step factor grid, from 1.</summary>
    public const double PrefillGrid = 0.1, PrefillMax = 1.5;

    /// <summary>All-reduce step per doubling of the group grid, microseconds.</summary>
    public const double AllReduceGridUs = 3, AllReduceMaxUs = 9;

    /// <summary>The result: constants from all rows, and the folds.</summary>
    /// <param name="Constants">Each framework's constants from all rows.</param>
    /// <param name="ByGpu">Each GPU held out.</param>
    /// <param name="ByModel">Each model held out.</param>
    public sealed record Result(IReadOnlyList<FrameworkConstants> Constants, IReadOnlyList<HeldOutFold> ByGpu, IReadOnlyList<HeldOutFold> ByModel);

    /// <summary>Calibrates on the cases and predicts each GPU's and each model's rows held out.</summary>
    public static Result Run(IReadOnlyList<ServingCase> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        // The rows that state their whole layout, priced with both overheads at zero, for each host time and prefill step
        // factor of the grids.
        var stated = cases.Where(c => !c.WorkersUnstated).ToList();
        var usable = new List<Priced>();
        for (var a = 0; a * AllReduceGridUs <= AllReduceMaxUs + 1e-9; a++)
        {
            var doubling = a * AllReduceGridUs;
            for (var j = 0; 1 + j * PrefillGrid <= PrefillMax + 1e-9; j++)
            {
                var factor = Math.Round(1 + j * PrefillGrid, 6);
                for (var i = 0; i * HostGridUs <= HostMaxUs + 1e-9; i++)
                {
                    var host = i * HostGridUs;
                    var zero = ServingValidator.Predict(stated, f => f with { StepOverheadUs = 0, RequestOverheadMs = 0, RequestOverheadWithPostprocessWorkersMs = null, HostUsPerRequest = host, PrefillStepFactor = factor }, g => WithDoubling(g, doubling));
                    usable.Add(new Priced(host, factor, doubling, [.. zero.Where(p => p.Predicted)]));
                }
            }
        }

        var all = Choose(usable);
        var byGpu = Folds(cases, usable, c => c.Gpu.Name);
        var byModel = Folds(cases, usable, c => c.Model.Name);
        return new Result(all, byGpu, byModel);
    }

    // The rows priced at one host time, prefill step factor and all-reduce step, with the step and request overheads at zero.
    private sealed record Priced(double HostUs, double Factor, double Doubling, List<ServingPrediction> Zero);

    private static GpuSpec WithDoubling(GpuSpec g, double doublingUs) => g with { Latency = g.Latency with { AllReduceDoublingUs = doublingUs } };

    private static List<HeldOutFold> Folds(IReadOnlyList<ServingCase> cases, List<Priced> usable, Func<ServingCase, string> key)
    {
        var folds = new List<HeldOutFold>();
        foreach (var held in cases.Select(key).Distinct().Order(StringComparer.Ordinal))
        {
            var constants = Choose([.. usable.Select(u => u with { Zero = [.. u.Zero.Where(p => key(p.Case!) != held)] })]);
            var heldCases = cases.Where(c => key(c) == held).ToList();
            folds.Add(new HeldOutFold(held, ServingValidator.Predict(heldCases, f => Apply(f, constants), g => Apply(g, constants))));
        }

        return folds;
    }

    /// <summary>A GPU with the calibrated all-reduce step applied (one value for all), where the calibration has one.</summary>
    public static GpuSpec Apply(GpuSpec g, IReadOnlyList<FrameworkConstants> constants)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(constants);
        return constants.FirstOrDefault(c => c.Rows > 0) is { Rows: > 0 } c ? WithDoubling(g, c.AllReduceDoublingUs) : g;
    }

    /// <summary>A framework with calibrated constants applied, where the calibration has them.</summary>
    public static ServingFramework Apply(ServingFramework f, IReadOnlyList<FrameworkConstants> constants)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(constants);
        foreach (var c in constants)
        {
            if (c.Framework == f.Name && c.Rows > 0)
            {
                return f with { StepOverheadUs = c.StepOverheadUs, RequestOverheadMs = c.RequestOverheadMs, RequestOverheadWithPostprocessWorkersMs = c.RequestOverheadWithPostprocessWorkersMs, HostUsPerRequest = c.HostUsPerRequest, PrefillStepFactor = c.PrefillStepFactor };
            }
        }

        return f;
    }

    // For each prefill step factor and all-reduce step, each framework's host time (least TPOT error at its best step
    // overhead) and request overhead (least TTFT error); the factor and step, one pair for all frameworks, is the one
    // whose TPOT and TTFT errors sum least over every framework's rows.
    private static List<FrameworkConstants> Choose(List<Priced> priced)
    {
        var names = priced[0].Zero.Select(p => p.Case!.Framework.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        List<FrameworkConstants>? best = null;
        var bestLoss = double.PositiveInfinity;
        foreach (var byFactor in priced.GroupBy(u => (u.Factor, u.Doubling)).OrderBy(g => g.Key.Doubling).ThenBy(g => g.Key.Factor))
        {
            var result = new List<FrameworkConstants>();
            var total = 0.0;
            foreach (var name in names)
            {
                FrameworkConstants? chosen = null;
                double chosenLoss = double.PositiveInfinity, ttftLoss = 0;
                foreach (var u in byFactor)
                {
                    var rows = u.Zero.Where(p => p.Case!.Framework.Name == name).ToList();
                    var (step, loss) = Best(StepMaxUs, StepGridUs, us => rows.Sum(p => Math.Abs(Math.Log((p.PredictedTpotMs!.Value + us / 1000) / p.MeasuredTpotMs!.Value))));
                    if (loss < chosenLoss - 1e-9)
                    {
                        // The request overhead of rows whose server ran postprocess workers is chosen on those rows alone.
                        var plain = rows.Where(p => p.Case!.PostprocessWorkers == 0).ToList();
                        var withWorkers = rows.Where(p => p.Case!.PostprocessWorkers > 0).ToList();
                        (var request, ttftLoss) = Best(RequestMaxMs, RequestGridMs, ms => TtftLoss(plain, ms));
                        double? requestWithWorkers = null;
                        if (withWorkers.Count > 0)
                        {
                            (var value, var workersLoss) = Best(RequestMaxMs, RequestGridMs, ms => TtftLoss(withWorkers, ms));
                            (requestWithWorkers, ttftLoss) = (value, ttftLoss + workersLoss);
                        }

                        (chosen, chosenLoss) = (new FrameworkConstants(name, step, request, rows.Count, u.HostUs, byFactor.Key.Factor, byFactor.Key.Doubling, requestWithWorkers), loss);
                    }
                }

                result.Add(chosen!.Value);
                total += chosenLoss + ttftLoss;
            }

            if (total < bestLoss - 1e-9)
            {
                (best, bestLoss) = (result, total);
            }
        }

        return best!;
    }

    private static double TtftLoss(List<ServingPrediction> rows, double requestMs) =>
        rows.Sum(p => Math.Abs(Math.Log((p.PredictedTtftMs!.Value + requestMs) / p.MeasuredTtftMs!.Value)));

    private static (double Best, double Loss) Best(double max, double grid, Func<double, double> loss)
    {
        double best = 0, bestLoss = double.PositiveInfinity;
        for (var i = 0; i * grid <= max + 1e-9; i++)
        {
            var v = i * grid;
            var l = loss(v);
            if (l < bestLoss)
            {
                (best, bestLoss) = (v, l);
            }
        }

        return (best, bestLoss);
    }
}

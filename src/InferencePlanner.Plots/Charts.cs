using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Serving;
using InferencePlanner.Units;
using InferencePlanner.Validation;
using InferencePlanner.Work;
using ScottPlot;

namespace InferencePlanner.Plots;

/// <summary>The charts `infer-plan plot` draws, each from the library's own results (no second model).</summary>
public static class Charts
{
    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>Concurrencies a frontier sweeps.</summary>
    public static IReadOnlyList<int> FrontierConcurrencies { get; } = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    /// <summary>
    /// The serving frontier: output tokens/s per GPU against tokens/s per user, one curve per GPU and engine layout,
    /// swept over the concurrency under aggregated serving; the point of most tokens/s per GPU at or above
    /// <paramref name="minTps"/> tokens/s per user marked.
    /// </summary>
    public static Chart Frontier(ModelSpec model, IReadOnlyList<GpuSpec> gpus, ServingFramework framework, PrecisionSet precisions, int isl, int osl, double minTps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(framework);
        var plot = new Plot();
        var series = new List<Series>();
        (double X, double Y, string Label)? chosen = null;
        var t = model.Transformer;
        var i = 0;
        foreach (var gpu in gpus)
        {
            var serving = new ServingModel(model, gpu, framework, precisions);
            foreach (var layout in Layouts(t, gpu))
            {
                PreparedEngine engine;
                try
                {
                    engine = serving.Prepare(layout);
                }
                catch (InputException)
                {
                    continue; // a layout whose weights do not fit draws no curve
                }

                var xs = new List<double>();
                var ys = new List<double>();
                foreach (var c in FrontierConcurrencies)
                {
                    ServingResult r;
                    try
                    {
                        r = serving.Aggregated(engine, new ServingWorkload(isl, osl, c));
                    }
                    catch (InputException)
                    {
                        break;
                    }

                    xs.Add(r.TokensPerSecondPerUser);
                    ys.Add(r.OutputTokensPerSecondPerGpu);
                    if (r.TokensPerSecondPerUser >= minTps && (chosen is null || r.OutputTokensPerSecondPerGpu > chosen.Value.Y))
                    {
                        chosen = (r.TokensPerSecondPerUser, r.OutputTokensPerSecondPerGpu, $"{gpu.Name} {layout.Describe(t)}, concurrency {c}");
                    }
                }

                if (xs.Count == 0)
                {
                    continue;
                }

                var name = $"{gpu.Name} {layout.Describe(t)}";
                var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), Palette.GetColor(i++));
                line.LegendText = name;
                line.LineWidth = 2;
                line.MarkerSize = 6;
                series.Add(new Series(name, xs.Count));
            }
        }

        if (series.Count == 0)
        {
            throw new InputException($"{model.Name}: no layout of one node fits on {string.Join(", ", gpus.Select(g => g.Name))}; nothing to draw");
        }

        if (chosen is { } best)
        {
            var marker = plot.Add.Marker(best.X, best.Y, MarkerShape.OpenCircle, 16, Colors.Black);
            marker.LegendText = $"chosen: {best.Label}";
            series.Add(new Series(marker.LegendText, 1));
            var limit = plot.Add.VerticalLine(minTps, 1, Colors.Gray, LinePattern.Dashed);
            limit.LegendText = $"{minTps.ToString("0.#", CultureInfo.InvariantCulture)} tokens/s per user";
        }

        var title = $"{model.Name}, {framework.DisplayName} aggregated, ISL {isl} / OSL {osl}, {Describe(precisions)}";
        Title(plot, title);
        plot.Axes.Margins(bottom: 0);
        plot.XLabel("tokens/s per user");
        plot.YLabel("output tokens/s per GPU");
        plot.ShowLegend(Alignment.UpperRight);
        return new Chart(plot, title, series);
    }

    /// <summary>Stacked time per component of one prefill step and one decode step, a pair of bars per GPU, at the serving operating point.</summary>
    public static Chart Breakdown(ModelSpec model, IReadOnlyList<GpuSpec> gpus, ServingFramework framework, PrecisionSet precisions, ServingWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(framework);
        var plot = new Plot();
        string[] parts = ["attention", "all-reduce", "MLP and experts", "dispatch and combine", "norms, activations, head"];
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        var position = 0.0;
        var t = model.Transformer;
        foreach (var gpu in gpus)
        {
            var serving = new ServingModel(model, gpu, framework, precisions);
            var layout = Layouts(t, gpu)[0];
            var engine = serving.Prepare(layout);
            var r = serving.Aggregated(engine, workload);
            var steps = new (string Label, Breakdown Step)[]
            {
                ($"{gpu.Name}\nprefill", serving.PrefillStepBreakdown(engine, Math.Max(1, r.ChunkTokens), workload)),
                ($"{gpu.Name}\ndecode", serving.DecodeStepBreakdown(engine, r.StepBatchPerGpu, workload)),
            };
            foreach (var (label, b) in steps)
            {
                double[] values =
                [
                    (b.AttentionProjections + b.AttentionCore).Milliseconds, (b.AttentionAllReduce + b.MlpAllReduce).Milliseconds,
                    (b.DenseMlp + b.Router + b.SharedExperts + b.RoutedExperts).Milliseconds, (b.Dispatch + b.Combine).Milliseconds, (b.Glue + b.Head).Milliseconds,
                ];
                var bottom = 0.0;
                for (var k = 0; k < values.Length; k++)
                {
                    bars.Add(new Bar { Position = position, ValueBase = bottom, Value = bottom + values[k], FillColor = Palette.GetColor(k) });
                    bottom += values[k];
                }

                ticks.Add(new Tick(position, label));
                position++;
            }

            position += 0.5;
        }

        plot.Add.Bars(bars);
        for (var k = 0; k < parts.Length; k++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = parts[k], FillColor = Palette.GetColor(k) });
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(bottom: 0);
        var title = $"{model.Name}, {framework.DisplayName}: one step by component, ISL {workload.Isl} / OSL {workload.Osl}, concurrency {workload.Concurrency}";
        Title(plot, title);
        plot.YLabel("time per step, all layers (ms)");
        plot.ShowLegend(Alignment.UpperRight);
        return new Chart(plot, title, [.. parts.Select(p => new Series(p, ticks.Count))]);
    }

    /// <summary>Each operator of one decode layer on the GPU's roofline: arithmetic intensity against achieved FLOP/s, log-log.</summary>
    public static Chart Roofline(ModelSpec model, GpuSpec gpu, PrecisionSet precisions, int batchPerGpu, int context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        var t = model.Transformer;
        var layout = new RooflineLayout(1, 1, 0, null);
        var policy = new RooflinePolicy(gpu);
        var w = RooflineWork.Decode(t, layout, 1, precisions, batchPerGpu, context);
        var ops = new List<(string Name, Operator Op)>
        {
            ("attention projections", w.FullAttention.Projections), ("attention core", w.FullAttention.Core),
            ("dense MLP", w.DenseFeedForward.Dense), ("router", w.MoeFeedForward.Router), ("shared experts", w.MoeFeedForward.Shared),
            ("routed experts", w.MoeFeedForward.Routed), ("output head", w.Head),
        };
        var plot = new Plot();
        var series = new List<Series>();
        var i = 0;
        double minX = double.MaxValue, maxX = 0;
        foreach (var (name, op) in ops)
        {
            if (op.IsEmpty || op.Flops.Value <= 0 || op.MemoryBytes.Value <= 0)
            {
                continue;
            }

            var intensity = op.Flops.Value / op.MemoryBytes.Value;
            var achieved = op.Flops.Value / policy.Price(op).Time.Seconds;
            var marker = plot.Add.Marker(Math.Log10(intensity), Math.Log10(achieved / 1e12), MarkerShape.FilledCircle, 12, Palette.GetColor(i++));
            marker.LegendText = $"{name} ({op.Precision.Name()})";
            series.Add(new Series(marker.LegendText, 1));
            (minX, maxX) = (Math.Min(minX, intensity), Math.Max(maxX, intensity));
        }

        if (series.Count == 0)
        {
            throw new InputException($"{model.Name}: no operator with FLOPs and bytes to draw");
        }

        // The roofs: HBM bandwidth up to each precision's peak.
        var bandwidth = gpu.MemoryBandwidthGBps * 1e9;
        double lo = Math.Min(minX, 0.1) / 2, hi = Math.Max(maxX, 1e4) * 2;
        var k = 0;
        foreach (var precision in (Precision[])[Precision.Bf16, Precision.Fp8])
        {
            var peak = gpu.PeakRate(precision).FlopsPerSecond;
            var knee = peak / bandwidth;
            var roof = plot.Add.Scatter(
                new[] { Math.Log10(lo), Math.Log10(knee), Math.Log10(hi) },
                new[] { Math.Log10(lo * bandwidth / 1e12), Math.Log10(peak / 1e12), Math.Log10(peak / 1e12) });
            roof.Color = k++ == 0 ? Colors.Gray : Colors.DarkGray;
            roof.LinePattern = LinePattern.Dashed;
            roof.MarkerSize = 0;
            roof.LegendText = $"roofline, {precision.Name()} ({peak / 1e12:0} TFLOPS, {gpu.MemoryBandwidthGBps:0} GB/s)";
        }

        LogAxes(plot);
        var title = $"{model.Name} on {gpu.Name}: a decode layer, {batchPerGpu} requests at {context} tokens, {Describe(precisions)}";
        Title(plot, title);
        plot.XLabel("arithmetic intensity (FLOP per byte of HBM)");
        plot.YLabel("achieved TFLOPS");
        plot.ShowLegend(Alignment.LowerRight);
        return new Chart(plot, title, series);
    }

    /// <summary>Predicted against measured TPOT and TTFT for measured serving rows, log-log, with the 20% band.</summary>
    public static Chart Validation(IReadOnlyList<ServingPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var rows = predictions.Where(p => p.Predicted).ToList();
        if (rows.Count == 0)
        {
            throw new InputException("no row was predicted; nothing to draw");
        }

        var plot = new Plot();
        var series = new List<Series>();
        var lo = double.MaxValue;
        var hi = 0.0;
        var i = 0;
        foreach (var (name, measured, predicted) in new (string, Func<ServingPrediction, double>, Func<ServingPrediction, double>)[]
        {
            ("TPOT (ms)", p => p.MeasuredTpotMs!.Value, p => p.PredictedTpotMs!.Value),
            ("TTFT (ms)", p => p.MeasuredTtftMs!.Value, p => p.PredictedTtftMs!.Value),
        })
        {
            var xs = rows.Select(p => Math.Log10(measured(p))).ToArray();
            var ys = rows.Select(p => Math.Log10(predicted(p))).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys, Palette.GetColor(i++));
            points.MarkerSize = 3;
            points.LegendText = $"{name}, {rows.Count} rows";
            series.Add(new Series(points.LegendText, rows.Count));
            lo = Math.Min(lo, Math.Min(xs.Min(), ys.Min()));
            hi = Math.Max(hi, Math.Max(xs.Max(), ys.Max()));
        }

        foreach (var (factor, label) in new[] { (1.0, "predicted = measured"), (1.2, "+20%"), (0.8, "-20%") })
        {
            var line = plot.Add.Line(lo, lo + Math.Log10(factor), hi, hi + Math.Log10(factor));
            line.Color = factor == 1 ? Colors.Black : Colors.Gray;
            line.LinePattern = factor == 1 ? LinePattern.Solid : LinePattern.Dashed;
            line.LegendText = label;
        }

        LogAxes(plot);
        var title = $"Serving level against {rows.Count} measured serving points (bundled)";
        Title(plot, title);
        plot.XLabel("measured (ms)");
        plot.YLabel("predicted (ms)");
        plot.ShowLegend(Alignment.UpperLeft);
        return new Chart(plot, title, series);
    }

    // Engine layouts of one node a frontier draws: tensor parallelism, and for MoE models also attention DP with EP.
    private static IReadOnlyList<EngineLayout> Layouts(TransformerSpec t, GpuSpec gpu)
    {
        var tp = EngineLayout.OneNodeTensorParallelism(t, gpu);
        return t.FeedForward.IsMoe ? [EngineLayout.TensorParallel(tp), new EngineLayout(1, tp, 1, tp)] : [EngineLayout.TensorParallel(tp)];
    }

    private static string Describe(PrecisionSet p) =>
        p.Weights == p.ExpertWeights ? $"{p.Weights.Name()} weights, {p.KvCache.Name()} KV cache" : $"{p.Weights.Name()} weights, {p.ExpertWeights.Name()} experts, {p.KvCache.Name()} KV cache";

    // A title that fits 800 pixels with the model, workload and precisions in it.
    private static void Title(Plot plot, string title)
    {
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 13;
    }

    // Axes that show log10 data as powers of ten.
    private static void LogAxes(Plot plot)
    {
        static string Power(double v)
        {
            var x = Math.Pow(10, v);
            return x >= 1 ? x.ToString("#,0", CultureInfo.InvariantCulture) : x.ToString("0.###", CultureInfo.InvariantCulture);
        }

        ScottPlot.TickGenerators.NumericAutomatic Ticks() => new()
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = Power,
        };

        plot.Axes.Bottom.TickGenerator = Ticks();
        plot.Axes.Left.TickGenerator = Ticks();
    }
}

using System.CommandLine;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Plots;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Units;
using InferencePlanner.Validation;
using InferencePlanner.Work;

namespace InferencePlanner.Cli;

/// <summary>The plot command: a chart of the library's results written as PNG or SVG.</summary>
internal static class PlotCommand
{
    public static Command Build(TextWriter stdout)
    {
        var kind = new Argument<string>("kind") { Description = "frontier (tokens/s per GPU against tokens/s per user), breakdown (time per component), roofline (a decode layer's operators), validation (predicted against measured)." };
        kind.AcceptOnlyFromAmong("frontier", "breakdown", "roofline", "validation");
        var output = new Option<string>("--out") { Description = "The file to write: .png or .svg.", Required = true };
        var width = new Option<int>("--width") { Description = "Width in pixels.", DefaultValueFactory = _ => 800 }.Within(200, 10_000);
        var height = new Option<int>("--height") { Description = "Height in pixels.", DefaultValueFactory = _ => 500 }.Within(150, 10_000);
        var model = new Option<string>("--model") { Description = "A built-in model name or the path of a HuggingFace config.json.", DefaultValueFactory = _ => ModelCatalog.DefaultName };
        var gpus = new Option<string[]>("--gpu") { Description = "GPUs (repeat, or separate by commas, for several; roofline draws the first).", DefaultValueFactory = _ => ["H200", "B200"], Arity = ArgumentArity.OneOrMore };
        var framework = new Option<string>("--framework") { Description = "Serving framework of frontier and breakdown.", DefaultValueFactory = _ => "sglang" };
        var isl = new Option<int>("--isl") { Description = "Input tokens per request.", DefaultValueFactory = _ => 1024 }.Within(1, OptionRanges.MaxTokens);
        var osl = new Option<int>("--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1024 }.Within(2, OptionRanges.MaxTokens);
        var concurrency = new Option<int>("--concurrency") { Description = "breakdown: requests in flight.", DefaultValueFactory = _ => 64 }.Within(1, OptionRanges.MaxTokens);
        var minTps = new Option<double>("--min-tps") { Description = "frontier: tokens/s per user the chosen point must reach.", DefaultValueFactory = _ => 20 }.Within(0, 1e7);
        var batch = new Option<int>("--batch") { Description = "roofline: decode requests per GPU.", DefaultValueFactory = _ => 64 }.Within(1, 1_000_000);
        var context = new Option<int>("--seq-len") { Description = "roofline: context each request attends to, tokens.", DefaultValueFactory = _ => 4096 }.Within(1, OptionRanges.MaxTokens);
        var weights = new Option<string?>("--weights") { Description = "Weight precision: fp4, fp8, bf16 (default: the checkpoint's)." };
        var format = new Option<string>("--format") { Description = $"Format of the summary printed: {string.Join(", ", OutputFormats.Names)}.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var cmd = new Command("plot", "Draw a chart as PNG or SVG: the serving frontier, the time per component, a decode layer on the roofline, or predicted against measured.")
        {
            kind, output, width, height, model, gpus, framework, isl, osl, concurrency, minTps, batch, context, weights, format,
        };
        cmd.SetAction(p =>
        {
            var what = p.GetValue(kind)!;
            var m = ModelCatalog.Resolve(p.GetValue(model)!);
            var gpuList = CommandOptions.GpuNames(p, gpus).Select(GpuCatalog.Resolve).ToList();
            var native = PrecisionSet.NativeFor(m.Transformer);
            var precisions = p.GetPrecision(weights) is { } w ? native with { Weights = w, ExpertWeights = w } : native;
            var chart = what switch
            {
                "frontier" => Charts.Frontier(m, gpuList, FrameworkCatalog.Resolve(p.GetValue(framework)!), precisions, p.GetValue(isl), p.GetValue(osl), p.GetValue(minTps)),
                "breakdown" => Charts.Breakdown(m, gpuList, FrameworkCatalog.Resolve(p.GetValue(framework)!), precisions, new ServingWorkload(p.GetValue(isl), p.GetValue(osl), p.GetValue(concurrency))),
                "roofline" => Charts.Roofline(m, gpuList[0], precisions, p.GetValue(batch), p.GetValue(context)),
                _ => Charts.Validation(ServingValidator.Predict(ServingMeasurement.Bundled)),
            };
            var path = p.GetValue(output)!;
            chart.Save(path, p.GetValue(width), p.GetValue(height));
            var doc = new Document($"Chart: {chart.Title}", [new("file", path), new("kind", what), new("size", $"{p.GetValue(width)} x {p.GetValue(height)} px")],
            [
                new Table("series", "Series drawn", ["series", "points"], [.. chart.Series.Select(s => (IReadOnlyList<Cell>)[s.Name, Cell.Of(s.Points, 0)])]),
            ]);
            OutputFormats.For(p.GetValue(format)!).Write(doc, stdout);
            return 0;
        });
        return cmd;
    }
}

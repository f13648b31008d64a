using System.CommandLine;
using System.Globalization;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The compare command: headline figures under both presets side by side.</summary>
internal static class CompareCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true, withPreset: false);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "B200", "GB200");
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length, and decode context, in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the KV cache, in [0, 1].", DefaultValueFactory = _ => 0.563 }.Within(0, 1);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var minTps = new Option<double>("--min-tps") { Description = "Tokens/s every user must get.", DefaultValueFactory = _ => 20 }.Within(0, 1e7);
        var cmd = new Command("compare", "Headline figures side by side under both presets: prefill tokens/s per node; decode tokens/s per GPU and per user at the best batch for a per-user rate; what limits each.")
        {
            gpus, seq, hit, decodeLen, minTps,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var min = p.GetValue(minTps);
            if (!(min > 0) || !double.IsFinite(min))
            {
                throw new InputException($"--min-tps must be a positive number, got {min.ToString(CultureInfo.InvariantCulture)}");
            }

            Check.Positive(p.GetValue(seq), "--seq-len");
            Check.Positive(p.GetValue(decodeLen), "--decode-len");
            Check.CacheHit(p.GetValue(hit));
            var names = GpuNames(p, gpus);
            return Write(stdout, p, common, RooflineReport.Compare(common.Model(p), names, p.GetValue(seq), p.GetValue(hit), p.GetValue(decodeLen), min, model.Inputs(p, common.Model(p), "compare"), common.Seed(p)));
        });
        return cmd;
    }
}

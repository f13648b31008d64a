using System.CommandLine;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The batch command: the largest decode batch per GPU that fits in memory.</summary>
internal static class BatchCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var tp = new Option<int>("--tp") { Description = "Tensor parallelism of attention (the KV cache of MLA is replicated on each rank).", DefaultValueFactory = _ => 1 }.Within(1, 1024);
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var cmd = new Command("batch", "Largest decode batch per GPU that fits in memory, for EP320/144/72/34 and each KV-cache precision (seed: also absorbed or not).")
        {
            gpus, tp, seq, decodeLen,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            m.RequireContext(p.GetValue(seq), p.GetValue(decodeLen));
            var gpuList = ResolveGpus(p, common, gpus, null);
            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
            }

            return common.IsSeed(p)
                ? Write(stdout, p, common, SeedReport.Batch(m, gpuList, new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen)), p.GetValue(tp), common.Seed(p)))
                : Write(stdout, p, common, RooflineReport.Batch(m, gpuList, p.GetValue(seq), p.GetValue(decodeLen), p.GetValue(tp), model.Inputs(p, m, "batch")));
        });
        return cmd;
    }
}

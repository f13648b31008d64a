using System.CommandLine;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The prefill command: per-layer prefill times and tokens/s under either preset.</summary>
internal static class PrefillCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20");
        var tp = new Option<int?>("--tp") { Description = "Tensor parallelism of attention (default: 4; default preset, dense models: the smallest of 4 and 8 whose weights fit, for each GPU)." }.Within(1, 1024);
        var dp = new Option<int?>("--dp") { Description = "seed: data-parallel attention groups (default: all GPUs / TP)." }.Within(1, 100_000);
        var nodes = new Option<int?>("--nodes") { Description = "Nodes (scale-up domains) in the deployment (seed default: 4)." }.Within(1, 100_000);
        var gpuCount = new Option<int?>("--gpus") { Description = "default: GPUs in the deployment (default: 32 for MoE models, one TP group for dense ones)." }.Within(1, OptionRanges.MaxGpus);
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the KV cache, in [0, 1].", DefaultValueFactory = _ => 0.563 }.Within(0, 1);
        var prompts = new Option<double?>("--prompts") { Description = "default: prompts per data-parallel group in one prefill step, as a server batches them (default: 1)." }.Within(1, 1e6);
        var nic = NicOption();
        var cmd = new Command("prefill", "Per-layer prefill times, totals with and without overlap, tokens/s per GPU and per node, and what limits them.")
        {
            gpus, tp, dp, nodes, gpuCount, seq, hit, prompts, nic,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            m.RequireContext(p.GetValue(seq), 0);
            var gpuList = ResolveGpus(p, common, gpus, nic);
            var given = p.GetValue(tp);
            var t = given ?? AutomaticDeployment.SeedPrefillTp;
            Check.Positive(t, "--tp");
            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
                if (p.GetValue(prompts) is not null)
                {
                    throw new InputException("--prompts applies to the default preset only: the seed prefills one prompt per group");
                }

                var n = p.GetValue(nodes) ?? 4;
                Check.Positive(n, "--nodes");
                var scenario = new PrefillScenario(p.GetValue(seq), p.GetValue(hit), t, p.GetValue(dp) ?? Math.Max(1, n * gpuList[0].GpusPerNode / t), n);
                return Write(stdout, p, common, SeedReport.Prefill(m, gpuList, scenario, common.Seed(p)));
            }

            var count = GpuCount(p, nodes, gpuCount, gpuList[0]);
            return Write(stdout, p, common, RooflineReport.Prefill(m, gpuList, p.GetValue(seq), p.GetValue(hit), given, count, model.Inputs(p, m, "prefill"), p.GetValue(prompts) ?? 1));
        });
        return cmd;
    }
}

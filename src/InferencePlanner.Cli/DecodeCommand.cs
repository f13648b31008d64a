using System.CommandLine;
using System.Globalization;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The decode command: the decode step by batch size under either preset.</summary>
internal static class DecodeCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var batch = new Option<string>("--batch") { Description = "Batch sizes per GPU, comma-separated.", DefaultValueFactory = _ => "32,64,128,256" };
        var seq = new Option<int>("--seq-len", "--isl") { Description = "KV length attended per output token.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request (they occupy KV cache too).", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var minTps = new Option<double?>("--min-tps") { Description = "Keep only rows above this many tokens/s per user (with overlap)." }.Within(0, 1e7);
        var ep = new Option<int?>("--ep") { Description = "seed: add the largest batch that fits for this EP strategy and flag rows that do not. default: GPUs the experts are spread over (default: the smallest deployment leaving room for KV cache)." }.Within(1, OptionRanges.MaxGpus);
        var tp = new Option<int?>("--tp") { Description = "MLA/attention tensor parallelism. seed: forces it for every row instead of the seed's per-row choice; default: for MoE models 1 (data-parallel attention) where a replica fits on each GPU, for dense models the smallest TP whose weights leave room for KV cache, chosen for each GPU." }.Within(1, 1024);
        var nic = NicOption();
        var cmd = new Command("decode", "Decode per batch size: attention, KV reads, experts, dispatch/combine, TPOT, tokens/s per user and per GPU, memory limit.")
        {
            gpus, batch, seq, decodeLen, minTps, ep, tp, nic,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            m.RequireContext(p.GetValue(seq), p.GetValue(decodeLen));
            var gpuList = ResolveGpus(p, common, gpus, nic);
            var batches = ParseBatches(p.GetValue(batch)!);
            var min = p.GetValue(minTps);
            if (min is { } v && !(v >= 0 && double.IsFinite(v)))
            {
                throw new InputException($"--min-tps must be a non-negative number, got {v.ToString(CultureInfo.InvariantCulture)}");
            }

            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
                var options = new SeedReport.DecodeOptions(batches, min, p.GetValue(ep), p.GetValue(tp));
                return Write(stdout, p, common, SeedReport.Decode(m, gpuList, new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen)), options, common.Seed(p)));
            }

            if (p.GetValue(tp) is { } given)
            {
                Check.Positive(given, "--tp");
            }

            var count = p.GetValue(ep);
            if (count is { } e)
            {
                Check.Positive(e, "--ep");
            }

            if (!m.Transformer.FeedForward.IsMoe && count is not null)
            {
                throw new InputException($"--ep applies to Mixture-of-Experts models; {m.Name} is dense (use --tp)");
            }

            return Write(stdout, p, common, RooflineReport.Decode(m, gpuList, batches, p.GetValue(seq), p.GetValue(decodeLen),
                p.GetValue(tp),
                count, min, model.Inputs(p, m, "decode")));
        });
        return cmd;
    }
}

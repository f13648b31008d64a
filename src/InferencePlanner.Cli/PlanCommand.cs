using System.CommandLine;
using System.Diagnostics;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Planning;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Cli;

/// <summary>The plan command: the best deployment under latency targets, the GPUs a load takes, what it costs and how to launch it.</summary>
internal static class PlanCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var format = new Option<string>("--format") { Description = $"Output format: {string.Join(", ", OutputFormats.Names)}.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var model = new Option<string>("--model") { Description = "A built-in model name or the path of a HuggingFace config.json.", DefaultValueFactory = _ => ModelCatalog.DefaultName };
        var gpus = new Option<string[]>("--gpu") { Description = "GPU types to plan for (repeat, or separate by commas, to compare several).", DefaultValueFactory = _ => ["H200"], Arity = ArgumentArity.OneOrMore };
        var framework = new Option<string>("--framework") { Description = "Serving framework: sglang, vllm, trtllm, or the path of a framework JSON file.", DefaultValueFactory = _ => "sglang" };
        var mode = new Option<string>("--mode") { Description = "Serving modes searched: agg, disagg or both.", DefaultValueFactory = _ => "both" };
        mode.AcceptOnlyFromAmong("agg", "disagg", "both");
        var isl = new Option<int>("--isl") { Description = "Input (prompt) tokens per request.", DefaultValueFactory = _ => 1024 }.Within(1, OptionRanges.MaxTokens);
        var osl = new Option<int>("--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1024 }.Within(2, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the prefix cache, in [0, 1].", DefaultValueFactory = _ => 0 }.Within(0, 1);
        var maxTtft = new Option<double?>("--max-ttft") { Description = "Target: time to first token at most this many ms." }.Within(0.001, 1e9);
        var maxTpot = new Option<double?>("--max-tpot") { Description = "Target: time per output token at most this many ms." }.Within(0.001, 1e9);
        var minTps = new Option<double?>("--min-tps") { Description = "Target: tokens/s per user at least this many." }.Within(0.001, 1e9);
        var targetsOn = new Option<string>("--targets-on") { Description = "What the targets judge: prediction (the predicted TTFT and TPOT), or band (their held-out band's high end: 90% of comparable measured runs met each target; see validate --serving's serving-error-bands).", DefaultValueFactory = _ => "prediction" };
        targetsOn.AcceptOnlyFromAmong("prediction", "band");
        var budget = new Option<int?>("--gpu-budget") { Description = "GPUs the deployment may use at most, every replica included." }.Within(1, OptionRanges.MaxGpus);
        var loadRps = new Option<double?>("--load-rps") { Description = "A load to carry, in requests per second: the plan gives the GPUs it takes." }.Within(1e-6, 1e9);
        var loadTps = new Option<double?>("--load-tps") { Description = "A load to carry, in output tokens per second." }.Within(1e-6, 1e12);
        var maxEngine = new Option<int?>("--max-engine-gpus") { Description = "Most GPUs of one engine (worker) searched (default: two 8-GPU nodes, or 64 GPUs of an NVL72 rack)." }.Within(1, 1024);
        var weights = new Option<string?>("--weights") { Description = "Weight precision of attention and dense layers: fp4, fp8, bf16 (default: the checkpoint's)." };
        var experts = new Option<string?>("--expert-weights") { Description = "Expert weight precision: fp4 (NVFP4), mxfp4, fp8, bf16 or int4 (default: as --weights, or the checkpoint's)." };
        var kv = new Option<string?>("--kv-cache") { Description = "KV-cache precision searched: fp8, bf16, or both as bf16,fp8 (default: bf16)." };
        var mtp = new Option<int>("--mtp") { Description = "Multi-token prediction: also search deployments drafting this many tokens per step (needs a model with an MTP module).", DefaultValueFactory = _ => 0 }.Within(0, ServingModel.MaxMtpDrafts);
        var postprocess = new Option<int>("--postprocess-workers") { Description = "TensorRT-LLM: processes that detokenise and return responses besides the executor's (trtllm-serve's --num_postprocess_workers, added to its launch line); with any, the request overhead calibrated on runs that used them.", DefaultValueFactory = _ => 0 }.Within(0, 1024);
        var tbo = new Option<string>("--two-batch-overlap") { Description = "Two-batch overlap of decode steps: on (search it beside one batch), off, or auto (on for MoE models under a framework whose file names a flag for it: SGLang's --enable-two-batch-overlap, vLLM's --enable-dbo).", DefaultValueFactory = _ => "auto" };
        tbo.AcceptOnlyFromAmong("auto", "on", "off");
        var chunkScales = new Option<string?>("--chunk-scales") { Description = "Step budgets searched, as multiples of the framework's default, comma-separated (default: " + string.Join(",", PlanRequest.DefaultChunkScales) + ")." };
        var prefillGpu = new Option<string?>("--prefill-gpu") { Description = "Heterogeneous disaggregation: the prefill workers' GPU (with --decode-gpu; plans disaggregated serving only)." };
        var decodeGpu = new Option<string?>("--decode-gpu") { Description = "Heterogeneous disaggregation: the decode workers' GPU (with --prefill-gpu)." };
        var price = new Option<string[]>("--price") { Description = "A GPU-hour price replacing the built-in one: GPU=USD_PER_HOUR (repeat for several).", Arity = ArgumentArity.OneOrMore };
        var table = new Option<string?>("--table") { Description = "Write only the table of this key: choice, breakdown, cost, frontier, commands." };
        var cmd = new Command("plan", "The best deployment under latency targets: the frontier of tokens/s per GPU against tokens/s per user, the choice and its runner-up in the other mode, the GPUs a load takes, the cost per million tokens and the launch commands.")
        {
            model, gpus, framework, mode, isl, osl, hit, maxTtft, maxTpot, minTps, targetsOn, budget, loadRps, loadTps, maxEngine, weights, experts, kv, chunkScales, mtp, tbo, postprocess, prefillGpu, decodeGpu, price, format, table,
        };
        cmd.SetAction(p =>
        {
            var m = ModelCatalog.Resolve(p.GetValue(model)!);
            var gpuList = CommandOptions.GpuNames(p, gpus).Select(GpuCatalog.Resolve).ToList();
            var fw = FrameworkCatalog.Resolve(p.GetValue(framework)!).WithPostprocessWorkers(p.GetValue(postprocess));
            var t = m.Transformer;
            // --kv-cache may name several formats to search; the first sets the precisions' own.
            var kvList = (p.GetValue(kv) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(k => Units.PrecisionExtensions.Parse(k, "--kv-cache")).ToList();
            PrecisionOptions.RejectWeightOnly([.. kvList.Select(k => (kv, (Units.Precision?)k))]);
            var precisions = p.ServingPrecisions(t, weights, experts, null);
            if (kvList.Count > 0)
            {
                precisions = precisions with { KvCache = kvList[0] };
            }

            var scales = p.GetValue(chunkScales) is { } text
                ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x =>
                    double.TryParse(x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                        : throw new InputException($"--chunk-scales takes numbers separated by commas, got '{x}'")).ToList()
                : null;
            if (p.GetValue(loadRps) is not null && p.GetValue(loadTps) is not null)
            {
                throw new InputException("give the load as --load-rps or --load-tps, not both");
            }

            var prefill = p.GetValue(prefillGpu) is { } pg ? GpuCatalog.Resolve(pg) : null;
            var decode = p.GetValue(decodeGpu) is { } dg ? GpuCatalog.Resolve(dg) : null;
            var heterogeneous = prefill is not null || decode is not null;
            if (heterogeneous && p.GetResult(gpus) is { Implicit: false })
            {
                throw new InputException("give --gpu (one or more GPU types to compare) or --prefill-gpu and --decode-gpu (one deployment across two), not both");
            }

            if (heterogeneous)
            {
                gpuList = [.. new[] { prefill, decode }.OfType<GpuSpec>().DistinctBy(g => g.Name)];
            }

            var prices = GpuPrices.For([.. gpuList.Select(g => g.Name)], p.GetValue(price) ?? []);
            var modes = (p.GetResult(mode) is { Implicit: true } && heterogeneous ? "disagg" : p.GetValue(mode)) switch
            {
                "agg" => new[] { ServingMode.Aggregated },
                "disagg" => [ServingMode.Disaggregated],
                _ => [ServingMode.Aggregated, ServingMode.Disaggregated],
            };
            var request = new PlanRequest(m, gpuList, fw, precisions, p.GetValue(isl), p.GetValue(osl), p.GetValue(hit),
                new PlanTargets(p.GetValue(maxTtft), p.GetValue(maxTpot), p.GetValue(minTps)))
            {
                Modes = modes,
                GpuBudget = p.GetValue(budget),
                Load = p.GetValue(loadRps) is { } rps ? new PlanLoad(rps, null) : p.GetValue(loadTps) is { } tps ? new PlanLoad(null, tps) : null,
                MaxEngineGpus = p.GetValue(maxEngine),
                PrefillGpu = prefill,
                DecodeGpu = decode,
                KvCaches = kvList.Count > 1 ? kvList.Distinct().ToList() : null,
                ChunkScales = scales ?? PlanRequest.DefaultChunkScales,
                MtpDrafts = p.GetValue(mtp),
                TwoBatchOverlap = p.GetValue(tbo) switch { "on" => true, "off" => false, _ => null },
                TargetsOnBand = p.GetValue(targetsOn) == "band",
            };

            // A search that takes longer than about a second shows its progress on stderr; stdout stays clean for pipes.
            // A terminal sees one line rewritten in place; a log or a file, a line per step.
            var inPlace = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
            var clock = Stopwatch.StartNew();
            var shown = -1;
            var gate = new object();
            var result = ServingPlanner.Plan(request, done =>
            {
                if (clock.ElapsedMilliseconds < 1000)
                {
                    return;
                }

                var percent = (int)(done * 10) * 10;
                lock (gate)
                {
                    if (percent > shown)
                    {
                        shown = percent;
                        if (inPlace)
                        {
                            stderr.Write($"\rsearching deployments: {percent}%");
                        }
                        else
                        {
                            stderr.WriteLine($"searching deployments: {percent}%");
                        }
                    }
                }
            });
            if (shown >= 0 && inPlace)
            {
                stderr.WriteLine();
            }

            OutputFormats.For(p.GetValue(format)!).Write(PlanReport.Plan(result, prices).Only(p.GetValue(table)), stdout);
            return 0;
        });
        return cmd;
    }
}

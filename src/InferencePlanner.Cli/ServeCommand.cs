using System.CommandLine;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Cli;

/// <summary>The serve command: one deployment's TTFT, TPOT, throughput and memory under a closed-loop workload.</summary>
internal static class ServeCommand
{
    public static Command Build(TextWriter stdout)
    {
        var format = new Option<string>("--format") { Description = $"Output format: {string.Join(", ", OutputFormats.Names)}.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var model = new Option<string>("--model") { Description = "A built-in model name or the path of a HuggingFace config.json.", DefaultValueFactory = _ => ModelCatalog.DefaultName };
        var gpu = new Option<string>("--gpu") { Description = "A built-in GPU name or the path of a GPU JSON file.", DefaultValueFactory = _ => "H200" };
        var framework = new Option<string>("--framework") { Description = "Serving framework: sglang, vllm, trtllm, or the path of a framework JSON file.", DefaultValueFactory = _ => "sglang" };
        var mode = new Option<string>("--mode") { Description = "agg (one engine does prefill and decode) or disagg (prefill workers hand the KV cache to decode workers).", DefaultValueFactory = _ => "agg" };
        mode.AcceptOnlyFromAmong("agg", "disagg");
        var isl = new Option<int>("--isl") { Description = "Input (prompt) tokens per request.", DefaultValueFactory = _ => 1024 }.Within(1, OptionRanges.MaxTokens);
        var osl = new Option<int>("--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1024 }.Within(2, OptionRanges.MaxTokens);
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight (closed-loop clients, as benchmark tools run them).", DefaultValueFactory = _ => 64 }.Within(1, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the prefix cache, in [0, 1].", DefaultValueFactory = _ => 0 }.Within(0, 1);
        var waves = new Option<int>("--waves") { Description = "Requests a benchmark run sends, over the concurrency; the first wave arrives at once (0: the steady state alone).", DefaultValueFactory = _ => 0 }.Within(0, 1_000_000);
        var recv = new Option<int>("--scheduler-recv-interval") { Description = "Scheduler steps between polls for new requests (SGLang's option of that name).", DefaultValueFactory = _ => 1 }.Within(1, 10_000);
        var balance = new Option<int>("--adp-balance-timeout") { Description = "Steps a prompt may wait for every attention-DP rank to have one (TensorRT-LLM's attention_dp_config timeout_iters with enable_balance; 0: off).", DefaultValueFactory = _ => 0 }.Within(0, 10_000);
        var batchWait = new Option<int>("--batch-wait") { Description = "Steps a prompt may wait to be batched with others (TensorRT-LLM's batch_wait_timeout_iters).", DefaultValueFactory = _ => 0 }.Within(0, 10_000);
        var chunk = new Option<int?>("--chunk") { Description = "Prompt tokens one step carries per data-parallel group; disagg: the prefill workers' (default: the framework's budget)." }.Within(1, OptionRanges.MaxTokens);
        var engine = new LayoutOptions("");
        var prefill = new LayoutOptions("prefill-");
        var decode = new LayoutOptions("decode-");
        var prefillWorkers = new Option<int>("--prefill-workers") { Description = "disagg: prefill workers (x of xPyD).", DefaultValueFactory = _ => 1 }.Within(1, 100_000);
        var decodeWorkers = new Option<int>("--decode-workers") { Description = "disagg: decode workers (y of xPyD).", DefaultValueFactory = _ => 1 }.Within(1, 100_000);
        var weights = new Option<string?>("--weights") { Description = "Weight precision of attention and dense layers: fp4, fp8, bf16 (default: the checkpoint's)." };
        var experts = new Option<string?>("--expert-weights") { Description = "Expert weight precision: fp4 (NVFP4), mxfp4, fp8, bf16 or int4 (default: as --weights, or the checkpoint's)." };
        var kv = new Option<string?>("--kv-cache") { Description = "KV-cache precision: fp8 or bf16 (default: bf16)." };
        var mtp = new Option<int>("--mtp") { Description = "Multi-token prediction: draft tokens per step, verified with the token (needs a model with an MTP module).", DefaultValueFactory = _ => 0 }.Within(0, ServingModel.MaxMtpDrafts);
        var postprocess = new Option<int>("--postprocess-workers") { Description = "TensorRT-LLM: processes that detokenise and return responses besides the executor's (trtllm-serve's --num_postprocess_workers); with any, the request overhead calibrated on runs that used them.", DefaultValueFactory = _ => 0 }.Within(0, 1024);
        var tbo = new Option<bool>("--two-batch-overlap") { Description = "MoE engines with expert parallelism run decode steps as two overlapped micro-batches where that is faster (SGLang's --enable-two-batch-overlap)." };
        var table = new Option<string?>("--table") { Description = "Write only the table of this key: summary, ttft, tpot, decode-step, memory, balance." };
        var cmd = new Command("serve", "Serving one deployment under closed-loop clients: TTFT and TPOT with their parts, tokens/s per user and per GPU, requests/s, memory per GPU and what limits the rate.")
        {
            model, gpu, framework, mode, isl, osl, concurrency, hit, waves, chunk, recv, balance, batchWait, postprocess, prefillWorkers, decodeWorkers, weights, experts, kv, mtp, tbo, format, table,
        };
        engine.AddTo(cmd);
        prefill.AddTo(cmd);
        decode.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = ModelCatalog.Resolve(p.GetValue(model)!);
            var g = GpuCatalog.Resolve(p.GetValue(gpu)!);
            var fw = FrameworkCatalog.Resolve(p.GetValue(framework)!).WithPostprocessWorkers(p.GetValue(postprocess));

            var t = m.Transformer;
            var precisions = p.ServingPrecisions(t, weights, experts, kv);
            var workload = new ServingWorkload(p.GetValue(isl), p.GetValue(osl), p.GetValue(concurrency), p.GetValue(hit), p.GetValue(waves))
            {
                RecvInterval = p.GetValue(recv),
                BalanceTimeoutSteps = p.GetValue(balance),
                BatchWaitSteps = p.GetValue(batchWait),
            };
            var disagg = p.GetValue(mode) == "disagg";
            if (disagg && engine.Given(p))
            {
                throw new InputException("--tp, --dp, --moe-tp, --moe-ep, --redundant-experts and --max-batch set the aggregated engine; for --mode disagg use --prefill-tp, --decode-tp and the like");
            }

            if (!disagg && (prefill.Given(p) || decode.Given(p) || p.GetResult(prefillWorkers) is { Implicit: false } || p.GetResult(decodeWorkers) is { Implicit: false }))
            {
                throw new InputException("--prefill-* and --decode-* options set disaggregated workers; add --mode disagg, or use --tp, --dp, --moe-tp and --moe-ep");
            }

            var scenario = new ServingScenario(m, g, fw, precisions, workload, disagg ? ServingMode.Disaggregated : ServingMode.Aggregated,
                disagg ? null : engine.Layout(p, t, g),
                disagg ? new DisaggregatedLayout(prefill.Layout(p, t, g), p.GetValue(prefillWorkers), decode.Layout(p, t, g), p.GetValue(decodeWorkers)) : null,
                p.GetValue(chunk))
            {
                MtpDrafts = p.GetValue(mtp),
                TwoBatchOverlap = p.GetValue(tbo),
            };
            OutputFormats.For(p.GetValue(format)!).Write(ServingReport.Serve(scenario).Only(p.GetValue(table)), stdout);
            return 0;
        });
        return cmd;
    }

    /// <summary>An engine layout's options, with a prefix for the prefill and decode workers.</summary>
    private sealed class LayoutOptions
    {
        private readonly Option<int?> _tp, _dp, _moeTp, _moeEp, _redundant, _maxBatch;
        private readonly string _prefix;

        public LayoutOptions(string prefix)
        {
            _prefix = prefix;
            var who = prefix.Length == 0 ? "" : prefix.TrimEnd('-') + " workers: ";
            _tp = new Option<int?>($"--{prefix}tp") { Description = $"{who}attention tensor parallelism (default: the GPUs of one node that divide the heads)." }.Within(1, 1024);
            _dp = new Option<int?>($"--{prefix}dp") { Description = $"{who}attention data-parallel groups (default: 1)." }.Within(1, 100_000);
            _moeTp = new Option<int?>($"--{prefix}moe-tp") { Description = $"{who}tensor parallelism of the experts (default: the engine's GPUs over --{prefix}moe-ep)." }.Within(1, 1024);
            _moeEp = new Option<int?>($"--{prefix}moe-ep") { Description = $"{who}expert parallelism (default: 1, experts split by tensor parallelism)." }.Within(1, OptionRanges.MaxGpus);
            _redundant = new Option<int?>($"--{prefix}redundant-experts") { Description = $"{who}extra expert copies for load balancing (EPLB), a multiple of the MoE EP (default: 0)." }.Within(0, 1_000_000);
            _maxBatch = new Option<int?>($"--{prefix}max-batch") { Description = $"{who}requests one DP group runs at once (TensorRT-LLM's max_batch_size, SGLang's --max-running-requests, vLLM's --max-num-seqs; default: the framework's)." }.Within(1, 1_000_000);
        }

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(_tp);
            cmd.Options.Add(_dp);
            cmd.Options.Add(_moeTp);
            cmd.Options.Add(_moeEp);
            cmd.Options.Add(_redundant);
            cmd.Options.Add(_maxBatch);
        }

        public bool Given(ParseResult p) => p.GetValue(_tp) is not null || p.GetValue(_dp) is not null || p.GetValue(_moeTp) is not null || p.GetValue(_moeEp) is not null || p.GetValue(_redundant) is not null || p.GetValue(_maxBatch) is not null;

        public EngineLayout Layout(ParseResult p, TransformerSpec t, GpuSpec gpu)
        {
            var tp = p.GetValue(_tp) ?? EngineLayout.OneNodeTensorParallelism(t, gpu);
            var dp = p.GetValue(_dp) ?? 1;
            foreach (var (value, name) in new[] { (tp, "tp"), (dp, "dp") })
            {
                if (value < 1 || value > 100_000)
                {
                    throw new InputException($"--{_prefix}{name} must lie in [1, 100000], got {value}");
                }
            }

            var gpus = tp * dp;
            if (!t.FeedForward.IsMoe)
            {
                if (p.GetValue(_moeTp) is not null || p.GetValue(_moeEp) is not null || p.GetValue(_redundant) is not null)
                {
                    throw new InputException($"--{_prefix}moe-tp, --{_prefix}moe-ep and --{_prefix}redundant-experts apply to models with experts; {t.Family} is dense");
                }

                return new EngineLayout(tp, dp, gpus, 1) { MaxBatch = p.GetValue(_maxBatch) };
            }

            var ep = p.GetValue(_moeEp) ?? (p.GetValue(_moeTp) is { } mt && mt > 0 && gpus % mt == 0 ? gpus / mt : 1);
            if (ep < 1 || gpus % ep != 0)
            {
                throw new InputException($"--{_prefix}moe-ep {ep} does not divide the engine's {gpus} GPUs (TP {tp} x DP {dp})");
            }

            return new EngineLayout(tp, dp, p.GetValue(_moeTp) ?? gpus / ep, ep) { RedundantExperts = p.GetValue(_redundant) ?? 0, MaxBatch = p.GetValue(_maxBatch) };
        }
    }
}

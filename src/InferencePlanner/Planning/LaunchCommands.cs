using System.Globalization;
using InferencePlanner.Json;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Units;

namespace InferencePlanner.Planning;

/// <summary>One command line of a deployment: which framework, which role, how many copies to start.</summary>
/// <param name="Framework">sglang, vllm or trtllm.</param>
/// <param name="Role">engine, prefill worker, decode worker, or the disaggregated front end.</param>
/// <param name="Instances">Copies to start (workers of one kind).</param>
/// <param name="Line">The command line; empty when the framework cannot run the layout.</param>
/// <param name="Note">What else it needs, or why the framework cannot run the layout.</param>
public sealed record LaunchCommand(string Framework, string Role, int Instances, string Line, string Note);

/// <summary>
/// The launch commands of a planned deployment in SGLang, vLLM and TensorRT-LLM, with the flags each documents:
/// SGLang's server arguments (docs/advanced_features/server_arguments.md: --model-path, --tp-size, --dp-size,
/// --enable-dp-attention, --ep-size, --moe-a2a-backend, --max-running-requests, --chunked-prefill-size,
/// --kv-cache-dtype, --speculative-algorithm, --speculative-num-steps, --speculative-eagle-topk,
/// --speculative-num-draft-tokens, --enable-two-batch-overlap, --enable-eplb, --ep-num-redundant-experts, --disaggregation-mode);
/// vLLM's engine arguments (vllm/engine/arg_utils.py: --tensor-parallel-size, --data-parallel-size, --enable-expert-parallel,
/// --enable-eplb with --eplb-config's num_redundant_experts (vllm/config/parallel.py, EPLBConfig), --enable-dbo with
/// --all2all-backend deepep_low_latency (docs/design/dbo.md), --max-num-seqs, --max-num-batched-tokens,
/// --kv-cache-dtype, --speculative-config with method mtp, --kv-transfer-config with the NixlConnector of
/// docs/features/nixl_connector_usage.md);
/// TensorRT-LLM's trtllm-serve (tensorrt_llm/commands/serve.py: --tp_size, --ep_size, --max_batch_size,
/// --max_num_tokens, --num_postprocess_workers, --extra_llm_api_options, --server_role; the LLM API's enable_attention_dp, moe_config.load_balancer's
/// num_slots (MoeLoadBalancerConfig: the routed experts and their redundant copies),
/// kv_cache_config.dtype and speculative_config with decoding_type MTP; trtllm-serve disaggregated -c with context_servers and generation_servers).
/// </summary>
public static class LaunchCommands
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Repositories = new(() =>
    {
        var (name, text) = EmbeddedData.Under("model-repos/").Single();
        var root = JsonFields.Parse(text, "built-in " + name);
        var repos = root.OptionalObject("repositories") ?? throw new InputException($"built-in {name}: missing 'repositories'");
        return repos.Names().ToDictionary(n => n, n => repos.Text(n), StringComparer.OrdinalIgnoreCase);
    });

    /// <summary>The model argument: the HuggingFace repository of a built-in model, or a placeholder for a config given by path.</summary>
    public static string ModelArgument(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Repositories.Value.TryGetValue(model.Name, out var repo) ? repo : "<path of the model's checkpoint>";
    }

    /// <summary>The command lines of <paramref name="point"/> in every framework.</summary>
    public static IReadOnlyList<LaunchCommand> For(PlanPoint point, PlanRequest request, int chunkTokens)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(request);
        var model = ModelArgument(request.Model);
        var t = request.Model.Transformer;
        var fp8Kv = point.KvCache == Precision.Fp8;
        var mtp = point.MtpDrafts;
        var list = new List<LaunchCommand>();
        if (point.Mode == ServingMode.Aggregated)
        {
            var e = point.Engine!;
            var running = point.Concurrency;
            list.Add(Sglang(model, t, e, running, chunkTokens, fp8Kv, mtp, "engine", 1, null, point.Gpu.GpusPerNode, point.TwoBatchOverlap));
            list.Add(Vllm(model, t, e, running, chunkTokens, fp8Kv, mtp, "engine", 1, disaggregated: false, point.TwoBatchOverlap));
            list.Add(Trtllm(model, t, e, running, chunkTokens, fp8Kv, mtp, "engine", 1, null, request.Framework.PostprocessWorkers));
            return list;
        }

        var d = point.Disaggregated!;
        var perDecode = (int)Math.Ceiling(point.Concurrency / (double)d.DecodeWorkers);
        var perPrefill = (int)Math.Ceiling(point.Concurrency / (double)d.PrefillWorkers);
        list.Add(Sglang(model, t, d.Prefill, perPrefill, chunkTokens, fp8Kv, 0, "prefill worker", d.PrefillWorkers, "prefill", point.Gpu.GpusPerNode));
        list.Add(Sglang(model, t, d.Decode, perDecode, chunkTokens, fp8Kv, mtp, "decode worker", d.DecodeWorkers, "decode", point.Gpu.GpusPerNode, point.TwoBatchOverlap));
        list.Add(new LaunchCommand("sglang", "front end", 1, "", "a router in front sends each request to a prefill and a decode worker (SGLang's PD router)"));
        list.Add(Vllm(model, t, d.Prefill, perPrefill, chunkTokens, fp8Kv, 0, "prefill worker", d.PrefillWorkers, disaggregated: true));
        list.Add(Vllm(model, t, d.Decode, perDecode, chunkTokens, fp8Kv, mtp, "decode worker", d.DecodeWorkers, disaggregated: true, point.TwoBatchOverlap));
        list.Add(new LaunchCommand("vllm", "front end", 1, "", "a proxy in front routes each request's prefill and decode to the workers (vLLM's disaggregated-serving proxy)"));
        list.Add(Trtllm(model, t, d.Prefill, perPrefill, chunkTokens, fp8Kv, 0, "prefill worker", d.PrefillWorkers, "CONTEXT", request.Framework.PostprocessWorkers));
        list.Add(Trtllm(model, t, d.Decode, perDecode, chunkTokens, fp8Kv, mtp, "decode worker", d.DecodeWorkers, "GENERATION", request.Framework.PostprocessWorkers));
        list.Add(new LaunchCommand("trtllm", "front end", 1, "trtllm-serve disaggregated -c disagg_config.yaml",
            $"disagg_config.yaml lists context_servers (num_instances: {d.PrefillWorkers}) and generation_servers (num_instances: {d.DecodeWorkers}) with their urls; each worker's YAML sets cache_transceiver_config"));
        return list;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    // The two-batch-overlap flag the built-in framework's file names (data/frameworks, with its source).
    private static string OverlapFlag(string framework) =>
        FrameworkCatalog.Find(framework)?.TwoBatchOverlapFlag ?? throw new InvalidOperationException($"the built-in {framework} file names no two-batch-overlap flag");

    // SGLang: --tp-size is the engine's GPUs; attention DP splits them into --dp-size groups (--enable-dp-attention);
    // --ep-size spreads the experts, the rest of the engine's GPUs splitting each expert (MoE TP = tp-size / ep-size).
    private static LaunchCommand Sglang(string model, TransformerSpec t, EngineLayout e, int running, int chunk, bool fp8Kv, int mtp, string role, int instances, string? disagg, int domain, bool tbo = false)
    {
        var args = new List<string> { "python -m sglang.launch_server", "--model-path " + model, "--tp-size " + I(e.Gpus) };
        if (e.AttentionDp > 1)
        {
            args.Add("--dp-size " + I(e.AttentionDp));
            args.Add("--enable-dp-attention");
        }

        if (t.FeedForward.IsMoe && e.MoeEp > 1)
        {
            args.Add("--ep-size " + I(e.MoeEp));
            if (e.MoeEp > domain || e.AttentionDp > 1 || tbo)
            {
                args.Add("--moe-a2a-backend deepep");
            }

            if (tbo)
            {
                args.Add(OverlapFlag("sglang"));
            }

            if (e.RedundantExperts > 0)
            {
                args.Add("--enable-eplb --ep-num-redundant-experts " + I(e.RedundantExperts));
            }
        }

        args.Add("--max-running-requests " + I(Math.Max(1, running)));
        args.Add("--chunked-prefill-size " + I(chunk));
        if (mtp > 0)
        {
            args.Add("--speculative-algorithm EAGLE --speculative-num-steps " + I(mtp) + " --speculative-eagle-topk 1 --speculative-num-draft-tokens " + I(mtp + 1));
        }
        if (fp8Kv)
        {
            args.Add("--kv-cache-dtype fp8_e4m3");
        }

        if (disagg is not null)
        {
            args.Add("--disaggregation-mode " + disagg);
        }

        return new LaunchCommand("sglang", role, instances, string.Join(" ", args), Nodes(e, domain));
    }

    // vLLM: --tensor-parallel-size within each --data-parallel-size group; the experts follow the whole engine, split by
    // tensor parallelism or, with --enable-expert-parallel, spread by expert parallelism. A mix of both is not one of its layouts.
    private static LaunchCommand Vllm(string model, TransformerSpec t, EngineLayout e, int running, int chunk, bool fp8Kv, int mtp, string role, int instances, bool disaggregated, bool tbo = false)
    {
        if (t.FeedForward.IsMoe && e.MoeTp > 1 && e.MoeEp > 1)
        {
            return new LaunchCommand("vllm", role, instances, "", $"vLLM runs the experts split by TP or spread by EP over the whole engine, not MoE TP{e.MoeTp} x EP{e.MoeEp}");
        }

        var args = new List<string> { "vllm serve " + model, "--tensor-parallel-size " + I(e.AttentionTp) };
        if (e.AttentionDp > 1)
        {
            args.Add("--data-parallel-size " + I(e.AttentionDp));
        }

        if (t.FeedForward.IsMoe && e.MoeEp > 1)
        {
            args.Add("--enable-expert-parallel");
            if (e.RedundantExperts > 0)
            {
                args.Add("--enable-eplb --eplb-config '{\"num_redundant_experts\":" + I(e.RedundantExperts) + "}'");
            }

            if (tbo && e.AttentionDp > 1)
            {
                // Dual batch overlap: two micro-batches, over an all-to-all backend that supports them.
                args.Add(OverlapFlag("vllm") + " --all2all-backend deepep_low_latency");
            }
        }

        args.Add("--max-num-seqs " + I(Math.Max(1, (int)Math.Ceiling(running / (double)e.AttentionDp))));
        args.Add("--max-num-batched-tokens " + I(chunk));
        if (fp8Kv)
        {
            args.Add("--kv-cache-dtype fp8");
        }

        if (mtp > 0)
        {
            args.Add("--speculative-config '{\"method\":\"mtp\",\"num_speculative_tokens\":" + I(mtp) + "}'");
        }

        if (disaggregated)
        {
            args.Add("--kv-transfer-config '{\"kv_connector\":\"NixlConnector\",\"kv_role\":\"kv_both\"}'");
        }

        return new LaunchCommand("vllm", role, instances, string.Join(" ", args), "");
    }

    // TensorRT-LLM: --tp_size is the engine's GPUs, --ep_size its expert parallelism (MoE TP = tp_size / ep_size);
    // attention runs either as TP over them all or, with enable_attention_dp, as one DP rank per GPU.
    private static LaunchCommand Trtllm(string model, TransformerSpec t, EngineLayout e, int running, int chunk, bool fp8Kv, int mtp, string role, int instances, string? serverRole, int postprocessWorkers)
    {
        if (e.AttentionTp > 1 && e.AttentionDp > 1)
        {
            return new LaunchCommand("trtllm", role, instances, "", $"TensorRT-LLM runs attention as TP over the engine or as attention DP on every GPU, not TP{e.AttentionTp} x DP{e.AttentionDp}");
        }

        var args = new List<string> { "trtllm-serve " + model, "--tp_size " + I(e.Gpus) };
        if (t.FeedForward.IsMoe)
        {
            args.Add("--ep_size " + I(e.MoeEp));
        }

        args.Add("--max_batch_size " + I(Math.Max(1, (int)Math.Ceiling(running / (double)e.AttentionDp))));
        args.Add("--max_num_tokens " + I(chunk));
        if (postprocessWorkers > 0)
        {
            args.Add("--num_postprocess_workers " + I(postprocessWorkers));
        }

        var yaml = new List<string>();
        if (e.AttentionDp > 1)
        {
            yaml.Add("enable_attention_dp: true");
        }

        if (t.FeedForward.IsMoe && e.RedundantExperts > 0)
        {
            yaml.Add("moe_config: {load_balancer: {num_slots: " + I(t.FeedForward.RoutedExperts + e.RedundantExperts) + ", layer_updates_per_iter: 1}}");
        }

        if (fp8Kv)
        {
            yaml.Add("kv_cache_config: {dtype: fp8}");
        }

        if (mtp > 0)
        {
            yaml.Add("speculative_config: {decoding_type: MTP, num_nextn_predict_layers: " + I(mtp) + "}");
        }

        if (serverRole is not null)
        {
            yaml.Add("cache_transceiver_config: {backend: DEFAULT}");
            args.Add("--server_role " + serverRole);
        }

        if (yaml.Count > 0)
        {
            args.Add("--extra_llm_api_options config.yaml");
        }

        return new LaunchCommand("trtllm", role, instances, string.Join(" ", args), yaml.Count > 0 ? "config.yaml: " + string.Join("; ", yaml) : "");
    }

    private static string Nodes(EngineLayout e, int domain) =>
        e.Gpus > domain ? $"the engine spans {I((e.Gpus + domain - 1) / domain)} scale-up domains: start it on each node with SGLang's multi-node options" : "";
}

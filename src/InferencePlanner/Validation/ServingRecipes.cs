using System.Text.Json;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Units;

namespace InferencePlanner.Validation;

/// <summary>
/// The server settings benchmark runs used that change when a first token reaches the client (the scheduler's
/// receive interval, a batching wait, TensorRT-LLM's attention-DP balance, the tokens one step may carry), from
/// data/measurements/serving/recipes.json.
/// </summary>
public static class ServingRecipes
{
    private sealed record Rule(string Backend, string? Model, string? Gpu, string? Precision, int? Isl, int? Osl, int? MaxTp, int? Recv, int? RecvBelow16, int? BatchWait, bool? AttentionDp, int? BalanceTimeout, int? MaxNumTokens = null, bool MaxNumTokensFromConcurrency = false, string? KvCache = null, int? PostprocessWorkers = null, int? CudaGraphMaxBatch = null, bool CudaGraphFromConcurrency = false, bool Pdl = false, int? PiecewiseTokens = null, bool PiecewiseFromConcurrency = false);

    private static readonly string[] Keys = ["backend", "model", "gpu", "precision", "isl", "osl", "maxTp", "recvInterval", "recvIntervalBelow16", "batchWaitIters", "attentionDp", "balanceTimeoutIters", "maxNumTokens", "maxNumTokensFromConcurrency", "kvCache", "postprocessWorkers", "cudaGraphMaxBatch", "cudaGraphMaxBatchFromConcurrency", "programmaticDependentLaunch", "piecewiseGraphTokens", "piecewiseGraphTokensFromConcurrency", "source"];

    private static readonly Lazy<IReadOnlyList<Rule>> Rules = new(() =>
        [.. EmbeddedData.Under("serving-recipes/").SelectMany(f => Parse(f.Text, "built-in " + f.Name))]);

    private static List<Rule> Parse(string json, string origin)
    {
        using var doc = JsonDocument.Parse(json, Json.JsonFields.ReadOptions);
        var rules = new List<Rule>();
        foreach (var r in doc.RootElement.GetProperty("rules").EnumerateArray())
        {
            foreach (var p in r.EnumerateObject())
            {
                if (!Keys.Contains(p.Name))
                {
                    throw new InputException($"{origin}: unknown field '{p.Name}' in a rule (known: {string.Join(", ", Keys)})");
                }
            }

            int? Int(string name) => r.TryGetProperty(name, out var v) ? v.GetInt32() : null;
            string? Text(string name) => r.TryGetProperty(name, out var v) ? v.GetString() : null;
            var rule = new Rule(Text("backend")!, Text("model"), Text("gpu"), Text("precision"), Int("isl"), Int("osl"), Int("maxTp"), Int("recvInterval"), Int("recvIntervalBelow16"), Int("batchWaitIters"), r.TryGetProperty("attentionDp", out var adp) ? adp.GetBoolean() : null, Int("balanceTimeoutIters"),
                Int("maxNumTokens"), r.TryGetProperty("maxNumTokensFromConcurrency", out var fromConcurrency) && fromConcurrency.GetBoolean(),
                Text("kvCache"), Int("postprocessWorkers"), Int("cudaGraphMaxBatch"), r.TryGetProperty("cudaGraphMaxBatchFromConcurrency", out var graphs) && graphs.GetBoolean(),
                r.TryGetProperty("programmaticDependentLaunch", out var pdl) && pdl.GetBoolean(),
                Int("piecewiseGraphTokens"), r.TryGetProperty("piecewiseGraphTokensFromConcurrency", out var piecewise) && piecewise.GetBoolean());
            if (rule.PostprocessWorkers is < 0 or > 1024)
            {
                throw new InputException($"{origin}: postprocessWorkers must lie in [0, 1024], got {rule.PostprocessWorkers}");
            }

            if (rule.KvCache is not (null or "fp8" or "bf16"))
            {
                throw new InputException($"{origin}: kvCache must be fp8 or bf16, got '{rule.KvCache}'");
            }

            if (rule.PiecewiseTokens is < 0 or > 1_000_000)
            {
                throw new InputException($"{origin}: piecewiseGraphTokens must lie in [0, 1000000], got {rule.PiecewiseTokens}");
            }

            if (rule.CudaGraphMaxBatch is < 1 or > 1_000_000)
            {
                throw new InputException($"{origin}: cudaGraphMaxBatch must lie in [1, 1000000], got {rule.CudaGraphMaxBatch}");
            }

            if (rule.MaxNumTokens is < 1 or > 10_000_000)
            {
                throw new InputException($"{origin}: maxNumTokens must lie in [1, 10000000], got {rule.MaxNumTokens}");
            }

            rules.Add(rule);
        }

        return rules;
    }

    /// <summary>The workload with the settings of every rule the row matches, later rules refining earlier ones.</summary>
    public static ServingWorkload Apply(ServingWorkload w, ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        foreach (var r in Matching(row, model, gpuName, framework))
        {
            w = w with
            {
                RecvInterval = (concurrency < 16 ? r.RecvBelow16 : null) ?? r.Recv ?? w.RecvInterval,
                BatchWaitSteps = r.BatchWait ?? w.BatchWaitSteps,
                BalanceTimeoutSteps = r.BalanceTimeout ?? w.BalanceTimeoutSteps,
            };
        }

        return w;
    }

    /// <summary>
    /// The tokens one engine step may carry (max_num_tokens) as the benchmark's script set it for the row, where a rule
    /// gives it (null: the framework's default): a fixed figure, or DeepSeek-R1's TensorRT-LLM scripts' formula, the
    /// running requests' tokens and one prompt, plus 64, up to a multiple of 64. Without MTP the running requests are
    /// the concurrency, one token each, and the prompt the nominal ISL; the MTP scripts count (drafts + 1) tokens for
    /// each of the max batch (the concurrency, over the TP under attention DP) and the longest prompt the client may
    /// draw, ISL x (1 + the random range ratio, 0.8).
    /// </summary>
    public static int? MaxNumTokens(ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework, int concurrency, int drafts)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        int? tokens = null;
        foreach (var r in Matching(row, model, gpuName, framework))
        {
            if (r.MaxNumTokensFromConcurrency && row.Whole("isl") is { } isl)
            {
                var tp = Math.Max(1, row.Whole("tp_size") ?? 1);
                var maxBatch = drafts == 0 ? concurrency : Math.Max(1, row.Whole("attention_dp_size") is > 1 ? concurrency / tp : concurrency);
                var prompt = drafts == 0 ? isl : (int)Math.Round(isl * (1 + ServingCase.ClientRangeRatio));
                tokens = (((1 + drafts) * maxBatch) + prompt + 64 + 63) / 64 * 64;
            }
            else if (r.MaxNumTokens is { } fixedTokens)
            {
                tokens = fixedTokens;
            }
        }

        return tokens;
    }

    /// <summary>Processes the benchmark's script gives trtllm-serve for detokenising and returning responses besides the executor's (num_postprocess_workers; 0: none, the default).</summary>
    public static int PostprocessWorkers(ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        return Matching(row, model, gpuName, framework).Select(r => r.PostprocessWorkers).LastOrDefault(w => w is not null) ?? 0;
    }

    /// <summary>
    /// The KV-cache format the benchmark's script sets where it differs from the row's reading (SGLang's --kv-cache-dtype
    /// fp8_e4m3; TensorRT-LLM's kv_cache_config dtype, whose "auto" keeps a checkpoint without KV scales in BF16); null:
    /// the reading stands.
    /// </summary>
    public static Precision? KvCache(ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        return Matching(row, model, gpuName, framework).Select(r => r.KvCache).LastOrDefault(k => k is not null) switch
        {
            "fp8" => Precision.Fp8,
            "bf16" => Precision.Bf16,
            _ => null,
        };
    }

    /// <summary>
    /// The framework as the benchmark's script ran it, where its rules say how: the largest decode batch per rank
    /// replayed from CUDA graphs (TensorRT-LLM's cuda_graph_config max_batch_size: a figure, or the run's concurrency);
    /// the most tokens a step carrying prompt tokens may hold and replay vLLM's piecewise graphs (a figure: 0 under
    /// cudagraph_mode FULL_DECODE_ONLY, the capture size the script names; or vLLM's own rule with --max-num-seqs at the
    /// run's concurrency, twice the concurrency up to the default capture); and programmatic dependent launch
    /// (TensorRT-LLM's TRTLLM_ENABLE_PDL=1). Later rules refine earlier ones; what no rule sets keeps the framework's.
    /// </summary>
    public static ServingFramework Framework(ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        var f = framework;
        foreach (var r in Matching(row, model, gpuName, framework))
        {
            f = f with
            {
                CudaGraphMaxBatch = (r.CudaGraphFromConcurrency ? concurrency : r.CudaGraphMaxBatch) ?? f.CudaGraphMaxBatch,
                MemoryTiers = r.CudaGraphFromConcurrency || r.CudaGraphMaxBatch is not null ? [.. f.MemoryTiers.Select(t => t with { CudaGraphMaxBatch = null, SmallEngineCudaGraphMaxBatch = null })] : f.MemoryTiers,
                PiecewiseGraphTokens = (r.PiecewiseFromConcurrency ? Math.Min(2 * concurrency, framework.PiecewiseGraphTokens) : r.PiecewiseTokens) ?? f.PiecewiseGraphTokens,
                ProgrammaticDependentLaunch = r.Pdl || f.ProgrammaticDependentLaunch,
            };
        }

        return f;
    }

    private static IEnumerable<Rule> Matching(ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework)
    {
        var tp = row.Whole("tp_size") ?? row.Whole("decode_tp_size") ?? 1;
        foreach (var r in Rules.Value)
        {
            if (r.Backend != framework.Name
                || (r.Model is { } m && !model.Name.StartsWith(m, StringComparison.Ordinal))
                || (r.Gpu is { } g && !string.Equals(g, gpuName, StringComparison.OrdinalIgnoreCase))
                || (r.Precision is { } p && row["precision"] != p)
                || (r.Isl is { } isl && row.Whole("isl") != isl)
                || (r.Osl is { } osl && row.Whole("osl") != osl)
                || (r.MaxTp is { } maxTp && tp > maxTp)
                || (r.AttentionDp is { } withDp && withDp != (row.Whole("attention_dp_size") is > 1)))
            {
                continue;
            }

            yield return r;
        }
    }
}

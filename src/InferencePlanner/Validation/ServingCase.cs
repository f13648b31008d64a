using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Validation;

/// <summary>A measured serving point read as a scenario the serving level can price.</summary>
/// <param name="Row">The measurement.</param>
/// <param name="Model">The model served.</param>
/// <param name="Gpu">The GPU.</param>
/// <param name="Framework">The serving framework.</param>
/// <param name="Precisions">Precisions of weights, experts and KV cache.</param>
/// <param name="Workload">Input and output lengths and concurrency.</param>
/// <param name="Mode">Aggregated or disaggregated.</param>
/// <param name="Engine">Aggregated: the engine's layout.</param>
/// <param name="Disaggregated">Disaggregated: the workers.</param>
/// <param name="Assumptions">How the row was read where it does not say, or disagrees with itself.</param>
public sealed record ServingCase(
    ServingMeasurement Row,
    ModelSpec Model,
    GpuSpec Gpu,
    ServingFramework Framework,
    PrecisionSet Precisions,
    ServingWorkload Workload,
    ServingMode Mode,
    EngineLayout? Engine,
    DisaggregatedLayout? Disaggregated,
    IReadOnlyList<string> Assumptions)
{
    /// <summary>The benchmark client draws each length uniformly in [ratio, 1] x the nominal one (InferenceMAX's --random-range-ratio 0.8).</summary>
    public const double ClientRangeRatio = 0.8;

    /// <summary>Mean length over nominal length of the benchmark client's requests: 0.9.</summary>
    public const double ClientLengthShare = (1 + ClientRangeRatio) / 2;

    /// <summary>Width of the client's length spread over the mean length: (1 - 0.8) / 0.9.</summary>
    public const double ClientLengthSpread = (1 - ClientRangeRatio) / ClientLengthShare;

    /// <summary>Waves of requests per benchmark run (InferenceMAX: --num-prompts 10 x concurrency).</summary>
    public const int ClientWaves = 10;

    /// <summary>The assumption a disaggregated row without worker counts, and without a benchmark recipe, is read under.</summary>
    public const string UnstatedWorkers = "worker counts not stated: decode workers sized to hold the concurrency at the framework's CUDA-graph batch per DP group, prefill workers to balance them";

    /// <summary>How a disaggregated row without worker counts is read when the benchmark's recipes name its deployment.</summary>
    public const string RecipeWorkers = "worker counts not stated: workers, layouts and MTP from the InferenceMAX recipe that ran at this concurrency (inferencemax-recipes.json)";

    /// <summary>How a disaggregated row that states its deployment is read when a benchmark recipe ran that deployment at its concurrency.</summary>
    public const string RecipeSettings = "the InferenceMAX recipe that ran this deployment at this concurrency sets its batch caps, prefill budget and MTP (inferencemax-recipes.json)";

    /// <summary>How an aggregated row is read when the benchmark's recipe for it drafted tokens.</summary>
    public const string RecipeMtp = "the InferenceMAX recipe that ran this engine at this concurrency drafts tokens (MTP; inferencemax-recipes.json)";

    /// <summary>How a row that several recipes ran at is read.</summary>
    public const string SeveralRecipes = "several recipes ran at this concurrency: the row is priced as each, and the geometric mean of the predictions reported";

    /// <summary>Draft tokens per decode step the deployment ran with (multi-token prediction; 0: none).</summary>
    public int MtpDrafts { get; init; }

    /// <summary>Prompt tokens a prefill step carries per DP group, where the deployment sets it (null: the framework's budget).</summary>
    public int? ChunkTokens { get; init; }

    /// <summary>Processes the server ran for detokenising and returning responses besides the executor's (TensorRT-LLM's num_postprocess_workers; 0: none).</summary>
    public int PostprocessWorkers { get; init; }

    /// <summary>The other deployments the row may have measured, when several recipes ran at its concurrency.</summary>
    public IReadOnlyList<ServingCase> Alternatives { get; init; } = [];

    /// <summary>Whether the row reads as more than one deployment (<see cref="Alternatives"/> is not empty): several recipes ran at its concurrency, or its run is given twice and read two ways.</summary>
    public bool ReadSeveralWays => Alternatives.Count > 0;

    /// <summary>
    /// Whether the row measured one known deployment: it reads one way (<see cref="ReadSeveralWays"/> is false), and its
    /// worker counts are stated or a recipe names them. A disaggregated row sized under <see cref="UnstatedWorkers"/>
    /// runs on assumed GPUs, so its measured output tokens/s per GPU rests on that assumption as much as its prediction.
    /// </summary>
    public bool DeploymentKnown => !ReadSeveralWays && !Assumptions.Contains(UnstatedWorkers);

    /// <summary>Whether the row states no worker counts of its own (its deployment is a recipe's or sized).</summary>
    public bool WorkersUnstated => Assumptions.Contains(UnstatedWorkers) || Assumptions.Contains(RecipeWorkers);

    /// <summary>The stratum the row reports in: model x GPU x mode x framework.</summary>
    public string Stratum => $"{Model.Name} / {Gpu.Name} / {Mode.ShortName()} / {Framework.Name}";

    /// <summary>The group a planner orders layouts in: model, GPU, ISL/OSL and mode.</summary>
    public string Group => $"{Model.Name} / {Gpu.Name} / {Row["isl"]}x{Row["osl"]} / {Mode.ShortName()}";

    /// <summary>The row's deployment as read: framework, precisions of weights and experts, layout, and the MTP drafts where it drafts (a run with MTP and one without are two deployments, as a plan tells them apart).</summary>
    public string Deployment
    {
        get
        {
            var t = Model.Transformer;
            var layout = Engine is { } e ? e.Describe(t)
                : $"{Disaggregated!.PrefillWorkers}P{Disaggregated.DecodeWorkers}D: prefill {Disaggregated.Prefill.Describe(t)}, decode {Disaggregated.Decode.Describe(t)}";
            return $"{Framework.Name}, {Precisions.Weights.Name()}/{Precisions.ExpertWeights.Name()}, {layout}{(MtpDrafts > 0 ? $", MTP {MtpDrafts}" : "")}";
        }
    }

    /// <summary>The run the row describes: its group, deployment as read and concurrency.</summary>
    public string Run => FormattableString.Invariant($"{Group} / {Deployment} / c{Workload.Concurrency}");

    /// <summary>
    /// What a measurement of the row is of, whatever deployment its columns read as: the model's architecture (two
    /// checkpoints of one architecture, DeepSeek-V3 and DeepSeek-R1, serve alike), GPU, ISL/OSL, mode, framework and
    /// concurrency. Two rows of one such setting with the same TTFT and TPOT to 12 digits are one measurement.
    /// </summary>
    public string Setting => FormattableString.Invariant($"{Model.Transformer} / {Gpu.Name} / {Row["isl"]}x{Row["osl"]} / {Mode.ShortName()} / {Framework.Name} / c{Workload.Concurrency}");

    /// <summary>Why a row's deployment is not known when the dataset gives its run twice, read as two deployments.</summary>
    public const string ReadTwoWays = "the dataset gives this run twice, its columns read as different deployments: the row is priced as each, and the geometric mean of the predictions reported";

    /// <summary>
    /// This row with the readings of <paramref name="again"/>, another row that gives the same measurement, among its
    /// alternatives where they read as other deployments (the run is then of no known deployment).
    /// </summary>
    public ServingCase WithReadingsOf(ServingCase again)
    {
        ArgumentNullException.ThrowIfNull(again);
        var readings = new List<ServingCase>(Alternatives);
        foreach (var r in new[] { again with { Alternatives = [] } }.Concat(again.Alternatives))
        {
            if (r.Deployment != Deployment && readings.All(k => k.Deployment != r.Deployment))
            {
                readings.Add(r);
            }
        }

        return readings.Count == Alternatives.Count ? this
            : this with { Alternatives = readings, Assumptions = Assumptions.Contains(ReadTwoWays) ? Assumptions : [.. Assumptions, ReadTwoWays] };
    }

    /// <summary>
    /// The decode engine's attention TP and the requests in flight per decode GPU: the engine's for an aggregated row,
    /// the decode workers' for a disaggregated one (all requests counted as decoding).
    /// </summary>
    public (int Tp, double RequestsPerGpu) DecodeShape => Engine is { } e
        ? (e.AttentionTp, (double)Workload.Concurrency / e.Gpus)
        : (Disaggregated!.Decode.AttentionTp, (double)Workload.Concurrency / ((long)Disaggregated.Decode.Gpus * Disaggregated.DecodeWorkers));

    // A row read by the benchmark's recipes: the first reading, with the others as its alternatives, and the assumption
    // (and, for several, that the predictions' geometric mean is reported) kept with the row.
    private static ServingCase Readings(string assumption, List<string> assumptions, IEnumerable<ServingCase> readings)
    {
        var each = readings.ToList();
        assumptions.Add(assumption);
        if (each.Count > 1)
        {
            assumptions.Add(SeveralRecipes);
        }

        return each[0] with { Alternatives = each[1..] };
    }

    /// <summary>
    /// Reads a measurement as a scenario, or gives the reason it cannot be priced. The rules:
    /// model_path names a built-in model (Llama-3.1-8B-Instruct and its FP8 build are llama-3.1-8b); system names a
    /// built-in GPU (h100_sxm is H100-SXM); backend names a framework; the concurrency is silicon_concurrency in the
    /// source column (else the aggregated batch_size). Precisions: fp8 and fp8_block GEMMs run FP8, nvfp4 FP4, an empty
    /// precision BF16; DeepSeek's FP4 checkpoints keep FP8 attention and GPT-OSS keeps BF16 attention, as their
    /// checkpoints do; KV cache FP8 for NVIDIA's fp8 and nvfp4 checkpoints, BF16 otherwise. An empty attention DP is 1. An aggregated engine wider
    /// than one 8-GPU node whose MoE TP x EP equals its TP x DP (TP64 with MoE TP8 x EP8) repeats the measurement of
    /// the same run at TP x DP / MoE TP GPUs with EP over them, and is read so. A MoE engine with MoE TP x EP of 1 splits
    /// the experts by TP, the frameworks' default. What a row leaves out, the benchmark's recipes give where they match it
    /// (<see cref="BenchmarkRecipes"/>): a disaggregated row's workers and layouts, and MTP drafts; a row several recipes
    /// match is read as each (<see cref="Alternatives"/>). Disaggregated rows without worker counts that no recipe matches
    /// get as many decode workers as hold the concurrency at the framework's CUDA-graph batch per DP group, and the
    /// prefill workers that balance them.
    /// </summary>
    public static (ServingCase? Case, string? Reason) Read(ServingMeasurement row, Func<string, ServingFramework?> framework)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(framework);
        var assumptions = new List<string>();
        var modelName = ModelName(row["model_path"]);
        var model = ModelCatalog.BuiltIn.FirstOrDefault(m => m.Name == modelName);
        if (model is null)
        {
            return (null, $"model '{row["model_path"]}' is not built in");
        }

        var gpu = GpuFor(row["system"]);
        if (gpu is null)
        {
            return (null, $"system '{row["system"]}' is not a built-in GPU");
        }

        var fw = framework(row["backend"]);
        if (fw is null)
        {
            return (null, $"backend '{row["backend"]}' is not a built-in framework");
        }

        if (row.Mode is not { } mode)
        {
            return (null, $"mode '{row["mode"]}' is neither agg nor disagg");
        }

        if (row.Concurrency is not { } concurrency)
        {
            return (null, "the row states no concurrency (silicon_concurrency or batch_size)");
        }

        var isl = row.Whole("isl");
        var osl = row.Whole("osl");
        if (isl is not > 0 || osl is not > 1)
        {
            return (null, "isl or osl is missing or too small");
        }

        var t = model.Transformer;
        var precisions = PrecisionsOf(row, t);
        // The single-node scripts' KV-cache format, for the aggregated runs they launch (disaggregated runs have recipes of their own).
        if (mode == ServingMode.Aggregated && !FixedLengthClient(row) && ServingRecipes.KvCache(row, model, gpu.Name, fw) is { } kv)
        {
            precisions = precisions with { KvCache = kv };
        }

        // The InferenceMAX client draws each length uniformly in [0.8, 1] x the nominal one (--random-range-ratio 0.8)
        // and sends 10 x concurrency requests (--num-prompts), the first wave at once. The rows of aiconfigurator's own
        // sweeps (aic-auto-gap-analysis) name no client: they are read with fixed lengths, as NVIDIA's aiperf runs
        // synthetic prompts (--synthetic-input-tokens-stddev 0 --output-tokens-stddev 0 in TensorRT-LLM's aiperf
        // example), and the same 10 waves.
        var fixedLengths = FixedLengthClient(row);
        var share = fixedLengths ? 1 : ClientLengthShare;
        var workload = new ServingWorkload((int)Math.Round(isl.Value * share), Math.Max(2, (int)Math.Round(osl.Value * share)), concurrency, 0, ClientWaves, fixedLengths ? 0 : ClientLengthSpread);
        workload = ServingRecipes.Apply(workload, row, model, gpu.Name, fw, concurrency);
        if (mode == ServingMode.Aggregated)
        {
            var (engine, why) = Layout(row, "", t, gpu, assumptions);
            if (engine is null)
            {
                return (null, why);
            }

            var drafts = BenchmarkRecipes.AggregatedDrafts(row, model, gpu, fw, engine, concurrency);
            // The tokens one step may carry and the server's postprocess workers, where the InferenceMAX script that ran
            // the row sets them (aiconfigurator's own sweeps ran other servers).
            int? Budget(int d) => fixedLengths ? null : ServingRecipes.MaxNumTokens(row, model, gpu.Name, fw, concurrency, d);
            var postprocess = fixedLengths ? 0 : ServingRecipes.PostprocessWorkers(row, model, gpu.Name, fw);
            // The CUDA graphs and kernel launches the script set (aiconfigurator's sweeps keep the framework's).
            var scripted = fixedLengths ? fw : ServingRecipes.Framework(row, model, gpu.Name, fw, concurrency);
            if (!drafts.Any(d => d > 0))
            {
                return (new ServingCase(row, model, gpu, scripted, precisions, workload, mode, engine, null, assumptions) { ChunkTokens = Budget(0), PostprocessWorkers = postprocess }, null);
            }

            return (Readings(RecipeMtp, assumptions, drafts.Select(d => new ServingCase(row, model, gpu, scripted, precisions, workload, mode, engine, null, assumptions) { MtpDrafts = d, ChunkTokens = Budget(d), PostprocessWorkers = postprocess })), null);
        }

        var (prefill, pWhy) = Layout(row, "prefill_", t, gpu, assumptions);
        if (prefill is null)
        {
            return (null, pWhy);
        }

        var (decode, dWhy) = Layout(row, "decode_", t, gpu, assumptions);
        if (decode is null)
        {
            return (null, dWhy);
        }

        var px = row.Whole("prefill_num_workers");
        var dy = row.Whole("decode_num_workers");
        if ((px is null || dy is null) && BenchmarkRecipes.Disaggregated(row, model, gpu, fw, concurrency) is { Count: > 0 } readings)
        {
            return (Readings(RecipeWorkers, assumptions, readings.Select(r => new ServingCase(row, model, gpu, fw, precisions, workload, mode, null, r.Layout, assumptions) { MtpDrafts = r.MtpDrafts, ChunkTokens = r.PrefillChunkTokens })), null);
        }

        if (px is null || dy is null)
        {
            // Sized as an operator would: enough decode workers that each runs at most the batch its CUDA graphs
            // capture per DP group, and the prefill workers that balance them (set when the row is priced).
            dy = Math.Max(1, (int)Math.Ceiling(concurrency / ((double)fw.CudaGraphMaxBatchFor(gpu.MemoryGB, decode.Gpus) * decode.AttentionDp)));
            px = 1;
            assumptions.Add(UnstatedWorkers);
        }

        var layout = new DisaggregatedLayout(prefill, Math.Max(1, px.Value), decode, Math.Max(1, dy.Value));
        if (!assumptions.Contains(UnstatedWorkers) && BenchmarkRecipes.Stated(row, model, gpu, fw, concurrency, layout) is { Count: > 0 } stated)
        {
            return (Readings(RecipeSettings, assumptions, stated.Select(r => new ServingCase(row, model, gpu, fw, precisions, workload, mode, null, r.Layout, assumptions) { MtpDrafts = r.MtpDrafts, ChunkTokens = r.PrefillChunkTokens })), null);
        }

        return (new ServingCase(row, model, gpu, fw, precisions, workload, mode, null, layout, assumptions), null);
    }

    /// <summary>Whether a row comes from aiconfigurator's own sweeps, whose client sends every request at its nominal lengths.</summary>
    internal static bool FixedLengthClient(ServingMeasurement row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row["silicon_data_source"].Contains("aic-auto-gap-analysis", StringComparison.Ordinal);
    }

    // The model a model_path names: a built-in by its name, once the suffixes of builds of the same architecture are
    // taken off (instruct, thinking and dated releases, quantised builds), or a release data/models/aliases.json names
    // as the same architecture as a built-in.
    internal static string ModelName(string path)
    {
        var last = path.Split('/')[^1].ToLowerInvariant();
        // Meta named its 3.1 repositories Meta-Llama-3.1-* before renaming them Llama-3.1-*.
        if (last.StartsWith("meta-llama-", StringComparison.Ordinal))
        {
            last = last["meta-".Length..];
        }

        var trimmed = true;
        while (trimmed)
        {
            if (ModelCatalog.Alias(last) is { } aliased)
            {
                return aliased;
            }

            trimmed = false;
            foreach (var suffix in (string[])["-fp8", "-nvfp4", "-mxfp4", "-fp4", "-int4", "-awq", "-kv", "-dynamic", "-v2", "-preview", "-exp", "-instruct", "-thinking", "-base", "-2507", "-0905", "-0324", "-0528"])
            {
                if (last.EndsWith(suffix, StringComparison.Ordinal) && ModelCatalog.BuiltIn.All(m => m.Name != last))
                {
                    last = last[..^suffix.Length];
                    trimmed = true;
                    break;
                }
            }
        }

        return last;
    }

    // The GPU a system names: a built-in by its name with the form factor taken off (h100_sxm is H100-SXM, b300_sxm B300).
    internal static Hardware.GpuSpec? GpuFor(string system)
    {
        var s = system.ToUpperInvariant();
        foreach (var name in (string[])[s, s.Replace('_', '-'), s.Replace("_SXM", "", StringComparison.Ordinal).Replace("_PCIE", "", StringComparison.Ordinal).Replace("_NVL", "", StringComparison.Ordinal)])
        {
            if (GpuCatalog.BuiltIn.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase)) is { } gpu)
            {
                return gpu;
            }
        }

        return null;
    }

    /// <summary>
    /// The weight precision a quantisation mode names, as aiconfigurator's rows spell them: FP4 formats (nvfp4; mxfp4 and
    /// w4a16_mxfp4 as MXFP4), 4-bit integers weight-only or with FP8 activations (int4_wo, w4a16, w4afp8: INT4 weights, priced
    /// at the BF16 rate as weight-only kernels run them), FP8 (fp8, fp8_block, fp8_static, w8a8 and int8 weights, one byte
    /// each), 16-bit (bf16, fp16, float16); null for an empty or unknown mode.
    /// </summary>
    internal static Precision? QuantMode(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        var q = mode.Trim().ToLowerInvariant();
        if (q.Length == 0)
        {
            return null;
        }

        if (q.Contains("mxfp4", StringComparison.Ordinal))
        {
            return Precision.Mxfp4;
        }

        if (q.Contains("fp4", StringComparison.Ordinal))
        {
            return Precision.Fp4;
        }

        if (q.Contains("int4", StringComparison.Ordinal) || q.StartsWith("w4a", StringComparison.Ordinal))
        {
            return Precision.Int4;
        }

        if (q.StartsWith("fp8", StringComparison.Ordinal) || q.StartsWith("w8a8", StringComparison.Ordinal) || q.StartsWith("int8", StringComparison.Ordinal))
        {
            return Precision.Fp8;
        }

        return q is "bf16" or "fp16" or "float16" or "bfloat16" ? Precision.Bf16 : null;
    }

    private static PrecisionSet PrecisionsOf(ServingMeasurement row, TransformerSpec t)
    {
        static Precision Of(string q, Precision otherwise) => QuantMode(q) ?? otherwise;

        var gemm = Of(row["gemm_quant_mode"], Of(row["precision"], Precision.Bf16));
        var experts = Of(row["moe_quant_mode"], gemm);
        if (gemm == Precision.Fp4 && t.FeedForward.IsMoe)
        {
            // NVIDIA's FP4 builds of MoE models quantise the experts; DeepSeek's attention stays FP8, GPT-OSS's BF16.
            gemm = t.Family == "gpt_oss" ? Precision.Bf16 : Precision.Fp8;
        }

        if (t.Family == "gpt_oss")
        {
            gemm = Precision.Bf16;
        }

        // The rows name OpenAI's MXFP4 experts by the FP4 label of NVIDIA's builds (nvfp4): the checkpoint's format stands.
        if (experts == Precision.Fp4 && PrecisionSet.NativeFor(t).ExpertWeights == Precision.Mxfp4)
        {
            experts = Precision.Mxfp4;
        }

        // NVIDIA's ModelOpt checkpoints (the rows' fp8 and nvfp4 quantisation) carry FP8 scales for the KV cache
        // (kv_cache_quant_algo FP8), and the frameworks then keep it in FP8; DeepSeek's own block-FP8 checkpoint
        // (fp8_block) and unquantised ones do not.
        var kvFp8 = row["moe_quant_mode"] is "fp8" or "nvfp4" || row["gemm_quant_mode"] is "fp8" or "nvfp4";
        return new PrecisionSet(gemm, experts, kvFp8 ? Precision.Fp8 : Precision.Bf16, Precision.Bf16, Precision.Fp8, Precision.Bf16);
    }

    private static (EngineLayout? Layout, string? Reason) Layout(ServingMeasurement row, string prefix, TransformerSpec t, GpuSpec gpu, List<string> assumptions)
    {
        var side = prefix.Length > 0 ? prefix.TrimEnd('_') + " " : "";
        var tp = row.Whole(prefix + "tp_size");
        if (tp is not > 0)
        {
            return (null, $"the {side}TP is not stated");
        }

        if (row.Whole(prefix + "pp_size") is > 1)
        {
            return (null, $"the {side}layout uses pipeline parallelism, which the model does not price");
        }

        var dp = row.Whole(prefix + "attention_dp_size") is { } d and > 0 ? d : 1;
        var moeTp = row.Whole(prefix + "moe_tp_size") ?? 0;
        var moeEp = row.Whole(prefix + "moe_ep_size") ?? 0;
        int a = tp.Value, gpus = a * dp;
        if (!t.FeedForward.IsMoe)
        {
            return (new EngineLayout(a, dp, gpus, 1), null);
        }

        if (prefix.Length == 0 && gpus > gpu.GpusPerNode && moeTp > 1 && moeEp > 1 && (long)moeTp * moeEp == gpus && (a % moeTp == 0 || dp % moeTp == 0))
        {
            // TP64 with MoE TP8 x EP8 on one HGX node: the same run as TP8 with EP8 (the rows' values are identical).
            (a, dp) = a % moeTp == 0 && a >= dp ? (a / moeTp, dp) : (a, dp / moeTp);
            assumptions.Add($"{side}TP {tp} x DP {(row.Whole(prefix + "attention_dp_size") ?? 1)} with MoE TP {moeTp} x EP {moeEp} exceeds an HGX node: read as TP {a} x DP {dp}, EP {moeEp}");
            return (new EngineLayout(a, dp, 1, moeEp), null);
        }

        if (moeTp < 1 || moeEp < 1 || (long)moeTp * moeEp == 1 && gpus > 1)
        {
            return (EngineLayout.TensorParallel(gpus) with { AttentionTp = a, AttentionDp = dp }, null);
        }

        if ((long)moeTp * moeEp != gpus)
        {
            return (null, $"the {side}MoE TP {moeTp} x EP {moeEp} does not cover the engine's TP {a} x DP {dp} GPUs");
        }

        return (new EngineLayout(a, dp, moeTp, moeEp), null);
    }
}

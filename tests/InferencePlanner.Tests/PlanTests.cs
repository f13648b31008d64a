using System.Text.Json;
using CsCheck;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Planning;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Validation;
using InferencePlanner.Work;

namespace InferencePlanner.Tests;

/// <summary>The planner: its search, frontier, choice, cost, commands and bad input.</summary>
public sealed class PlanTests
{
    private static Lazy<ServingValidationReport.Outcome> Serving => BundledServing.Outcome;

    private static readonly Lazy<IReadOnlyList<ServingValidationReport.PlannerChoice>> Choices =
        new(() => ServingValidationReport.PlannerChoices(Serving.Value.Predictions));

    [Theory]
    [InlineData(1024, 1024)]
    [InlineData(8192, 1024)]
    public void Plan_for_deepseek_r1_on_h200_b200_and_gb200_prints_the_frontier_the_choice_the_cost_and_the_commands(int isl, int osl)
    {
        var (exit, output, err) = Cli.Run("plan", "--model", "deepseek-r1", "--gpu", "H200", "--gpu", "B200", "--gpu", "GB200",
            "--isl", isl.ToString(System.Globalization.CultureInfo.InvariantCulture), "--osl", osl.ToString(System.Globalization.CultureInfo.InvariantCulture), "--min-tps", "20", "--format", "json");
        Assert.True(exit == 0, err);
        JsonAssert.Finite(output, "plan");
        var tables = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("rows"));
        Assert.Equal(["choice", "breakdown", "cost", "frontier", "commands"], tables.Keys);

        var chosen = tables["choice"][0];
        Assert.Equal("chosen", chosen.GetProperty("role").GetString());
        Assert.True(chosen.GetProperty("tokens/s per user").GetDouble() >= 20);
        Assert.Equal(2, tables["choice"].GetArrayLength()); // the runner-up in the other mode

        var frontier = tables["frontier"].EnumerateArray().ToList();
        foreach (var gpu in new[] { "H200", "B200", "GB200" })
        {
            foreach (var mode in new[] { "agg", "disagg" })
            {
                Assert.Contains(frontier, f => f.GetProperty("GPU").GetString() == gpu && f.GetProperty("mode").GetString() == mode);
            }
        }

        // The choice has the most output tokens/s per GPU of every frontier point that meets the target (the search
        // prices steps by linear interpolation on 4% grids, the chosen deployment afresh: they agree within a part in a
        // thousand; DeepSeek-R1's 1k/1k choice on GB200, decode at EP32, differs by 0.9 parts in its decode step).
        var best = frontier.Where(f => f.GetProperty("meets the targets").GetString() == "yes").Max(f => f.GetProperty("output tokens/s per GPU").GetDouble());
        Assert.InRange(chosen.GetProperty("output tokens/s per GPU").GetDouble() / best, 0.999, 1.001);

        Assert.All(tables["cost"].EnumerateArray(), c => Assert.True(c.GetProperty("USD per million output tokens").GetDouble() > 0));
        var commands = tables["commands"].EnumerateArray().Select(c => c.GetProperty("command").GetString()!).ToList();
        Assert.Contains(commands, c => c.StartsWith("python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-R1", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("trtllm-serve deepseek-ai/DeepSeek-R1", StringComparison.Ordinal));
        Assert.Equal(3, tables["commands"].EnumerateArray().Select(c => c.GetProperty("framework").GetString()).Distinct().Count());
    }

    [Fact]
    public void The_frontier_holds_exactly_the_points_no_other_beats_on_both_axes()
    {
        var gpu = GpuCatalog.Resolve("H200");
        var engine = new EngineLayout(1, 1, 1, 1);
        Gen.Double[1, 100].Select(Gen.Double[1, 1000]).Array[1, 40].Sample(pairs =>
        {
            var points = pairs.Select(x => new PlanPoint(gpu, ServingMode.Aggregated, engine, null, 1,
                new ServingResult(default, new TpotParts(1000 / x.Item1, 0, 0), x.Item2, 1, 1, 1, 1, 1, ServingLimit.Concurrency, default) { Osl = 1 })).ToList();
            var frontier = ServingPlanner.Frontier(points);
            static bool Beats(PlanPoint a, PlanPoint b) =>
                a.Result.TokensPerSecondPerUser >= b.Result.TokensPerSecondPerUser && a.Result.OutputTokensPerSecondPerGpu >= b.Result.OutputTokensPerSecondPerGpu
                && (a.Result.TokensPerSecondPerUser > b.Result.TokensPerSecondPerUser || a.Result.OutputTokensPerSecondPerGpu > b.Result.OutputTokensPerSecondPerGpu);
            foreach (var p in points)
            {
                var dominated = points.Any(q => Beats(q, p));
                Assert.Equal(!dominated, frontier.Contains(p) || frontier.Any(f => f.Result.TokensPerSecondPerUser == p.Result.TokensPerSecondPerUser && f.Result.OutputTokensPerSecondPerGpu == p.Result.OutputTokensPerSecondPerGpu));
            }
        });
    }

    [Fact]
    public void A_load_takes_the_fewest_replicas_that_carry_it_within_the_budget()
    {
        var request = Request("llama-3.1-8b", "H100-SXM") with { Load = new PlanLoad(50, null), GpuBudget = 64, Targets = new PlanTargets(null, 30, null) };
        var plan = ServingPlanner.Plan(request);
        var rps = plan.Best.Result.RequestsPerSecond;
        Assert.True(plan.Replicas * rps >= 50 * (1 - 1e-9));
        Assert.True((plan.Replicas - 1) * rps < 50);
        Assert.True(plan.Replicas * plan.Best.Gpus <= 64);
        Assert.True(plan.Best.Result.Tpot.Total <= 30);
    }

    [Fact]
    public void Targets_judged_at_the_band_s_high_end_choose_a_deployment_whose_band_meets_them_and_cost_throughput()
    {
        // vLLM aggregated has a band for every TP; its high ends lie above 1, so judging the target there is stricter.
        var request = Request("llama-3.1-8b", "H100-SXM") with { Targets = new PlanTargets(500, 20, null), Modes = [ServingMode.Aggregated] };
        var plain = ServingPlanner.Plan(request);
        var banded = ServingPlanner.Plan(request with { TargetsOnBand = true });
        var best = banded.Best;
        var band = ErrorBand.For("vllm", ServingMode.Aggregated, best.Engine!.AttentionTp)!;
        Assert.True(band.TpotHigh > 1 && band.TtftHigh > 1);
        Assert.True(best.Result.Tpot.Total * band.TpotHigh <= 20, $"TPOT {best.Result.Tpot.Total:F2} ms x {band.TpotHigh}");
        Assert.True(best.Result.Ttft.Total * band.TtftHigh <= 500, $"TTFT {best.Result.Ttft.Total:F1} ms x {band.TtftHigh}");
        Assert.True(best.Result.OutputTokensPerSecondPerGpu <= plain.Best.Result.OutputTokensPerSecondPerGpu);
        var plainBand = ErrorBand.For("vllm", ServingMode.Aggregated, plain.Best.Engine!.AttentionTp)!;
        Assert.True(plain.Best.Result.Tpot.Total * plainBand.TpotHigh > 20 || plain.Best.Result.Ttft.Total * plainBand.TtftHigh > 500
            || plain.Best.Result.OutputTokensPerSecondPerGpu == best.Result.OutputTokensPerSecondPerGpu);

        // Where the framework and mode have no band (vLLM disaggregated), the targets judge the prediction.
        Assert.Equal((1.0, 1.0), (request with { TargetsOnBand = true }).Margins(ServingMode.Disaggregated, 8));
        var (exit, output, err) = Cli.Run("plan", "--model", "llama-3.1-8b", "--gpu", "H100-SXM", "--max-tpot", "20", "--targets-on", "band", "--mode", "agg");
        Assert.True(exit == 0, err);
        Assert.Contains("judged at the high end of each prediction's held-out band", output, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Run("plan", "--targets-on", "p90").Exit);
    }

    [Fact]
    public void Every_frontier_point_is_a_deployment_within_the_engine_limit_and_the_choice_respects_the_budget()
    {
        var plan = ServingPlanner.Plan(Request("qwen3-32b", "H200") with { GpuBudget = 2, MaxEngineGpus = 8 });
        Assert.All(plan.Frontier, f => Assert.True(f.Mode == ServingMode.Disaggregated || f.Gpus <= 8));
        Assert.True(plan.Best.Gpus <= 2);
        Assert.True(plan.Evaluated > plan.Frontier.Count);
    }

    [Fact]
    public void A_budget_too_small_for_the_weights_is_refused_before_the_search_starts()
    {
        // DeepSeek-R1 in FP8 needs 671 GB of weights: no engine of two H200s (282 GB) holds them. The refusal names the
        // smallest engine that does, and no share of the search is reported done before it.
        var reported = 0;
        var e = Assert.Throws<InputException>(() => ServingPlanner.Plan(Request("deepseek-r1", "H200") with { GpuBudget = 2 }, _ => reported++));
        Assert.Contains("a budget of 2 GPU(s) cannot hold deepseek-r1's weights: the smallest layout that holds them takes 8 x H200", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, reported);

        // Heterogeneous disaggregation is refused the same way when neither side's GPU holds the weights.
        var hetero = Request("deepseek-r1", "H200") with { GpuBudget = 2, Modes = [ServingMode.Disaggregated], PrefillGpu = GpuCatalog.Resolve("H200"), DecodeGpu = GpuCatalog.Resolve("B200") };
        Assert.Throws<InputException>(() => ServingPlanner.Plan(hetero, _ => reported++));
        Assert.Equal(0, reported);

        // A budget one format of the KV cache fits is kept, whichever format comes first: Llama-3.1-8B on one L4 (24 GB,
        // 16 GB of BF16 weights) holds a 61k-token request's KV cache in FP8 (about 4 GB) and not in BF16 (about 8 GB).
        var longPrompt = Request("llama-3.1-8b", "L4") with { Isl = 60_000, Osl = 1000, GpuBudget = 1, Modes = [ServingMode.Aggregated] };
        Assert.Throws<InputException>(() => ServingPlanner.Plan(longPrompt with { KvCaches = [Units.Precision.Bf16] }));
        var either = ServingPlanner.Plan(longPrompt with { KvCaches = [Units.Precision.Bf16, Units.Precision.Fp8] });
        Assert.Equal(1, either.Best.Gpus);
        Assert.Equal(Units.Precision.Fp8, either.Best.KvCache);
    }

    [Fact]
    public void Step_prices_from_the_grids_agree_with_pricing_afresh()
    {
        // The search's step grids against a fresh evaluation, over engines, workloads and concurrencies.
        Gen.Select(Gen.OneOf("deepseek-v3", "llama-3.1-70b", "qwen3-next-80b-a3b", "gpt-oss-120b"), Gen.OneOf("H200", "B200"), Gen.OneOf("sglang", "vllm", "trtllm"), Gen.Int[1, 2048], Gen.OneOf(1024, 8192))
            .Sample((name, gpuName, fw, c, isl) =>
            {
                var m = ModelCatalog.Resolve(name);
                var model = new ServingModel(m, GpuCatalog.Resolve(gpuName), FrameworkCatalog.Resolve(fw), PrecisionSet.NativeFor(m.Transformer));
                var engine = new EngineLayout(8, 1, 8, 1);
                var w = new ServingWorkload(isl, 1024, c);
                var fresh = model.Aggregated(model.Prepare(engine), w);
                var cached = model.Aggregated(model.Prepare(engine) with { Cache = new StepCache(isl, 1024, 0) }, w);
                Assert.Equal(1, cached.Tpot.Total / fresh.Tpot.Total, 2);
                Assert.Equal(1, cached.Ttft.Total / fresh.Ttft.Total, 2);
            }, iter: 40);
    }

    [Fact]
    public void Disaggregated_step_prices_from_the_grids_agree_with_pricing_afresh()
    {
        // The same for disaggregated deployments, whose solver also brackets batches below the grid's first point.
        Gen.Select(Gen.OneOf("deepseek-v3", "llama-3.1-70b", "gpt-oss-120b"), Gen.OneOf("H200", "B200"), Gen.OneOf("sglang", "vllm"), Gen.Int[1, 4096], Gen.Int[1, 3], Gen.Int[1, 3])
            .Sample((name, gpuName, fw, c, x, y) =>
            {
                var (fresh, cached, _) = DisaggregatedBothWays(name, gpuName, fw, c, x, y);
                Assert.Equal(1, cached.Tpot.Total / fresh.Tpot.Total, 2);
                Assert.Equal(fresh.Limit, cached.Limit);
                if (fresh.Limit == ServingLimit.Prefill || c - fresh.Running < 0.1 * c)
                {
                    // Prompts queue for the prefill workers, or fewer than a tenth of the clients are not decoding: TTFT
                    // is (C - b) / rate, and a prompt's own prefill step carries the C - b prompts, with the decode batch b
                    // just below C, so a difference in b far below the grids' error is magnified C / (C - b) times (1%
                    // in TTFT for 0.04% in b: Llama-3.1-70B on H200 under vLLM, 3P2D at concurrency 332). The batch
                    // agrees within 0.1%: the grids interpolate linearly across the kink where an all-reduce switches
                    // from one shot to two (RooflinePolicy), as across any change of bound.
                    Assert.True(Math.Abs((cached.Running / fresh.Running) - 1) <= 1e-3, FormattableString.Invariant($"running {cached.Running} from the grids, {fresh.Running} afresh"));
                }
                else
                {
                    Assert.Equal(1, cached.Ttft.Total / fresh.Ttft.Total, 2);
                }
            }, iter: 40);
    }

    [Theory]
    [InlineData("llama-3.1-70b", "sglang", 527, 3, 1)]
    [InlineData("gpt-oss-120b", "vllm", 1564, 2, 3)]
    public void A_steady_state_beside_the_CUDA_graph_cap_is_the_one_a_run_reaches_from_empty(string name, string fw, int c, int x, int y)
    {
        // Past its CUDA graph cap a decode step launches its kernels one by one and TPOT jumps up, so the clients' gap
        // can cross zero below the cap and again above it. Both solutions are steady states; a run filling its decode
        // batch from empty stops at the first. These two deployments on B200 (8-GPU engines, 2K/512) have both, and the
        // solver once found the upper one from the grids and the lower one afresh: TPOT 33.4 against 25.5 ms and 13.2
        // against 6.8 ms. Whichever way it is priced, the steady state is the lower one.
        var (fresh, cached, engine) = DisaggregatedBothWays(name, "B200", fw, c, x, y);
        Assert.Equal(1, cached.Tpot.Total / fresh.Tpot.Total, 2);
        Assert.Equal(fresh.Limit, cached.Limit);
        var graphedPerGpu = (double)engine.CudaGraphMaxBatch / engine.Engine.AttentionTp;
        Assert.True(fresh.DecodeBatchPerGpu <= graphedPerGpu * (1 + 1e-9), FormattableString.Invariant($"{fresh.DecodeBatchPerGpu} requests per GPU, past the {graphedPerGpu} its graphs hold"));
    }

    // A disaggregated deployment of TP8 prefill and decode engines at 2K/512, priced afresh and from the search's grids.
    private static (ServingResult Fresh, ServingResult Cached, PreparedEngine Engine) DisaggregatedBothWays(string name, string gpuName, string fw, int c, int x, int y)
    {
        var m = ModelCatalog.Resolve(name);
        var model = new ServingModel(m, GpuCatalog.Resolve(gpuName), FrameworkCatalog.Resolve(fw), PrecisionSet.NativeFor(m.Transformer));
        var engine = model.Prepare(new EngineLayout(8, 1, 8, 1));
        var w = new ServingWorkload(2048, 512, c);
        var fresh = model.Disaggregated(model, engine, x, engine, y, w);
        var cached = model.Disaggregated(model, engine with { Cache = new StepCache(2048, 512, 0) }, x, engine with { Cache = new StepCache(2048, 512, 0) }, y, w);
        return (fresh, cached, engine);
    }

    [Fact]
    public void The_parts_reports_print_add_up_to_the_whole()
    {
        // Every part a report lists is one of the record's, and together they make the total it prints beside them.
        Gen.Select(Gen.Double[0, 1000], Gen.Double[0, 1000], Gen.Double[0, 1000], Gen.Double[0, 100], Gen.Double[0, 500], Gen.Double[0, 50])
            .Sample((a, b, c, d, e, f) =>
            {
                var ttft = new TtftParts(a, b, c, d, e, f);
                Assert.Equal(ttft.Total, ttft.Labelled.Sum(p => p.Ms), 9);
                Assert.Equal(6, ttft.Labelled.Select(p => p.Part).Distinct().Count());
                var tpot = new TpotParts(a, b, f);
                Assert.Equal(tpot.Total, tpot.Labelled.Sum(p => p.Ms), 9);
            });
    }

    [Fact]
    public void The_cost_splits_gpu_time_between_input_and_output_tokens()
    {
        // 8 GPUs at $2/h serving 10 requests/s of 1000 input and 500 output tokens, a quarter of the GPU time on prompts.
        var gpu = GpuCatalog.Resolve("H200");
        var r = new ServingResult(default, new TpotParts(3, 1, 0), 10, 8, 1, 1, 1, 1, ServingLimit.Concurrency, default) { Isl = 1000, Osl = 500 };
        var cost = PlanCost.Of(new PlanPoint(gpu, ServingMode.Aggregated, new EngineLayout(8, 1, 8, 1), null, 64, r), 3, 2, 2, 1000, 500);
        Assert.Equal(48, cost.UsdPerHour, 9); // three replicas
        Assert.Equal(16 * 0.25 / (10 * 3600 * 1000) * 1e6, cost.UsdPerMillionInput, 9);
        Assert.Equal(16 * 0.75 / (10 * 3600 * 500) * 1e6, cost.UsdPerMillionOutput, 9);
    }

    [Fact]
    public void Launch_commands_spell_each_framework_s_layout_and_say_when_one_cannot_run_it()
    {
        var request = Request("deepseek-v3", "H200");
        var gpu = GpuCatalog.Resolve("H200");
        var dpEp = new PlanPoint(gpu, ServingMode.Aggregated, new EngineLayout(1, 8, 1, 8), null, 256, default);
        var lines = LaunchCommands.For(dpEp, request, 16384).ToDictionary(c => c.Framework, c => c.Line);
        Assert.Contains("--tp-size 8 --dp-size 8 --enable-dp-attention --ep-size 8", lines["sglang"], StringComparison.Ordinal);
        Assert.Contains("--max-running-requests 256 --chunked-prefill-size 16384", lines["sglang"], StringComparison.Ordinal);
        Assert.Contains("vllm serve deepseek-ai/DeepSeek-V3 --tensor-parallel-size 1 --data-parallel-size 8 --enable-expert-parallel --max-num-seqs 32", lines["vllm"], StringComparison.Ordinal);
        Assert.Contains("trtllm-serve deepseek-ai/DeepSeek-V3 --tp_size 8 --ep_size 8 --max_batch_size 32", lines["trtllm"], StringComparison.Ordinal);

        var mixed = new PlanPoint(gpu, ServingMode.Aggregated, new EngineLayout(2, 4, 2, 4), null, 64, default);
        var commands = LaunchCommands.For(mixed, request, 16384);
        Assert.Contains(commands, c => c.Framework == "vllm" && c.Line.Length == 0 && c.Note.Contains("MoE TP2 x EP4", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Framework == "trtllm" && c.Line.Length == 0 && c.Note.Contains("TP2 x DP4", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Framework == "sglang" && c.Line.Contains("--tp-size 8 --dp-size 4 --enable-dp-attention --ep-size 4", StringComparison.Ordinal));
    }

    [Fact]
    public void Heterogeneous_disaggregation_puts_prefill_and_decode_on_their_own_gpus_and_prices_each()
    {
        var (exit, output, err) = Cli.Run("plan", "--model", "deepseek-r1", "--prefill-gpu", "H200", "--decode-gpu", "B200", "--min-tps", "20", "--format", "json");
        Assert.True(exit == 0, err);
        var tables = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("rows"));
        var chosen = tables["choice"][0];
        Assert.Equal("H200 prefill, B200 decode", chosen.GetProperty("GPU").GetString());
        Assert.Equal("disagg", chosen.GetProperty("mode").GetString());
        var source = tables["cost"][0].GetProperty("price source").GetString()!;
        Assert.StartsWith("prefill: Nebius HGX H200", source, StringComparison.Ordinal);
        Assert.Contains("decode: Lambda", source, StringComparison.Ordinal);
        Assert.All(tables["frontier"].EnumerateArray(), f => Assert.Equal("H200 prefill, B200 decode", f.GetProperty("GPU").GetString()));
    }

    [Fact]
    public void The_kv_cache_crosses_the_slower_of_the_two_nics()
    {
        var m = ModelCatalog.Resolve("llama-3.1-70b");
        var p = PrecisionSet.NativeFor(m.Transformer);
        var fw = FrameworkCatalog.Resolve("vllm");
        var prefill = new ServingModel(m, GpuCatalog.Resolve("H200"), fw, p);
        var fast = new ServingModel(m, GpuCatalog.Resolve("B200"), fw, p);
        var slow = new ServingModel(m, GpuCatalog.Resolve("B200") with { ScaleOutBandwidthGBps = 5 }, fw, p);
        var w = new ServingWorkload(8192, 1024, 16);
        var engine = new EngineLayout(4, 1, 4, 1);
        double Transfer(ServingModel decode) => decode.Disaggregated(prefill, prefill.Prepare(engine), 1, decode.Prepare(engine), 1, w).Ttft.KvTransfer;
        Assert.True(Transfer(slow) > 5 * (Transfer(fast) - fw.KvTransferOverheadMs), $"{Transfer(slow)} vs {Transfer(fast)}");
        var other = new ServingModel(ModelCatalog.Resolve("llama-3.1-8b"), GpuCatalog.Resolve("H200"), fw, PrecisionSet.NativeFor(ModelCatalog.Resolve("llama-3.1-8b").Transformer));
        Assert.Throws<InputException>(() => fast.Disaggregated(other, other.Prepare(engine), 1, fast.Prepare(engine), 1, w));
    }

    [Fact]
    public void Multi_token_prediction_trades_a_longer_step_for_more_tokens_and_reaches_the_commands()
    {
        var m = ModelCatalog.Resolve("deepseek-v3");
        var p = PrecisionSet.NativeFor(m.Transformer);
        var gpu = GpuCatalog.Resolve("H200");
        var fw = FrameworkCatalog.Resolve("sglang");
        var engine = new EngineLayout(1, 8, 1, 8);
        var w = new ServingWorkload(1024, 1024, 32);
        var plain = new ServingModel(m, gpu, fw, p).Aggregated(w, engine);
        var mtp = new ServingModel(m, gpu, fw, p, mtpDrafts: 1);
        var drafted = mtp.Aggregated(w, engine);
        // A small batch is bound by reading weights: verifying a draft costs little, and a step gains 1.92 tokens
        // (DeepSeek-R1 with one draft, TensorRT-LLM tech blog 1).
        Assert.Equal(1.92, mtp.TokensPerStep, 9);
        Assert.True(drafted.Tpot.Total < plain.Tpot.Total, $"{drafted.Tpot.Total} vs {plain.Tpot.Total}");
        Assert.True(drafted.Tpot.Total * mtp.TokensPerStep > plain.Tpot.Total, "a step with drafts takes longer than one without");
        Assert.Throws<InputException>(() => new ServingModel(ModelCatalog.Resolve("llama-3.1-8b"), gpu, fw, PrecisionSet.NativeFor(ModelCatalog.Resolve("llama-3.1-8b").Transformer), mtpDrafts: 1));

        var point = new PlanPoint(gpu, ServingMode.Aggregated, engine, null, 64, drafted) { MtpDrafts = 2, ChunkTokens = 8192 };
        var commands = LaunchCommands.For(point, Request("deepseek-v3", "H200"), 8192).ToDictionary(c => c.Framework);
        Assert.Contains("--speculative-algorithm EAGLE --speculative-num-steps 2", commands["sglang"].Line, StringComparison.Ordinal);
        Assert.Contains("\"method\":\"mtp\",\"num_speculative_tokens\":2", commands["vllm"].Line, StringComparison.Ordinal);
        Assert.Contains("speculative_config: {decoding_type: MTP, num_nextn_predict_layers: 2}", commands["trtllm"].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_batch_overlap_hides_the_expert_exchange_of_a_large_batch_and_never_slows_a_step()
    {
        var m = ModelCatalog.Resolve("deepseek-v3");
        var p = PrecisionSet.NativeFor(m.Transformer);
        var gpu = GpuCatalog.Resolve("H100-SXM");
        var fw = FrameworkCatalog.Resolve("sglang");
        var engine = new EngineLayout(1, 32, 1, 32); // four nodes: dispatch and combine cross the NIC
        var plain = new ServingModel(m, gpu, fw, p);
        var tbo = new ServingModel(m, gpu, fw, p, twoBatchOverlap: true);
        foreach (var concurrency in new[] { 32, 256, 2048, 8192 })
        {
            var w = new ServingWorkload(2000, 1000, concurrency);
            var a = plain.Aggregated(w, engine).Tpot.Total;
            var b = tbo.Aggregated(w, engine).Tpot.Total;
            Assert.True(b <= a * (1 + 1e-9), $"concurrency {concurrency}: {b} vs {a}");
        }

        var big = new ServingWorkload(2000, 1000, 8192);
        Assert.True(tbo.Aggregated(big, engine).Tpot.Total < 0.95 * plain.Aggregated(big, engine).Tpot.Total, "a large batch over the NIC gains from overlap");

        // A dense model has no expert exchange to hide: the option changes nothing.
        var dense = ModelCatalog.Resolve("llama-3.1-8b");
        var dp = PrecisionSet.NativeFor(dense.Transformer);
        var denseEngine = new EngineLayout(1, 1, 1, 1);
        var dw = new ServingWorkload(1024, 1024, 64);
        Assert.Equal(new ServingModel(dense, gpu, fw, dp).Aggregated(dw, denseEngine).Tpot.Total,
            new ServingModel(dense, gpu, fw, dp, twoBatchOverlap: true).Aggregated(dw, denseEngine).Tpot.Total, 12);

        var point = new PlanPoint(gpu, ServingMode.Aggregated, engine, null, 8192, tbo.Aggregated(big, engine)) { TwoBatchOverlap = true, ChunkTokens = 8192 };
        var commands = LaunchCommands.For(point, Request("deepseek-v3", "H100-SXM"), 8192);
        Assert.Contains("--enable-two-batch-overlap", commands.Single(c => c.Framework == "sglang").Line, StringComparison.Ordinal);
        Assert.Contains("--enable-dbo", commands.Single(c => c.Framework == "vllm").Line, StringComparison.Ordinal);

        // Which frameworks overlap micro-batches is data: vLLM's dual batch overlap needs data-parallel attention.
        var vllm = FrameworkCatalog.Resolve("vllm");
        Assert.Equal("--enable-dbo", vllm.TwoBatchOverlapFlag);
        Assert.False(vllm.OverlapsMicroBatches(moeEp: 8, attentionDp: 1));
        Assert.True(vllm.OverlapsMicroBatches(moeEp: 8, attentionDp: 8));
        Assert.Null(FrameworkCatalog.Resolve("trtllm").TwoBatchOverlapFlag);
        Assert.False(Request("deepseek-v3", "H100-SXM", "trtllm").SearchesTwoBatchOverlap);
        Assert.True(Request("deepseek-v3", "H100-SXM", "vllm").SearchesTwoBatchOverlap);
    }

    [Fact]
    public void A_plan_request_refuses_what_every_front_end_would_pass_it_wrongly()
    {
        // The page and the command line build the same request; the request itself refuses a KV cache in a weight-only
        // format and a draft count out of range, so that neither front end needs its own copy of the rule.
        var request = Request("deepseek-v3", "H200");
        var int4Kv = request with { Precisions = request.Precisions with { KvCache = Units.Precision.Int4 } };
        Assert.Contains("--kv-cache", Assert.Throws<InputException>(int4Kv.Validate).Message, StringComparison.Ordinal);
        var tooMany = request with { MtpDrafts = ServingModel.MaxMtpDrafts + 1 };
        Assert.Contains("--mtp", Assert.Throws<InputException>(tooMany.Validate).Message, StringComparison.Ordinal);
        var noModule = Request("llama-3.1-8b", "H200") with { MtpDrafts = 1 };
        Assert.Contains("multi-token-prediction module", Assert.Throws<InputException>(noModule.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redundant_experts_trade_weight_memory_for_a_lighter_busiest_rank_and_reach_the_search_and_the_commands()
    {
        var m = ModelCatalog.Resolve("deepseek-v3");
        var t = m.Transformer;
        var gpu = GpuCatalog.Resolve("GB200");
        var model = new ServingModel(m, gpu, FrameworkCatalog.Resolve("sglang"), PrecisionSet.NativeFor(t));
        var plain = new EngineLayout(1, 64, 1, 64);
        var w = new ServingWorkload(1024, 1024, 4096);
        var before = model.Aggregated(w, plain);
        foreach (var perRank in new[] { 1, 2 })
        {
            var balanced = plain with { RedundantExperts = perRank * 64 };
            var after = model.Aggregated(w, balanced);
            // Each extra copy per GPU is one more expert's weights in every MoE layer: 3 x hidden x expert width.
            var expertGB = 3.0 * t.Hidden * t.FeedForward.ExpertIntermediate * t.FeedForward.MoeLayers * 1 / 1e9;
            Assert.Equal(before.Memory.Weights + perRank * expertGB, after.Memory.Weights, 1);
            // The busiest rank's excess load shrinks with the slots (a decode step may still slow: each GPU reads more experts).
            var tokensPerRank = 64.0;
            Assert.True(balanced.ToRooflineLayout(t).EffectiveImbalance(t, tokensPerRank) < plain.ToRooflineLayout(t).EffectiveImbalance(t, tokensPerRank));
            Assert.Contains($"+{perRank * 64} redundant experts", balanced.Describe(t), StringComparison.Ordinal);
        }

        // The search holds none, one and two copies per rank of every expert-parallel layout, and none without EP.
        var engines = ServingPlanner.Engines(t, gpu, 64).ToList();
        Assert.Contains(engines, e => e.MoeEp == 64 && e.RedundantExperts == 128);
        Assert.DoesNotContain(engines, e => e.MoeEp == 1 && e.RedundantExperts > 0);
        Assert.All(engines, e => Assert.Equal(0, (t.FeedForward.RoutedExperts + e.RedundantExperts) % e.MoeEp));

        var point = new PlanPoint(gpu, ServingMode.Aggregated, plain with { RedundantExperts = 64 }, null, 4096, default);
        var lines = LaunchCommands.For(point, Request("deepseek-v3", "GB200"), 8192).ToDictionary(c => c.Framework, c => (c.Line, c.Note));
        Assert.Contains("--enable-eplb --ep-num-redundant-experts 64", lines["sglang"].Line, StringComparison.Ordinal);
        Assert.Contains("--enable-eplb --eplb-config '{\"num_redundant_experts\":64}'", lines["vllm"].Line, StringComparison.Ordinal);
        Assert.Contains("moe_config: {load_balancer: {num_slots: 320", lines["trtllm"].Note, StringComparison.Ordinal);

        // Copies that do not spread evenly are refused with the reason.
        var (exit, _, err) = Cli.Run("serve", "--model", "deepseek-v3", "--moe-ep", "8", "--redundant-experts", "5");
        Assert.Equal(2, exit);
        Assert.Contains("use a multiple of 8 redundant experts", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown target", new[] { "--max-ttfx", "100" }, "--max-ttfx")]
    [InlineData("unmeetable target", new[] { "--max-tpot", "0.01" }, "the closest is")]
    [InlineData("budget below the weights", new[] { "--gpu-budget", "2" }, "cannot hold deepseek-r1's weights")]
    [InlineData("price for another GPU", new[] { "--price", "H100-SXM=3" }, "'H100-SXM' is not a GPU of this plan")]
    [InlineData("malformed price", new[] { "--price", "H200=cheap" }, "positive number of USD per GPU-hour")]
    [InlineData("both loads", new[] { "--load-rps", "1", "--load-tps", "100" }, "not both")]
    [InlineData("a prefill GPU alone", new[] { "--prefill-gpu", "B200" }, "needs both --prefill-gpu and --decode-gpu")]
    [InlineData("bad chunk scales", new[] { "--chunk-scales", "1,lots" }, "--chunk-scales takes numbers")]
    public void Bad_plan_input_gets_one_line_and_exit_code_2(string what, string[] args, string message)
    {
        string[] gpu = args.Contains("--prefill-gpu") ? [] : ["--gpu", "H200"];
        var (exit, output, err) = Cli.Run(["plan", "--model", "deepseek-r1", .. gpu, "--mode", "agg", "--max-engine-gpus", "8", .. args]);
        Assert.True(exit == 2, what);
        Assert.Equal("", output);
        Assert.Contains(message, err, StringComparison.Ordinal);

        // One line of error; a search that ran past a second on a loaded machine may have shown its progress before it.
        Assert.Single(err.Trim().Split('\n'), l => !l.StartsWith("searching deployments:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_planner_s_choices_among_the_measured_deployments_hold_their_measured_level()
    {
        // The share of groups where the deployment the planner ranks best reaches 90% of the best measured one under a
        // TPOT target at the group's median, over the rows whose deployment is known: 54 of 78 when this guard was set
        // (50 of 80 with the rows of unknown deployment), and 81 of 113 with each framework's deployments a group of
        // their own (the goal is 80%). The guard sits at today's level; it stood at 51 of 78 while six disaggregated
        // DeepSeek-R1 H200 rows with no worker counts counted at the throughput per GPU of the 1P1D their sizing assumed
        // (best in two groups at a 5.5 ms TPOT, 2.8 x faster than that layout prices without MTP). One group
        // turns on rows it cannot predict: gpt-oss on H100 at 1k/1k is won by vLLM TP2 at concurrency 512, measured
        // with a 5.6 ms TPOT after a 24 s TTFT, and moved from TP2 to TP8 when vLLM's prompt steps were read with
        // piecewise graphs.
        var choices = Choices.Value;
        Assert.True(choices.Count >= 70, $"{choices.Count} groups");
        Assert.True(choices.Count(c => c.Good) >= 0.69 * choices.Count, $"{choices.Count(c => c.Good)} of {choices.Count}");
        Assert.All(choices, c => Assert.InRange(c.Share, 0, 1));
        var withinFramework = ServingValidationReport.PlannerChoices(Serving.Value.Predictions, byFramework: true);
        Assert.True(withinFramework.Count(c => c.Good) >= 0.6 * withinFramework.Count, $"{withinFramework.Count(c => c.Good)} of {withinFramework.Count} within a framework");

        // Held out, as the errors are: each group predicted by the fold that held its GPU (49 of 78 when this guard
        // was set) or its model (53) out of the calibration. Every row has a held-out prediction, so the groups are
        // the same; validate --serving's JSON reports both counts.
        var calibration = Serving.Value.Calibration;
        var json = JsonDocument.Parse(ServingValidationReport.Json(Serving.Value)).RootElement;
        foreach (var (folds, key, list) in new[] { (calibration.ByGpu, "plannerGroupsWithin90PercentGpuHeldOut", "plannerChoicesGpuHeldOut"), (calibration.ByModel, "plannerGroupsWithin90PercentModelHeldOut", "plannerChoicesModelHeldOut") })
        {
            var heldOut = ServingValidationReport.PlannerChoicesHeldOut(folds);
            Assert.Equal(choices.Select(c => c.Group), heldOut.Select(c => c.Group));
            Assert.True(heldOut.Count(c => c.Good) >= 0.62 * heldOut.Count, $"{heldOut.Count(c => c.Good)} of {heldOut.Count} with each {key} fold held out");
            Assert.Equal(heldOut.Count(c => c.Good), json.GetProperty(key).GetInt32());

            // The JSON lists each held-out choice, group by group, as it lists the fitted ones: the count is theirs.
            var listed = json.GetProperty(list).EnumerateArray().ToList();
            Assert.Equal(heldOut.Select(c => c.Group), listed.Select(c => c.GetProperty("group").GetString()));
            Assert.Equal(heldOut.Count(c => c.Good), listed.Count(c => c.GetProperty("share").GetDouble() >= 0.9));
        }
    }

    [Fact]
    public void The_planner_check_passes_every_group_when_the_predictions_are_the_measurements()
    {
        // The check itself: a planner that knew every measured TTFT and TPOT would choose the best measured deployment
        // of each group, so any group it fails with them would be a fault of the check, not of the model.
        var predictions = Serving.Value.Predictions;
        var exact = ServingValidationReport.PlannerChoicesWithMeasured(predictions, tpot: true, ttft: true);
        Assert.Equal(Choices.Value.Count, exact.Count);
        Assert.All(exact, c => Assert.Equal(1, c.Share, 9));

        // So would it at a target elsewhere in each group's measured TPOT; and the median quantile is the median target.
        var measured = predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.MeasuredTpotMs, PredictedTtftMs = p.MeasuredTtftMs } : p).ToList();
        foreach (var q in (double[])[0.25, 0.75])
        {
            Assert.All(ServingValidationReport.PlannerChoices(measured, targetQuantile: q), c => Assert.Equal(1, c.Share, 9));
        }

        Assert.Equal(Choices.Value.Select(c => c.TargetTpotMs), ServingValidationReport.PlannerChoices(predictions, targetQuantile: 0.5).Select(c => c.TargetTpotMs));
        Assert.Throws<ArgumentOutOfRangeException>(() => ServingValidationReport.PlannerChoices(predictions, targetQuantile: 1));

        // With the predicted TTFT kept, the outcome still rests on the TPOT the planner reads against the target.
        var measuredTpot = ServingValidationReport.PlannerChoicesWithMeasured(predictions, tpot: true, ttft: false);
        Assert.True(measuredTpot.Count(c => c.Good) >= Choices.Value.Count(c => c.Good), $"{measuredTpot.Count(c => c.Good)} with the measured TPOT");
    }

    [Fact]
    public void The_planner_check_reads_only_rows_whose_deployment_is_known()
    {
        // A row several recipes could have run is no measurement of either deployment: whatever its prediction, the
        // check's outcome does not move, while with every row read it does.
        var predictions = Serving.Value.Predictions;
        Assert.Contains(predictions, p => p.Predicted && !p.Case!.DeploymentKnown);
        var skewed = predictions.Select(p => p.Predicted && !p.Case!.DeploymentKnown ? p with { PredictedTpotMs = p.PredictedTpotMs / 1000 } : p).ToList();
        Assert.Equal(Choices.Value, ServingValidationReport.PlannerChoices(skewed));
        Assert.NotEqual(ServingValidationReport.PlannerChoices(predictions, everyRow: true), ServingValidationReport.PlannerChoices(skewed, everyRow: true));

        // Leaving rows out only drops groups (those left with fewer than two deployments); it adds none.
        var every = ServingValidationReport.PlannerChoices(predictions, everyRow: true).Select(c => c.Group).ToHashSet();
        Assert.Subset(every, Choices.Value.Select(c => c.Group).ToHashSet());
    }

    [Fact]
    public void The_json_rows_hold_what_a_notebook_needs_to_redo_the_planner_check()
    {
        // The check redone from validate --serving's JSON rows alone, as the rule states it: rows whose
        // deployment is known, grouped; the target at each group's median measured TPOT (halfway between the middle two
        // rows of an even count); a deployment worth its most output tokens/s per GPU over its rows meeting the target,
        // predicted for the ranking and measured for the score; a group counts when the one ranked best reaches 90% of
        // the best measured.
        var json = JsonDocument.Parse(ServingValidationReport.Json(Serving.Value)).RootElement;
        var rows = json.GetProperty("rows").EnumerateArray()
            .Where(r => r.TryGetProperty("group", out _) && r.GetProperty("deploymentKnown").GetBoolean())
            .Select(r => (Group: r.GetProperty("group").GetString()!, Deployment: r.GetProperty("deployment").GetString()!,
                MeasuredTpot: r.GetProperty("measuredTpotMs").GetDouble(), PredictedTpot: r.GetProperty("predictedTpotMs").GetDouble(),
                Measured: r.GetProperty("measuredOutputTokensPerGpuS").GetDouble(), Predicted: r.GetProperty("predictedOutputTokensPerGpuS").GetDouble()))
            .ToList();
        Assert.Contains(json.GetProperty("rows").EnumerateArray(), r => r.TryGetProperty("deploymentKnown", out var known) && !known.GetBoolean());

        int groups = 0, good = 0;
        foreach (var g in rows.GroupBy(r => r.Group))
        {
            var tpots = g.Select(r => r.MeasuredTpot).Order().ToList();
            var target = tpots.Count % 2 == 1 ? tpots[tpots.Count / 2] : (tpots[(tpots.Count / 2) - 1] + tpots[tpots.Count / 2]) / 2;
            var deployments = g.GroupBy(r => r.Deployment).Select(d => (
                Predicted: d.Where(r => r.PredictedTpot <= target).Select(r => r.Predicted).DefaultIfEmpty(0).Max(),
                Closest: d.Min(r => r.PredictedTpot),
                Measured: d.Where(r => r.MeasuredTpot <= target).Select(r => r.Measured).DefaultIfEmpty(0).Max())).ToList();
            if (deployments.Count < 2)
            {
                continue;
            }

            groups++;
            var chosen = deployments.Any(d => d.Predicted > 0) ? deployments.MaxBy(d => d.Predicted) : deployments.MinBy(d => d.Closest);
            var best = deployments.Max(d => d.Measured);
            good += best > 0 && chosen.Measured >= 0.9 * best ? 1 : 0;
        }

        Assert.Equal(json.GetProperty("plannerGroups").GetInt32(), groups);
        Assert.Equal(json.GetProperty("plannerGroupsWithin90Percent").GetInt32(), good);
        Assert.Equal(Choices.Value.Count(c => c.Good), good);
    }

    [Fact]
    public void A_run_with_mtp_and_one_without_on_one_layout_are_two_deployments_and_two_runs()
    {
        // A plan searches MTP on and off, so the check must not pool the rows of both into one deployment.
        var drafting = Serving.Value.Predictions.Where(p => p.Predicted).Select(p => p.Case!).First(c => c.MtpDrafts > 0);
        var plain = drafting with { MtpDrafts = 0 };
        Assert.EndsWith(FormattableString.Invariant($", MTP {drafting.MtpDrafts}"), drafting.Deployment, StringComparison.Ordinal);
        Assert.DoesNotContain("MTP", plain.Deployment, StringComparison.Ordinal);
        Assert.NotEqual(drafting.Run, plain.Run);
    }

    [Fact]
    public void With_each_stratum_s_bias_divided_out_every_stratum_is_centred_and_the_check_keeps_its_groups()
    {
        // The bound on what one constant per stratum could do: the transform leaves each stratum's median TPOT ratio at
        // 1 and keeps the TTFT, so the groups and targets are those of the plain check.
        var predictions = Serving.Value.Predictions;
        var bias = predictions.Where(p => p.Predicted).GroupBy(p => p.Case!.Stratum)
            .ToDictionary(g => g.Key, g => ErrorStats.Median([.. g.Select(p => p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value)]));
        Assert.Contains(bias.Values, b => Math.Abs(b - 1) > 0.05);
        var centred = predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.PredictedTpotMs / bias[p.Case!.Stratum] } : p).ToList();
        Assert.All(centred.Where(p => p.Predicted).GroupBy(p => p.Case!.Stratum),
            g => Assert.Equal(1, ErrorStats.Median([.. g.Select(p => p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value)]), 9));

        var unbiased = ServingValidationReport.PlannerChoicesWithStratumBiasRemoved(predictions);
        Assert.Equal(Choices.Value.Select(c => (c.Group, c.TargetTpotMs)), unbiased.Select(c => (c.Group, c.TargetTpotMs)));
        Assert.Equal(ServingValidationReport.PlannerChoices(centred).Select(c => c.Share), unbiased.Select(c => c.Share));
    }

    [Fact]
    public void With_each_decode_shape_s_bias_divided_out_every_shape_is_centred_and_the_check_keeps_its_groups()
    {
        // The finer bound: each stratum's decode TP and requests-per-GPU band centred on its own median, read here from
        // the decode-shape table's cells rather than from the code's key.
        var predictions = Serving.Value.Predictions;
        var reshaped = ServingValidationReport.PlannerChoicesWithShapeBiasRemoved(predictions);
        Assert.Equal(Choices.Value.Select(c => (c.Group, c.TargetTpotMs)), reshaped.Select(c => (c.Group, c.TargetTpotMs)));
        double[] bands = [2, 8, 32, double.PositiveInfinity];
        var cells = predictions.Where(p => p.Predicted)
            .GroupBy(p => (p.Case!.Stratum, p.Case.DecodeShape.Tp, Array.FindIndex(bands, b => p.Case.DecodeShape.RequestsPerGpu <= b)))
            .ToDictionary(g => g.Key, g => ErrorStats.Median([.. g.Select(p => p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value)]));
        Assert.True(cells.Count > predictions.Where(p => p.Predicted).Select(p => p.Case!.Stratum).Distinct().Count(), "shapes split the strata");
        var centred = predictions.Select(p => p.Predicted
            ? p with { PredictedTpotMs = p.PredictedTpotMs / cells[(p.Case!.Stratum, p.Case.DecodeShape.Tp, Array.FindIndex(bands, b => p.Case.DecodeShape.RequestsPerGpu <= b))] }
            : p).ToList();
        Assert.Equal(ServingValidationReport.PlannerChoices(centred).Select(c => c.Share), reshaped.Select(c => c.Share));
    }

    [Fact]
    public void With_each_deployment_s_or_sweep_s_bias_divided_out_each_is_centred_and_the_check_keeps_its_groups()
    {
        // The bounds between the decode shape's and the described run's: one bias per deployment over all its workloads,
        // and one per deployment at each workload (its concurrency sweep). The cells are built here from the rows' own
        // fields; the sweeps split the deployments, which split the strata.
        var predictions = Serving.Value.Predictions;
        var scored = predictions.Where(p => p.Predicted).ToList();
        static double Ratio(ServingPrediction p) => p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value;
        Func<ServingPrediction, (string, string, string)> deployment = p => (p.Case!.Stratum, p.Case.Deployment, "");
        Func<ServingPrediction, (string, string, string)> sweep = p => (p.Case!.Stratum, p.Case.Deployment, p.Case.Group);
        var strata = scored.Select(p => p.Case!.Stratum).Distinct().Count();
        var deployments = scored.Select(deployment).Distinct().Count();
        var sweeps = scored.Select(sweep).Distinct().Count();
        Assert.True(strata < deployments && deployments < sweeps, $"{strata} strata, {deployments} deployments, {sweeps} sweeps");

        foreach (var (cell, bound) in new[]
        {
            (deployment, ServingValidationReport.PlannerChoicesWithDeploymentBiasRemoved(predictions)),
            (sweep, ServingValidationReport.PlannerChoicesWithSweepBiasRemoved(predictions)),
        })
        {
            var bias = scored.GroupBy(cell).ToDictionary(g => g.Key, g => ErrorStats.Median([.. g.Select(Ratio)]));
            Assert.Contains(bias.Values, b => Math.Abs(b - 1) > 0.1);
            var centred = predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.PredictedTpotMs / bias[cell(p)] } : p).ToList();
            Assert.All(centred.Where(p => p.Predicted).GroupBy(cell), g => Assert.Equal(1, ErrorStats.Median([.. g.Select(Ratio)]), 9));
            Assert.Equal(Choices.Value.Select(c => (c.Group, c.TargetTpotMs)), bound.Select(c => (c.Group, c.TargetTpotMs)));
            Assert.Equal(ServingValidationReport.PlannerChoices(centred).Select(c => c.Share), bound.Select(c => c.Share));
        }
    }

    [Fact]
    public void With_each_described_run_read_at_its_measured_medians_only_runs_that_measured_differently_cost_groups()
    {
        // The bound on any model of what the rows state: each row read at the medians measured over the rows of the same
        // group, deployment and concurrency. A group whose runs were each measured once, or alike, reads its measured
        // values and so reaches the best; a group it fails must hold a run measured more than once with different TPOTs.
        var predictions = Serving.Value.Predictions;
        var described = ServingValidationReport.PlannerChoicesWithDescribedRunMedians(predictions);
        Assert.Equal(Choices.Value.Select(c => (c.Group, c.TargetTpotMs)), described.Select(c => (c.Group, c.TargetTpotMs)));
        Assert.True(described.Count(c => c.Good) >= Choices.Value.Count(c => c.Good));
        var runs = predictions.Where(p => p.Predicted)
            .GroupBy(p => (p.Case!.Group, p.Case.Run))
            .Where(g => g.Select(p => p.MeasuredTpotMs).Distinct().Count() > 1)
            .Select(g => g.Key.Group).ToHashSet();
        Assert.All(described.Where(c => !c.Good), c => Assert.Contains(c.Group, runs));
        Assert.All(described.Where(c => !runs.Contains(c.Group)), c => Assert.Equal(1, c.Share, 9));
    }

    [Fact]
    public void Random_tpot_errors_have_the_spread_asked_for_and_none_leaves_the_measured_check()
    {
        var predictions = Serving.Value.Predictions;

        // No spread: every row reads its measured TPOT, as the measured-TPOT check does.
        Assert.Equal(
            ServingValidationReport.PlannerChoicesWithMeasured(predictions, tpot: true, ttft: false).Select(c => c.Share),
            ServingValidationReport.PlannerChoicesWithRandomTpotErrors(predictions, 0, seed: 7).Select(c => c.Share));

        // A seed gives one outcome; the draws are a normal of the spread asked for: half the rows within 0.674 sigma.
        var a = ServingValidationReport.PlannerChoicesWithRandomTpotErrors(predictions, 0.2, seed: 3);
        var b = ServingValidationReport.PlannerChoicesWithRandomTpotErrors(predictions, 0.2, seed: 3);
        Assert.Equal(a.Select(c => c.Share), b.Select(c => c.Share));
        var random = new Random(3);
        var drawn = predictions.Where(p => p.Predicted).Select(p => p.MeasuredTpotMs!.Value * Math.Exp(0.2 * Normal(random)));
        var logs = predictions.Where(p => p.Predicted).Zip(drawn, (p, d) => Math.Abs(Math.Log(d / p.MeasuredTpotMs!.Value))).ToList();
        Assert.InRange(ErrorStats.Median(logs), 0.9 * 0.6745 * 0.2, 1.1 * 0.6745 * 0.2);
        Assert.Throws<ArgumentOutOfRangeException>(() => ServingValidationReport.PlannerChoicesWithRandomTpotErrors(predictions, -0.1, seed: 1));

        static double Normal(Random r)
        {
            var u = 1 - r.NextDouble();
            return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * r.NextDouble());
        }
    }

    [Fact]
    public void The_noise_bound_reads_the_held_out_spread_and_meets_the_goal_up_to_its_sigma()
    {
        var o = Serving.Value;
        var heldOut = o.Calibration.ByGpu.SelectMany(f => f.Predictions).Where(p => p.Predicted).ToList();
        var noise = ServingValidationReport.PlannerNoiseOf(o.Predictions, heldOut);

        // The spread: a normal whose median absolute value is the held-out median absolute log error of TPOT, over the
        // rows the check reads.
        var medianAbsLog = ErrorStats.Median([.. heldOut.Where(p => p.Case!.DeploymentKnown).Select(p => Math.Abs(Math.Log(p.PredictedTpotMs!.Value / p.MeasuredTpotMs!.Value)))]);
        Assert.Equal(medianAbsLog / 0.6744897501960817, noise.ModelSigma, 9);
        Assert.InRange(noise.ModelSigma, 0.05, 0.5);
        Assert.Equal(Choices.Value.Count, noise.Groups);

        // Every spread up to the goal's meets 80% of the groups; the next one does not; errors cost groups.
        Assert.All(noise.GroupsBySigma.Where(x => x.Sigma <= noise.GoalSigma), x => Assert.True(x.Groups >= 0.8 * noise.Groups, $"{x.Groups} at {x.Sigma}"));
        var next = noise.GroupsBySigma.FirstOrDefault(x => x.Sigma > noise.GoalSigma);
        Assert.True(next == default || next.Groups < 0.8 * noise.Groups);
        Assert.True(noise.GroupsBySigma[^1].Groups < noise.GroupsBySigma[0].Groups, "wide errors pass fewer groups than narrow ones");
    }

    private static PlanRequest Request(string model, string gpu, string framework = "vllm")
    {
        var m = ModelCatalog.Resolve(model);
        return new PlanRequest(m, [GpuCatalog.Resolve(gpu)], FrameworkCatalog.Resolve(framework), PrecisionSet.NativeFor(m.Transformer), 1024, 1024, 0, new PlanTargets(null, null, null));
    }
}

/// <summary>The report's answer to the seed's sequel: a larger scale-up domain and a faster NIC never hurt.</summary>
public sealed class ScaleUpTests
{
    private static readonly ModelSpec Model = ModelCatalog.Resolve("deepseek-v3");
    private static readonly ServingFramework Framework = FrameworkCatalog.Resolve("sglang");
    private static readonly PrecisionSet Precisions = PrecisionSet.NativeFor(Model.Transformer);

    [Fact]
    public void The_same_chip_in_a_72_gpu_domain_is_never_slower_than_in_8_gpu_nodes_and_a_faster_nic_never_hurts()
    {
        var rack = ScaleUpReport.Frontier(Model, ScaleUpReport.B200InRack(), Framework, Precisions);
        var slow = ScaleUpReport.Frontier(Model, ScaleUpReport.HgxB200(400), Framework, Precisions);
        var fast = ScaleUpReport.Frontier(Model, ScaleUpReport.HgxB200(3200), Framework, Precisions);
        foreach (var rate in ScaleUpReport.UserRates)
        {
            double r = ScaleUpReport.AtUserRate(rack, rate), s = ScaleUpReport.AtUserRate(slow, rate), f = ScaleUpReport.AtUserRate(fast, rate);
            Assert.True(r >= s * (1 - 1e-9), $"at {rate} tokens/s per user: rack {r} < nodes {s}");
            Assert.True(f >= s * (1 - 1e-9), $"at {rate} tokens/s per user: 3200 Gb/s {f} < 400 Gb/s {s}");
            Assert.True(r >= f * (1 - 1e-9), $"at {rate} tokens/s per user: rack {r} < nodes with 3200 Gb/s {f}");
        }
    }

    [Fact]
    public void The_report_answers_the_seed_s_sequel_for_every_gpu_it_names()
    {
        var (exit, output, err) = Cli.Run("report", "--format", "json");
        Assert.True(exit == 0, err);
        var tables = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("rows"));
        var labels = tables["scale-up"].EnumerateArray().Select(r => r.GetProperty("GPU").GetString()).ToList();
        Assert.Equal(ScaleUpReport.Variants().Select(v => v.Label), labels);
        Assert.Equal(ScaleUpReport.UserRates.Count, tables["scale-up-gain"].GetArrayLength());
        Assert.Equal(ScaleUpReport.UserRates.Count, tables["h20"].GetArrayLength());
        Assert.All(tables["scale-up"].EnumerateArray(), r => Assert.True(r.GetProperty("tokens/s per GPU at 10 tokens/s per user").GetDouble() > 0));
    }
}

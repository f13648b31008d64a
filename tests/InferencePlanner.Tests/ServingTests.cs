using System.Globalization;
using System.Text.Json;
using InferencePlanner.Models;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Validation;
using InferencePlanner.Work;
using Xunit;

namespace InferencePlanner.Tests;

public sealed class ServingTests
{
    private static string DataDir => Files.DataDir;

    private static Lazy<ServingValidationReport.Outcome> Outcome => BundledServing.Outcome;

    private static JsonElement Summary(string output) => JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray()
        .Single(t => t.GetProperty("key").GetString() == "summary").GetProperty("rows");

    private static double Figure(string output, string name) =>
        Summary(output).EnumerateArray().Single(r => r.GetProperty("figure").GetString() == name).GetProperty("value").GetDouble();

    [Theory]
    [InlineData("sglang", "deepseek-v3", "H200")]
    [InlineData("vllm", "llama-3.1-70b", "H100-SXM")]
    [InlineData("trtllm", "gpt-oss-120b", "B200")]
    [InlineData("trtllm", "qwen3-32b", "GB200")]
    public void Serve_prints_finite_latencies_and_throughput_for_every_framework(string framework, string model, string gpu)
    {
        var (exit, output, err) = Cli.Run("serve", "--framework", framework, "--model", model, "--gpu", gpu, "--format", "json");
        Assert.True(exit == 0, err);
        foreach (var name in (string[])["TTFT (ms)", "TPOT (ms)", "tokens/s per user", "output tokens/s per GPU", "requests/s"])
        {
            var v = Figure(output, name);
            Assert.True(double.IsFinite(v) && v > 0, $"{name} = {v}");
        }

        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_framework_file_with_programmatic_dependent_launch_hides_the_prologues_of_unmeasured_kernels()
    {
        // gpt-oss on B200 has no measured GEMM: every kernel pays GpuLatency.KernelUs (3 us) unless PDL overlaps it.
        var text = File.ReadAllText(Path.Combine(DataDir, "frameworks", "trtllm.json"));
        var path = Path.Combine(Path.GetTempPath(), $"trtllm-pdl-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text.Replace("\"mixesPrefill\": true,", "\"mixesPrefill\": true,\n  \"programmaticDependentLaunch\": true,", StringComparison.Ordinal));
        try
        {
            string[] args = ["serve", "--model", "gpt-oss-120b", "--gpu", "B200", "--tp", "8", "--concurrency", "4", "--format", "json"];
            var (exit, plain, err) = Cli.Run([.. args, "--framework", "trtllm"]);
            Assert.True(exit == 0, err);
            (exit, var pdl, err) = Cli.Run([.. args, "--framework", path]);
            Assert.True(exit == 0, err);
            Assert.True(Figure(pdl, "TPOT (ms)") < Figure(plain, "TPOT (ms)"), $"{Figure(pdl, "TPOT (ms)")} against {Figure(plain, "TPOT (ms)")} ms");
            Assert.Contains("Programmatic dependent launch", pdl, StringComparison.Ordinal);
            Assert.DoesNotContain("Programmatic dependent launch", plain, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Disaggregated_serving_names_the_limiting_side_and_the_balancing_ratio()
    {
        var (exit, output, err) = Cli.Run("serve", "--model", "deepseek-r1", "--gpu", "H200", "--mode", "disagg", "--prefill-tp", "8", "--decode-tp", "1", "--decode-dp", "8",
            "--decode-moe-ep", "8", "--prefill-workers", "1", "--decode-workers", "2", "--concurrency", "256", "--format", "json");
        Assert.True(exit == 0, err);
        var balance = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "balance").GetProperty("rows");
        var ratio = balance.EnumerateArray().Single(r => r.GetProperty("figure").GetString()!.StartsWith("prefill workers per decode", StringComparison.Ordinal)).GetProperty("value").GetDouble();
        Assert.True(ratio > 0 && double.IsFinite(ratio), ratio.ToString(CultureInfo.InvariantCulture));
        var ttft = JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "ttft").GetProperty("rows");
        var transfer = ttft.EnumerateArray().Single(r => r.GetProperty("part").GetString()!.StartsWith("KV transfer", StringComparison.Ordinal)).GetProperty("ms").GetDouble();
        Assert.True(transfer > 0, "the KV cache crosses the NIC in disaggregated serving");
    }

    [Fact]
    public void Little_law_ties_concurrency_latency_and_rate_when_the_clients_limit()
    {
        var m = ModelCatalog.Resolve("llama-3.1-70b");
        var model = new ServingModel(m, Hardware.GpuCatalog.Resolve("H200"), FrameworkCatalog.Resolve("vllm"), PrecisionSet.NativeFor(m.Transformer) with { Weights = Units.Precision.Fp8 });
        foreach (var c in (int[])[1, 8, 64])
        {
            var r = model.Aggregated(new ServingWorkload(1024, 512, c), EngineLayout.TensorParallel(8));
            Assert.Equal(ServingLimit.Concurrency, r.Limit);
            var inFlight = r.RequestsPerSecond * (r.Ttft.Total + (r.Osl - 1) * r.Tpot.Total) / 1000;
            Assert.InRange(inFlight, c * 0.99, c * 1.01);
        }
    }

    [Fact]
    public void A_step_that_mixes_prompts_with_decode_carries_the_prompts_that_reached_the_engine_since_the_step_before()
    {
        // Llama-3.1-8B on 8 x H100 at 1k/256 and concurrency 16: about 14 requests decode, one finishes every 18 steps or
        // so, so a step that carries a prompt carries one (TensorRT-LLM runs it whole). Counting every request not
        // decoding (those still in HTTP and tokenisation, or returning their first token) would put two or more in it.
        var m = ModelCatalog.Resolve("llama-3.1-8b");
        var gpu = Hardware.GpuCatalog.Resolve("H100-SXM");
        var p = PrecisionSet.NativeFor(m.Transformer);
        var few = new ServingWorkload(1024, 256, 16);
        var trtllm = new ServingModel(m, gpu, FrameworkCatalog.Resolve("trtllm"), p).Aggregated(few, EngineLayout.TensorParallel(8));
        Assert.InRange(trtllm.ChunkTokens, 1024, 1.1 * 1024);

        // SGLang runs prompts in steps of their own ahead of decode; a wave's requests decode in lockstep and finish
        // together, so its prompt step takes every request not decoding.
        var sglang = new ServingModel(m, gpu, FrameworkCatalog.Resolve("sglang"), p).Aggregated(few, EngineLayout.TensorParallel(8));
        Assert.True(sglang.ChunkTokens >= 1024 * (16 - sglang.Running) * 0.99, $"{sglang.ChunkTokens} tokens, {sglang.Running:F1} running");

        // Where prompts arrive faster than one a step (1k prompts, 16 output tokens, concurrency 512), steps fill to the
        // budget: 8192 tokens less the decode tokens it counts.
        var many = new ServingModel(m, gpu, FrameworkCatalog.Resolve("trtllm"), p).Aggregated(new ServingWorkload(1024, 16, 512), EngineLayout.TensorParallel(8));
        Assert.True(many.ChunkTokens > 4 * 1024, $"{many.ChunkTokens} tokens");
    }

    [Fact]
    public void Equal_length_waves_stay_in_step_under_sglang_and_are_paced_by_the_prefill_where_steps_mix()
    {
        // A run of 10 waves of 64 equal-length prompts: SGLang runs its prefill steps ahead of decode, so a wave's
        // prompts start and end together and every wave arrives as a burst; TensorRT-LLM and vLLM start each request's
        // decode as its prefill ends, so only the first wave is a burst and the next ones arrive at the prefill's pace.
        var m = ModelCatalog.Resolve("qwen3-32b");
        var gpu = Hardware.GpuCatalog.Resolve("H100-SXM");
        var p = PrecisionSet.NativeFor(m.Transformer);
        var burst = new ServingWorkload(2048, 128, 64, 0, Waves: 10, LengthSpread: 0);
        double Wave(string framework) => new ServingModel(m, gpu, FrameworkCatalog.Resolve(framework), p).Aggregated(burst, EngineLayout.TensorParallel(4)).Ttft.FirstWave;
        double sglang = Wave("sglang"), vllm = Wave("vllm"), trtllm = Wave("trtllm");
        Assert.True(sglang > 4 * vllm && sglang > 4 * trtllm, $"waves: sglang {sglang:F0} ms, vllm {vllm:F0} ms, trtllm {trtllm:F0} ms");
        Assert.True(vllm > 0 && trtllm > 0, "the first wave is a burst under every framework");

        // Under SGLang the requests of a burst prefilled first wait for the rest before their second token: half the
        // burst's prefill on average, where a steady stream puts all of it into each request's decode.
        var sglangModel = new ServingModel(m, gpu, FrameworkCatalog.Resolve("sglang"), p);
        var inStep = sglangModel.Aggregated(burst, EngineLayout.TensorParallel(4)).Tpot.SharedPrefill;
        var steady = sglangModel.Aggregated(burst with { Waves = 0 }, EngineLayout.TensorParallel(4)).Tpot.SharedPrefill;
        Assert.InRange(inStep, steady * 0.5 - 1e-9, steady * 0.75);

        // aiconfigurator's sweeps are read with the nominal lengths and no spread; InferenceMAX's rows with its client.
        var sweep = ServingMeasurement.Bundled.First(ServingCase.FixedLengthClient);
        var (fixedCase, _) = ServingCase.Read(sweep, FrameworkCatalog.Find);
        Assert.Equal((sweep.Whole("isl"), 0.0), (fixedCase!.Workload.Isl, fixedCase.Workload.LengthSpread));
        var inferenceMax = ServingMeasurement.Bundled.First(r => !ServingCase.FixedLengthClient(r) && r["mode"] == "agg");
        var (randomCase, _) = ServingCase.Read(inferenceMax, FrameworkCatalog.Find);
        Assert.Equal(ServingCase.ClientLengthSpread, randomCase!.Workload.LengthSpread);
    }

    [Fact]
    public void TensorRT_LLM_admits_a_request_only_with_its_whole_length_reserved()
    {
        // GUARANTEED_NO_EVICT (TensorRT-LLM's default capacity policy) reserves ISL + OSL a request; frameworks that
        // take blocks as tokens arrive hold ISL + OSL/2 on average, so the same memory holds (ISL + OSL) / (ISL + OSL/2)
        // times as many requests.
        var m = ModelCatalog.Resolve("llama-3.1-70b");
        var gpu = Hardware.GpuCatalog.Resolve("H200");
        var p = PrecisionSet.NativeFor(m.Transformer) with { Weights = Units.Precision.Fp8 };
        var trtllm = FrameworkCatalog.Resolve("trtllm");
        Assert.True(trtllm.KvReservesWholeRequest);
        Assert.False(FrameworkCatalog.Resolve("vllm").KvReservesWholeRequest || FrameworkCatalog.Resolve("sglang").KvReservesWholeRequest);
        var w = new ServingWorkload(1024, 8192, 4096);
        var engine = EngineLayout.TensorParallel(4) with { MaxBatch = 100_000 };
        var whole = new ServingModel(m, gpu, trtllm, p).Aggregated(w, engine).MaxRunning;
        var used = new ServingModel(m, gpu, trtllm with { KvReservesWholeRequest = false }, p).Aggregated(w, engine).MaxRunning;
        Assert.Equal((1024 + 8192) / (1024 + 8192 / 2.0), used / whole, 2);
    }

    [Theory]
    [InlineData("fp8", Units.Precision.Fp8)]
    [InlineData("fp8_block", Units.Precision.Fp8)]
    [InlineData("fp8_static", Units.Precision.Fp8)]
    [InlineData("w8a8", Units.Precision.Fp8)]
    [InlineData("nvfp4", Units.Precision.Fp4)]
    [InlineData("w4a16_mxfp4", Units.Precision.Mxfp4)]
    [InlineData("mxfp4", Units.Precision.Mxfp4)]
    [InlineData("int4_wo", Units.Precision.Int4)]
    [InlineData("w4afp8", Units.Precision.Int4)]
    [InlineData("float16", Units.Precision.Bf16)]
    [InlineData("BF16", Units.Precision.Bf16)]
    [InlineData("", null)]
    [InlineData("something-else", null)]
    public void A_serving_row_reads_the_quantisation_modes_the_measurements_spell(string mode, Units.Precision? precision)
    {
        Assert.Equal(precision, ServingCase.QuantMode(mode));
    }

    [Theory]
    [InlineData("h100_sxm", "H100-SXM")]
    [InlineData("h100_pcie", "H100-PCIe")]
    [InlineData("a100_pcie", "A100-PCIe")]
    [InlineData("a100_sxm", "A100-SXM")]
    [InlineData("b300_sxm", "B300")]
    [InlineData("gb200", "GB200")]
    [InlineData("gb300", "GB300")]
    [InlineData("l40s", "L40S")]
    [InlineData("rtx_pro_6000_server", "RTX-PRO-6000-Server")]
    [InlineData("h20_3e", "H20-3e")]
    public void A_serving_row_names_its_gpu_by_the_system_names_of_the_published_measurements(string system, string gpu)
    {
        Assert.Equal(gpu, ServingCase.GpuFor(system)?.Name);
    }

    [Theory]
    [InlineData("nvidia/DeepSeek-R1-0528-FP4-v2", "deepseek-r1")]
    [InlineData("amd/DeepSeek-R1-0528-MXFP4-Preview", "deepseek-r1")]
    [InlineData("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-v3.2")]
    [InlineData("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic", "llama-3.1-8b")]
    [InlineData("amd/Llama-3.1-70B-Instruct-FP8-KV", "llama-3.1-70b")]
    [InlineData("nvidia/Llama-3.3-70B-Instruct-FP4", "llama-3.1-70b")]
    [InlineData("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "qwen3-235b-a22b")]
    [InlineData("Qwen/Qwen3-30B-A3B-FP8", "qwen3-30b-a3b")]
    [InlineData("Qwen/Qwen3-32B-AWQ", "qwen3-32b")]
    [InlineData("nvidia/Kimi-K2-Thinking-NVFP4", "kimi-k2.5")]
    [InlineData("openai/gpt-oss-20b", "gpt-oss-20b")]
    public void A_serving_row_names_its_model_by_any_published_build_of_a_built_in_architecture(string path, string model)
    {
        var name = ServingCase.ModelName(path);
        Assert.Equal(model, ModelCatalog.Resolve(name).Name);
    }

    [Fact]
    public void The_attention_dp_balance_holds_prompts_until_every_rank_has_one_or_the_timeout()
    {
        // TensorRT-LLM's attention_dp_config (enable_balance, timeout_iters): a prompt waits until each of the dp ranks
        // has one, at most the timeout. Half the gathering time or half the timeout on average, never more.
        var m = ModelCatalog.Resolve("deepseek-r1");
        var model = new ServingModel(m, Hardware.GpuCatalog.Resolve("H200"), FrameworkCatalog.Resolve("trtllm"), PrecisionSet.NativeFor(m.Transformer));
        var adp = new EngineLayout(1, 8, 1, 8);
        var plain = new ServingWorkload(1024, 1024, 128);
        var off = model.Aggregated(plain, adp);
        var on = model.Aggregated(plain with { BalanceTimeoutSteps = 60 }, adp);
        var wait = on.Ttft.Delivery;
        var step = on.Tpot.Total;
        Assert.True(wait > 0 && wait <= 30 * step * 1.05, $"{wait:F1} ms of balance wait at {step:F2} ms per step");
        var gather = 7 * 1000 / on.RequestsPerSecond / 2;
        Assert.True(wait <= gather * 1.000001, $"{wait:F1} ms waited, {gather:F1} ms to gather a prompt per rank");
        Assert.True(on.Ttft.Total > off.Ttft.Total, "waiting raises TTFT");

        // Without attention data parallelism there is nothing to balance.
        var tp = EngineLayout.TensorParallel(8);
        Assert.Equal(model.Aggregated(plain, tp).Ttft.Total, model.Aggregated(plain with { BalanceTimeoutSteps = 60 }, tp).Ttft.Total);
    }

    [Fact]
    public void Host_time_by_request_paces_a_step_only_where_it_outlasts_the_gpu()
    {
        // The host prepares the next step while the GPU runs this one: a step lasts the longer of the two.
        var m = ModelCatalog.Resolve("llama-3.1-70b");
        var fw = FrameworkCatalog.Resolve("trtllm") with { HostUsPerRequest = 0 };
        ServingResult At(double hostUs, int c) => new ServingModel(m, Hardware.GpuCatalog.Resolve("H200"), fw with { HostUsPerRequest = hostUs }, PrecisionSet.NativeFor(m.Transformer) with { Weights = Units.Precision.Fp8 })
            .Aggregated(new ServingWorkload(1024, 1024, c), EngineLayout.TensorParallel(8));

        // One request: the GPU's step outlasts 200 us of host time.
        Assert.Equal(At(0, 1).Tpot.Total, At(200, 1).Tpot.Total, 9);

        // 256 requests: 51 ms of host time per step outlasts the GPU's, and sets the pace.
        var paced = At(200, 256);
        Assert.True(paced.Tpot.Total >= 0.2 * paced.DecodeBatchPerGpu * 8 * 0.999, $"{paced.Tpot.Total:F2} ms per token at {paced.DecodeBatchPerGpu * 8:F0} requests");
        // The host time beyond the GPU's step is reported as host time: the GPU's step and the host parts add up to the
        // host's 200 us per request plus the step overhead.
        Assert.Equal(0.2 * paced.DecodeBatchPerGpu * 8 + (fw.StepOverheadUs / 1000), paced.Tpot.Decode + paced.Tpot.Overhead, 6);
        Assert.True(paced.Tpot.Overhead > fw.StepOverheadUs / 1000);
        Assert.True(paced.Tpot.Total > At(0, 256).Tpot.Total);
    }

    [Fact]
    public void Launching_kernels_one_by_one_costs_what_a_published_decode_step_shows()
    {
        // cloudai.pt (2026, citing Spheron): a Llama-3.1-8B decode step on H100 SXM5 takes 8.4 ms launched kernel by
        // kernel and 5.1 ms replayed from a CUDA graph, 3.3 ms apart. The frameworks' eagerLaunchUs carries that.
        var m = ModelCatalog.Resolve("llama-3.1-8b");
        var graphed = FrameworkCatalog.Resolve("vllm") with { StepOverheadUs = 0, HostUsPerRequest = 0 };
        var eager = graphed with { CudaGraphMaxBatch = 0 };
        double Tpot(ServingFramework f) => new ServingModel(m, Hardware.GpuCatalog.Resolve("H100-SXM"), f, PrecisionSet.NativeFor(m.Transformer))
            .Aggregated(new ServingWorkload(128, 128, 1), EngineLayout.TensorParallel(1)).Tpot.Decode;
        Assert.InRange(Tpot(eager) - Tpot(graphed), 3.3 * 0.85, 3.3 * 1.15);
    }

    [Fact]
    public void SGLang_sizes_its_chunks_and_cuda_graphs_by_the_gpu_s_memory_and_the_engine_s_size()
    {
        // sgl-project/sglang server_args.py, _handle_gpu_memory_settings (0.5): chunks of 2048 below 35 GB, 4096 below
        // 60 GB, 8192 below 160 GB, 16384 from 160 GB; decode graphs to 24 / 80 below 35 GB, 32 / 160 below 60 GB and
        // 256 / 512 below 160 GB (below TP4 / from TP4), 512 from 160 GB at any TP.
        var sglang = FrameworkCatalog.Resolve("sglang");
        double Memory(string gpu) => Hardware.GpuCatalog.Resolve(gpu).MemoryGB;
        Assert.Equal((2048, 24, 80), (sglang.ChunkTokensFor(Memory("L4")), sglang.CudaGraphMaxBatchFor(Memory("L4"), 1), sglang.CudaGraphMaxBatchFor(Memory("L4"), 4)));
        Assert.Equal((4096, 32, 160), (sglang.ChunkTokensFor(Memory("L40S")), sglang.CudaGraphMaxBatchFor(Memory("L40S"), 2), sglang.CudaGraphMaxBatchFor(Memory("L40S"), 8)));
        Assert.Equal((8192, 256, 512), (sglang.ChunkTokensFor(Memory("H100-SXM")), sglang.CudaGraphMaxBatchFor(Memory("H100-SXM"), 2), sglang.CudaGraphMaxBatchFor(Memory("H100-SXM"), 4)));
        Assert.Equal((8192, 256, 512), (sglang.ChunkTokensFor(Memory("H200")), sglang.CudaGraphMaxBatchFor(Memory("H200"), 1), sglang.CudaGraphMaxBatchFor(Memory("H200"), 8)));
        Assert.Equal((16384, 512, 512), (sglang.ChunkTokensFor(Memory("B200")), sglang.CudaGraphMaxBatchFor(Memory("B200"), 1), sglang.CudaGraphMaxBatchFor(Memory("B200"), 8)));
        var trtllm = FrameworkCatalog.Resolve("trtllm");
        Assert.Equal((8192, 128), (trtllm.ChunkTokensFor(Memory("L4")), trtllm.CudaGraphMaxBatchFor(Memory("L4"), 1)));

        // A TP1 engine on H200 decoding 300 requests launches its kernels one by one; with no smaller cap for small
        // engines the same batch replays a graph.
        var m = ModelCatalog.Resolve("llama-3.1-8b");
        var f = sglang with { StepOverheadUs = 0, HostUsPerRequest = 0 };
        double Decode(ServingFramework fw) => new ServingModel(m, Hardware.GpuCatalog.Resolve("H200"), fw, PrecisionSet.NativeFor(m.Transformer) with { Weights = Units.Precision.Fp8 })
            .Aggregated(new ServingWorkload(1000, 500, 300), EngineLayout.TensorParallel(1)).Tpot.Decode;
        var small = Decode(f);
        var graphed = Decode(f with { SmallEngineGpus = 0 });
        Assert.True(small > graphed + 1, $"eager {small:F2} ms against graphed {graphed:F2} ms per token");

        // The listing states the tiers; a file whose tiers do not ascend, that gives a small-engine cap without saying
        // which engines are small, or that names a field tiers do not have, is refused with what is wrong.
        Assert.Contains("2048 below 35 GB, 4096 below 60 GB, 8192 below 160 GB, 16384 from 160 GB", Cli.Run("list", "frameworks").Out, StringComparison.Ordinal);
        var text = File.ReadAllText(Path.Combine(DataDir, "frameworks", "sglang.json"));
        string Refused(string from, string to) => Assert.Throws<InputException>(() => FrameworkCatalog.Parse(text.Replace(from, to, StringComparison.Ordinal), "x.json")).Message;
        Assert.Contains("ascend", Refused("\"belowMemoryGB\": 60,", "\"belowMemoryGB\": 30,"), StringComparison.Ordinal);
        Assert.Contains("smallEngineGpus", Refused("\"smallEngineGpus\": 4,", ""), StringComparison.Ordinal);
        Assert.Contains("graphs", Refused("\"belowMemoryGB\": 20,", "\"graphs\": 1, \"belowMemoryGB\": 20,"), StringComparison.Ordinal);
    }

    [Fact]
    public void More_concurrency_raises_tpot_and_throughput_until_memory_queues_the_rest()
    {
        var m = ModelCatalog.Resolve("llama-3.1-70b");
        var model = new ServingModel(m, Hardware.GpuCatalog.Resolve("H100-SXM"), FrameworkCatalog.Resolve("trtllm"), PrecisionSet.NativeFor(m.Transformer) with { Weights = Units.Precision.Fp8 });
        double lastTpot = 0, lastRate = 0;
        foreach (var c in (int[])[1, 4, 16, 64])
        {
            var r = model.Aggregated(new ServingWorkload(1024, 1024, c), EngineLayout.TensorParallel(2));
            Assert.True(r.Tpot.Total >= lastTpot && r.RequestsPerSecond > lastRate, $"c={c}");
            (lastTpot, lastRate) = (r.Tpot.Total, r.RequestsPerSecond);
        }

        // Far past what the KV cache holds, the excess waits a whole request's time: TTFT grows past the decode time.
        var queued = model.Aggregated(new ServingWorkload(1024, 1024, 5000), EngineLayout.TensorParallel(2));
        Assert.Equal(ServingLimit.Memory, queued.Limit);
        Assert.True(queued.Ttft.Queue > queued.Tpot.Total * 1023, $"{queued.Ttft.Queue} ms queued");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void A_decode_worker_steps_with_at_least_one_request_however_many_workers_share_fewer_clients(int clients)
    {
        // With fewer clients than decode workers each request decodes alone on its worker: 9 decode workers give it no
        // shorter step than one worker with a batch of one (DeepSeek-R1 on H200 under SGLang, TP8 workers, as the
        // published 1P9D runs have them). An even spread would price 1/9 of a request per worker, one expert per layer.
        var m = ModelCatalog.Resolve("deepseek-r1");
        var model = new ServingModel(m, Hardware.GpuCatalog.Resolve("H200"), FrameworkCatalog.Resolve("sglang"), PrecisionSet.NativeFor(m.Transformer));
        var tp8 = EngineLayout.TensorParallel(8);
        var w = new ServingWorkload(1024, 1024, clients);
        var alone = model.Disaggregated(w, new DisaggregatedLayout(tp8, 1, tp8, 1)).Tpot.Total;
        var single = model.Disaggregated(new ServingWorkload(1024, 1024, 1), new DisaggregatedLayout(tp8, 1, tp8, 1)).Tpot.Total;
        var nine = model.Disaggregated(w, new DisaggregatedLayout(tp8, 1, tp8, 9)).Tpot.Total;
        Assert.True(nine >= single - 1e-9, $"{nine} ms per token over 9 workers against {single} ms for one request alone");
        Assert.True(nine <= alone + 1e-9, $"{nine} ms per token over 9 workers against {alone} ms with all {clients} on one");

        // serve's decode-step table prices the step the TPOT carries: one request on a worker of 8 GPUs.
        var scenario = new ServingScenario(m, Hardware.GpuCatalog.Resolve("H200"), FrameworkCatalog.Resolve("sglang"), PrecisionSet.NativeFor(m.Transformer), w, ServingMode.Disaggregated, null, new DisaggregatedLayout(tp8, 1, tp8, 9), null);
        var (result, step, _) = scenario.EvaluateWithStep();
        Assert.Equal(result.Tpot.Decode, step.Total.Milliseconds, 9);
        Assert.Equal(1.0 / 8, result.StepBatchPerGpu, 9);
    }

    [Fact]
    public void A_max_batch_caps_the_running_requests_and_the_rest_wait()
    {
        // 5 decode workers that run 32 requests each hold 160 of 180 clients: the other 20 queue for a decode slot, so
        // TTFT carries at least their Little's-law wait, 20 / rate.
        var m = ModelCatalog.Resolve("deepseek-r1");
        var model = new ServingModel(m, Hardware.GpuCatalog.Resolve("B200"), FrameworkCatalog.Resolve("trtllm"), PrecisionSet.NativeFor(m.Transformer) with { ExpertWeights = Units.Precision.Fp4 });
        var prefill = new EngineLayout(1, 4, 1, 4);
        var decode = new EngineLayout(8, 1, 1, 8);
        var w = new ServingWorkload(1024, 1024, 180);
        var open = model.Disaggregated(w, new DisaggregatedLayout(prefill, 1, decode, 5));
        var capped = model.Disaggregated(w, new DisaggregatedLayout(prefill, 1, decode with { MaxBatch = 32 }, 5));
        Assert.Equal(ServingLimit.Concurrency, open.Limit);
        Assert.Equal(ServingLimit.RunningCap, capped.Limit);
        Assert.Equal(32.0 * 5, capped.MaxRunning, 6);
        Assert.True(capped.Ttft.Total >= 20 / capped.RequestsPerSecond * 1000, $"{capped.Ttft.Total} ms");
        Assert.True(capped.Ttft.Total > 2 * open.Ttft.Total);

        // On a prefill worker the cap is prompts per step: one 1k prompt per step and rank carries less than the budget's eight.
        var onePrompt = model.Disaggregated(w, new DisaggregatedLayout(prefill with { MaxBatch = 1 }, 1, decode, 5));
        Assert.True(onePrompt.PrefillCapacityPerSecond < 0.8 * open.PrefillCapacityPerSecond, $"{onePrompt.PrefillCapacityPerSecond} against {open.PrefillCapacityPerSecond} prompts/s");

        // The engine's description says so, and a cap below one request is refused.
        Assert.Contains("max batch 32", (decode with { MaxBatch = 32 }).Describe(m.Transformer), StringComparison.Ordinal);
        Assert.Throws<InputException>(() => model.Aggregated(w, new EngineLayout(8, 1, 8, 1) { MaxBatch = 0 }));
        var (exit, _, err) = Cli.Run("serve", "--model", "deepseek-r1", "--gpu", "B200", "--max-batch", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--max-batch", err, StringComparison.Ordinal);
    }

    [Theory]
    // srt-slurm's recipes/trtllm/b200-fp8/1k1k/stp/ctx1_gen3_tp8_batch1024_eplb0_mtp0_4.yaml: decode max_batch_size 1 (not
    // the 1024 its name gives); .../mtp/ctx1_gen2_dep8_batch768_eplb0_mtp2_1600.yaml: 96 per rank (768 over 8 ranks).
    [InlineData("fp8", "1024", 4, 1)]
    [InlineData("fp8", "1024", 1600, 96)]
    public void A_disaggregated_row_gets_its_recipe_files_decode_batch(string precision, string isl, int concurrency, int batch)
    {
        var row = ServingMeasurement.Bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == precision
            && r["isl"] == isl && r["osl"] == "1024" && r.Concurrency == concurrency && r["decode_num_workers"].Length == 0);
        var (c, reason) = ServingCase.Read(row, FrameworkCatalog.Find);
        Assert.True(c is not null, reason);
        Assert.All(new[] { c }.Concat(c.Alternatives), x => Assert.Equal(batch, x.Disaggregated!.Decode.MaxBatch));
    }

    [Fact]
    public void The_prompt_cost_table_reads_pairs_of_aggregated_rows_at_low_concurrency()
    {
        var o = Outcome.Value;
        var costs = ServingValidationReport.PromptCosts(o.Predictions);
        Assert.NotEmpty(costs);
        Assert.All(costs, c => Assert.Contains(" / agg / ", c.Stratum, StringComparison.Ordinal));
        Assert.All(costs, c => Assert.True(c.Pairs >= 1));

        // Exact predictions give the measured lines: slope ratio 1, the same intercepts.
        var exact = ServingValidationReport.PromptCosts([.. o.Predictions.Select(p => p.Predicted ? p with { PredictedTtftMs = p.MeasuredTtftMs } : p)]);
        Assert.Equal(costs.Select(c => (c.Stratum, c.Pairs)), exact.Select(c => (c.Stratum, c.Pairs)));
        Assert.All(exact, c =>
        {
            Assert.Equal(1, c.SlopeRatio, 9);
            Assert.Equal(c.MeasuredMsPer1kTokens, c.PredictedMsPer1kTokens, 9);
            Assert.Equal(c.MeasuredInterceptMs, c.PredictedInterceptMs, 9);
        });

        // Two rows at 1,024 and 8,192 tokens one second apart, 10 ms apart at zero tokens: 1,000 / 7.168 ms per 1k tokens.
        var two = o.Predictions.Where(p => p.Predicted && p.Case!.Mode == ServingMode.Aggregated && p.Case.Workload.Concurrency <= ServingValidationReport.PromptCostMaxConcurrency)
            .GroupBy(p => (p.Case!.Stratum, p.Case.Workload.Concurrency, p.Case.Workload.Osl, p.Case.Engine!.Describe(p.Case.Model.Transformer), p.Case.Framework.Name, p.Case.Precisions))
            .First(g => g.Select(p => p.Case!.Workload.Isl).Distinct().Count() == 2);
        var isls = two.Select(p => p.Case!.Workload.Isl).Distinct().Order().ToArray();
        var line = two.Select(p => p with { MeasuredTtftMs = 10 + (p.Case!.Workload.Isl - isls[0]) * 1000.0 / (isls[1] - isls[0]), PredictedTtftMs = 10 + (p.Case.Workload.Isl - isls[0]) * 2000.0 / (isls[1] - isls[0]) }).ToList();
        var one = Assert.Single(ServingValidationReport.PromptCosts(line));
        Assert.Equal(1, one.Pairs);
        Assert.Equal(1e6 / (isls[1] - isls[0]), one.MeasuredMsPer1kTokens, 9);
        Assert.Equal(2, one.SlopeRatio, 9);
        Assert.Equal(10 - isls[0] * 1000.0 / (isls[1] - isls[0]), one.MeasuredInterceptMs, 9);
    }

    [Fact]
    public void The_concurrency_cost_table_fits_a_line_to_each_aggregated_deployment_measured_at_three_concurrencies()
    {
        var o = Outcome.Value;
        var costs = ServingValidationReport.ConcurrencyCosts(o.Predictions);
        Assert.NotEmpty(costs);
        Assert.All(costs, c => Assert.Matches(@"^(sglang|trtllm|vllm) / TP\d+$", c.Stratum));
        Assert.All(costs, c => Assert.True(c.Deployments >= 1));

        // Exact predictions give the measured lines: both ratios 1.
        var exact = ServingValidationReport.ConcurrencyCosts([.. o.Predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.MeasuredTpotMs } : p)]);
        Assert.Equal(costs.Select(c => (c.Stratum, c.Deployments)), exact.Select(c => (c.Stratum, c.Deployments)));
        Assert.All(exact, c =>
        {
            Assert.Equal(1, c.SlopeRatio, 9);
            Assert.Equal(1, c.InterceptRatio, 9);
            Assert.Equal(c.MeasuredUsPerRequest, c.PredictedUsPerRequest, 9);
        });

        // One deployment's rows on the lines 5 ms + 0.1 ms per request (measured) and 4 ms + 0.2 ms (predicted):
        // 100 us per request measured, twice that predicted, intercepts 4 / 5.
        var one = o.Predictions.Where(p => p.Predicted && p.Case!.Mode == ServingMode.Aggregated && p.Case.Workload.Concurrency <= ServingValidationReport.ConcurrencyCostMaxConcurrency)
            .GroupBy(p => (p.Case!.Stratum, p.Case.Deployment, p.Case.Workload.Isl, p.Case.Workload.Osl))
            .First(g => g.Select(p => p.Case!.Workload.Concurrency).Distinct().Count() >= ServingValidationReport.ConcurrencyCostMinConcurrencies);
        var line = one.Select(p => p with { MeasuredTpotMs = 5 + (0.1 * p.Case!.Workload.Concurrency), PredictedTpotMs = 4 + (0.2 * p.Case.Workload.Concurrency) }).ToList();
        var cost = Assert.Single(ServingValidationReport.ConcurrencyCosts(line));
        Assert.Equal(1, cost.Deployments);
        Assert.Equal(100, cost.MeasuredUsPerRequest, 9);
        Assert.Equal(200, cost.PredictedUsPerRequest, 9);
        Assert.Equal(2, cost.SlopeRatio, 9);
        Assert.Equal(0.8, cost.InterceptRatio, 9);
        Assert.Equal(FormattableString.Invariant($"{one.First().Case!.Framework.Name} / TP{one.First().Case!.DecodeShape.Tp}"), cost.Stratum);

        // Two concurrencies are not a line.
        var two = one.GroupBy(p => p.Case!.Workload.Concurrency).OrderBy(c => c.Key).Take(2).SelectMany(c => c).ToList();
        Assert.Empty(ServingValidationReport.ConcurrencyCosts(two));
    }

    [Fact]
    public void The_shared_prompt_cost_table_reads_a_prompt_tokens_price_from_how_the_concurrency_cost_grows_with_the_prompt()
    {
        var o = Outcome.Value;
        var costs = ServingValidationReport.SharedPromptCosts(o.Predictions);
        Assert.NotEmpty(costs);
        Assert.All(costs, c => Assert.Contains(" / agg / ", c.Stratum, StringComparison.Ordinal));

        // Exact predictions give the measured prices.
        var exact = ServingValidationReport.SharedPromptCosts([.. o.Predictions.Select(p => p.Predicted ? p with { PredictedTpotMs = p.MeasuredTpotMs } : p)]);
        Assert.Equal(costs.Select(c => (c.Stratum, c.Deployments)), exact.Select(c => (c.Stratum, c.Deployments)));
        Assert.All(exact, c => Assert.Equal(c.MeasuredUsPerPromptToken, c.PredictedUsPerPromptToken, 9));

        // One deployment's rows where each request in flight adds 100 us plus 20 us per prompt token per output token
        // (measured) and 50 us plus 40 us (predicted): a prompt token costs 20 us measured, twice that predicted.
        // Its shapes with a concurrency line each (three or more concurrencies).
        static IEnumerable<IGrouping<(int Isl, int Osl), ServingPrediction>> Lined(IEnumerable<ServingPrediction> rows) =>
            rows.GroupBy(p => (p.Case!.Workload.Isl, p.Case.Workload.Osl))
                .Where(s => s.Select(p => p.Case!.Workload.Concurrency).Distinct().Count() >= ServingValidationReport.ConcurrencyCostMinConcurrencies);
        var deployment = o.Predictions.Where(p => p.Predicted && p.Case!.Mode == ServingMode.Aggregated && p.Case.Workload.Concurrency <= ServingValidationReport.ConcurrencyCostMaxConcurrency)
            .GroupBy(p => (p.Case!.Stratum, p.Case.Deployment))
            .First(d => Lined(d).Count() >= ServingValidationReport.SharedPromptMinShapes);
        static double Ratio(ServingPrediction p) => p.Case!.Workload.Isl / (p.Case.Workload.Osl - 1.0);
        var rows = deployment.Select(p => p with
        {
            MeasuredTpotMs = 5 + (p.Case!.Workload.Concurrency * (0.1 + (0.02 * Ratio(p)))),
            PredictedTpotMs = 4 + (p.Case.Workload.Concurrency * (0.05 + (0.04 * Ratio(p)))),
        }).ToList();
        var cost = Assert.Single(ServingValidationReport.SharedPromptCosts(rows));
        Assert.Equal(1, cost.Deployments);
        Assert.Equal(20, cost.MeasuredUsPerPromptToken, 6);
        Assert.Equal(40, cost.PredictedUsPerPromptToken, 6);
        Assert.Equal(2, cost.Ratio, 6);
        Assert.Equal(deployment.Key.Stratum, cost.Stratum);

        // Two shapes with a line each are too few.
        var two = Lined(rows).Take(2).SelectMany(s => s).ToList();
        Assert.Equal(2, Lined(two).Count());
        Assert.Empty(ServingValidationReport.SharedPromptCosts(two));
    }

    [Fact]
    public void The_summary_scores_the_rows_several_recipes_could_have_run_apart()
    {
        // A row several recipes fit, or a run the dataset gives twice read as two deployments, is priced as each reading
        // and scored at their geometric mean; the summary gives those rows a line of their own, and the JSON their count.
        var o = Outcome.Value;
        var several = o.SeveralReadings;
        Assert.NotEmpty(several);
        // The rows with alternative readings are exactly those whose assumptions say several recipes fit or the run was
        // read two ways, and both kinds are among them.
        Assert.Equal(several, [.. o.Predicted.Where(p => p.Case!.Assumptions.Contains(ServingCase.SeveralRecipes) || p.Case.Assumptions.Contains(ServingCase.ReadTwoWays))]);
        Assert.Contains(several, p => p.Case!.Assumptions.Contains(ServingCase.ReadTwoWays));
        Assert.Contains(several, p => p.Case!.Assumptions.Contains(ServingCase.SeveralRecipes));
        var summary = ServingValidationReport.Document(o, "bundled").Tables.Single(t => t.Key == "serving-summary");
        var line = Assert.Single(summary.Rows, r => r[0].Text is { } label && label.Contains("read as several deployments", StringComparison.Ordinal));
        Assert.Equal(several.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), line[1].Rounded());

        // Of no known deployment besides them: a disaggregated row whose worker counts neither its columns nor a recipe
        // give, sized for want of them, its throughput per GPU divided by GPUs the sizing assumed. The file's DeepSeek-R1
        // H200 TensorRT-LLM row at 1k/1k and concurrency 13 (no prefill_num_workers or decode_num_workers; no recipe of
        // the benchmark lists concurrency 13) reads one way and is still unknown. The JSON counts both kinds.
        var row = Assert.Single(o.Predicted, p => p.Id == "2026_03_25_deepseek_r1_h200_sxm_trtllm_fp8_disagg_1024x1024_c13_tp8_0_ep8_0_354");
        Assert.False(row.Case!.ReadSeveralWays);
        Assert.False(row.Case.DeploymentKnown);
        Assert.Contains(row, o.DeploymentUnknown);
        Assert.True(o.DeploymentUnknown.Count > several.Count);
        var json = JsonDocument.Parse(ServingValidationReport.Json(o)).RootElement;
        Assert.Equal(o.DeploymentUnknown.Count, json.GetProperty("rowsOfUnknownDeployment").GetInt32());
    }

    [Fact]
    public void The_decode_shape_table_sorts_every_predicted_row_by_tp_and_requests_per_gpu()
    {
        var o = Outcome.Value;
        var shapes = ServingValidationReport.ByDecodeShape(o.Predictions);
        Assert.Equal(o.Predicted.Count, shapes.Sum(s => s.Tpot.Rows));
        Assert.Equal(shapes.Count, shapes.Select(s => s.Shape).Distinct(StringComparer.Ordinal).Count());

        // The bundled file's first row: DeepSeek-V3 on 8 x H200 under SGLang, TP8 at concurrency 4, so half a request per GPU.
        var first = o.Predictions[0];
        Assert.Equal("dsr1_h200_sglang_fp8_agg_1024x1024_c4_cfg81", first.Id);
        Assert.Equal((8, 0.5), first.Case!.DecodeShape);
        Assert.Contains(shapes, s => s.Shape == "TP8, up to 2 requests per GPU");
    }

    [Fact]
    public void A_gemm_below_the_smallest_measured_m_streams_the_weights_at_that_m_share()
    {
        // Decode GEMMs of a few rows pad them to a 64-row tile and read the same weights as a 64-row GEMM: DeepGEMM's dense
        // table starts at M = 64, so below it the share is the share there, for every N and K.
        var h200 = new Kernels.KernelModel(Hardware.GpuCatalog.Resolve("H200"));
        var at64 = h200.GemmShare(Kernels.GemmTable.Dense, 64, 8192, 8192)!.Value;
        Assert.Equal(at64, h200.GemmShare(Kernels.GemmTable.Dense, 4, 8192, 8192)!.Value, 12);
        Assert.Equal(at64, h200.GemmShare(Kernels.GemmTable.Dense, 1, 8192, 8192)!.Value, 12);
        Assert.NotEqual(at64, h200.GemmShare(Kernels.GemmTable.Dense, 64, 1024, 8192)!.Value, 3); // the shape still counts

        // The masked (decode expert) table starts at 256 rows per group: below a tile the share is the one at 64 rows,
        // between 64 and 256 it is still reached from the measured M above.
        var masked64 = h200.GemmShare(Kernels.GemmTable.Masked, 64, 4096, 7168)!.Value;
        Assert.Equal(masked64, h200.GemmShare(Kernels.GemmTable.Masked, 8, 4096, 7168)!.Value, 12);
        Assert.NotEqual(masked64, h200.GemmShare(Kernels.GemmTable.Masked, 256, 4096, 7168)!.Value, 3);
    }

    [Fact]
    public void A_framework_prices_with_the_kernels_it_runs()
    {
        // vLLM's dense FP8 GEMMs on B200 are its CUTLASS kernels, measured by its own benchmarks (blackwell-cutlass.json:
        // 2585 TFLOPS at M=1024, N=6144, K=4096, PR #19566); TensorRT-LLM keeps the B200 profile, which has no GEMM table.
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        var vllm = new Kernels.KernelModel(FrameworkCatalog.Resolve("vllm").KernelsOn(b200));
        var trt = new Kernels.KernelModel(FrameworkCatalog.Resolve("trtllm").KernelsOn(b200));
        Assert.Equal("blackwell-cutlass", vllm.Profile!.Name);
        Assert.Equal("blackwell", trt.Profile!.Name);
        Assert.Null(trt.GemmShare(Kernels.GemmTable.Dense, 1024, 6144, 4096));
        Assert.Equal(2585.3 / 4500, vllm.GemmShare(Kernels.GemmTable.Dense, 1024, 6144, 4096)!.Value, 3); // compute-bound there: B200's FP8 peak
        var (exit, output, err) = Cli.Run("serve", "--model", "llama-3.1-70b", "--gpu", "B200", "--framework", "vllm", "--tp", "4", "--weights", "fp8", "--concurrency", "16");
        Assert.True(exit == 0, err);
        Assert.Contains("kernels: blackwell-cutlass kernel data", output, StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => FrameworkCatalog.Parse(File.ReadAllText(Path.Combine(Files.RepositoryRoot, "data", "frameworks", "vllm.json")).Replace("\"blackwell-cutlass\"", "\"nosuch\"", StringComparison.Ordinal), "my-vllm.json"));
        Assert.Contains("kernelProfiles", e.Message, StringComparison.Ordinal);

        // On Hopper TensorRT-LLM decodes grouped-query attention with its XQA kernels, taken at the median share of the
        // tuned decode kernel TileOPs published on H200 (PR #2136, 'After' column; 8 KV heads of 128, BF16 keys and
        // values): Llama-3.1-8B batch 32 at 4K tokens in 134.35 us and batch 8 at 32K in 256.77 us, Llama-3.1-70B batch
        // 16 at 4K in 75.84 us and batch 4 at 32K in 135.81 us. vLLM and SGLang run FlashAttention-3 there: hopper.json's
        // share, 3,384 GB/s of H200's 4,800.
        var h200 = Hardware.GpuCatalog.Resolve("H200");
        double Share(int batch, int tokens, double us) => batch * tokens * 8.0 * 128 * 2 * 2 / (us * 1e3) / h200.MemoryBandwidthGBps;
        double[] tuned = [.. new[] { Share(32, 4096, 134.35), Share(8, 32768, 256.77), Share(16, 4096, 75.84), Share(4, 32768, 135.81) }.Order()];
        var xqa = new Kernels.KernelModel(FrameworkCatalog.Resolve("trtllm").KernelsOn(h200));
        Assert.Equal("hopper-trtllm", xqa.Profile!.Name);
        Assert.Equal((tuned[1] + tuned[2]) / 2, xqa.GqaDecodeMemoryShare(), 3);
        foreach (var fa3 in new[] { "vllm", "sglang" })
        {
            var model = new Kernels.KernelModel(FrameworkCatalog.Resolve(fa3).KernelsOn(h200));
            Assert.Equal("hopper", model.Profile!.Name);
            Assert.Equal(3384 / 4800.0, model.GqaDecodeMemoryShare(), 3);
        }

        // The MLA decode of DeepSeek's models is another kernel: TensorRT-LLM's profile leaves hopper.json's in place.
        Assert.Equal(new Kernels.KernelModel(h200).AttentionShares(), xqa.AttentionShares());

        // The share is an assumption, and the outputs say so; vLLM's FlashAttention-3 share is measured.
        Assert.Contains(FormattableString.Invariant($"grouped-query decode attention assumed at {(tuned[1] + tuned[2]) / 2:0.00} of HBM: XQA"), xqa.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("assumed", new Kernels.KernelModel(FrameworkCatalog.Resolve("vllm").KernelsOn(h200)).Description, StringComparison.Ordinal);
        (exit, output, err) = Cli.Run("serve", "--model", "llama-3.1-70b", "--gpu", "H200", "--framework", "trtllm", "--tp", "4", "--weights", "fp8", "--concurrency", "16");
        Assert.True(exit == 0, err);
        Assert.Contains("kernels: hopper-trtllm kernel data measured on H800, grouped-query decode attention assumed at 0.83 of HBM:", output, StringComparison.Ordinal);
        const string Bad = """{"name": "z", "extends": "hopper", "source": "s", "measuredOn": "H800", "gqaDecode": {"measuredOn": "H200", "memoryGBps": 3975, "assumption": " "}}""";
        e = Assert.Throws<InputException>(() => Kernels.KernelProfile.Parse(Bad, "my-xqa.json", n => Hardware.GpuCatalog.Resolve(n), n => Kernels.KernelCatalog.BuiltIn.Single(p => p.Name == n)));
        Assert.Equal("my-xqa.json: gqaDecode.assumption must be a non-empty string saying what the share assumes", e.Message);
    }

    [Fact]
    public void Deployments_that_run_are_not_refused()
    {
        // DeepSeek-R1 FP8 on 4 x B200 at TP4 runs (measured rows exist), with SGLang's memory share raised by hand.
        var (exit, output, err) = Cli.Run("serve", "--model", "deepseek-r1", "--gpu", "B200", "--tp", "4", "--concurrency", "16");
        Assert.True(exit == 0, err);
        Assert.Contains("memory share raised by hand", output, StringComparison.Ordinal);

        // TP16 over two H100 nodes: the all-reduce crosses the NIC. The same GPU in a 16-GPU NVLink domain, everything
        // else equal, all-reduces over NVLink and so is faster: the difference is the NIC hop alone.
        var m = ModelCatalog.Resolve("deepseek-r1");
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        var workload = new ServingWorkload(1024, 1024, 1);
        var tp16 = new ServingModel(m, h100, FrameworkCatalog.Resolve("trtllm"), PrecisionSet.NativeFor(m.Transformer)).Aggregated(workload, EngineLayout.TensorParallel(16));
        var oneDomain = new ServingModel(m, h100 with { GpusPerNode = 16 }, FrameworkCatalog.Resolve("trtllm"), PrecisionSet.NativeFor(m.Transformer)).Aggregated(workload, EngineLayout.TensorParallel(16));
        Assert.True(double.IsFinite(tp16.Tpot.Total) && tp16.Tpot.Total > 0);
        Assert.True(oneDomain.Tpot.Total < tp16.Tpot.Total, $"TP16 within one NVLink domain ({oneDomain.Tpot.Total}) must beat TP16 across the NIC ({tp16.Tpot.Total})");

        (exit, _, err) = Cli.Run("serve", "--model", "deepseek-r1", "--gpu", "H100-SXM", "--tp", "16", "--moe-tp", "12");
        Assert.Equal(2, exit);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_small_batch_reads_only_the_experts_it_activates()
    {
        var f = ModelCatalog.Resolve("deepseek-v3").Transformer.FeedForward;
        Assert.Equal(8.0 / 256, RooflineWork.ExpertsHitShare(f, 1), 9);
        Assert.True(RooflineWork.ExpertsHitShare(f, 16) < RooflineWork.ExpertsHitShare(f, 64));
        Assert.True(RooflineWork.ExpertsHitShare(f, 4096) > 0.999);

        // Unequally popular experts: one token still hits about k of E, a batch hits fewer distinct experts than
        // equally popular ones would, and a large enough batch still reaches nearly all of them.
        var spread = RooflineLayout.ExpertLoadSpread;
        Assert.Equal(8.0 / 256, RooflineWork.ExpertsHitShare(f, 1, spread), 0.01 * 8.0 / 256);
        foreach (var tokens in new[] { 8.0, 32, 128 })
        {
            Assert.True(RooflineWork.ExpertsHitShare(f, tokens, spread) < RooflineWork.ExpertsHitShare(f, tokens));
            Assert.True(RooflineWork.ExpertsHitShare(f, tokens, spread) < RooflineWork.ExpertsHitShare(f, 2 * tokens, spread));
        }

        Assert.True(RooflineWork.ExpertsHitShare(f, 1e6, spread) > 0.999);
    }

    [Fact]
    public void The_largest_of_several_normal_draws_is_the_published_order_statistic()
    {
        // Standard normal quantiles as printed in any statistics table.
        Assert.Equal(0, OrderStatistics.NormalQuantile(0.5), 9);
        Assert.Equal(1.959964, OrderStatistics.NormalQuantile(0.975), 6);
        Assert.Equal(-2.326348, OrderStatistics.NormalQuantile(0.01), 6);
        Assert.Equal(3.090232, OrderStatistics.NormalQuantile(0.999), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatistics.NormalQuantile(1));

        // Expected largest of n standard normal draws: 1 / sqrt(pi) for two, and H. L. Harter's 1961 tables.
        Assert.Equal(0, OrderStatistics.ExpectedLargestOfNormals(1));
        Assert.Equal(1 / Math.Sqrt(Math.PI), OrderStatistics.ExpectedLargestOfNormals(2), 0.03);
        Assert.Equal(1.4236, OrderStatistics.ExpectedLargestOfNormals(8), 0.03);
        Assert.Equal(2.5076, OrderStatistics.ExpectedLargestOfNormals(100), 0.03);
        Assert.True(double.IsFinite(OrderStatistics.ExpectedLargestOfNormals(1e18)) && OrderStatistics.ExpectedLargestOfNormals(1e18) > OrderStatistics.ExpectedLargestOfNormals(1e6));
        for (var n = 2; n < 10_000; n += 7)
        {
            Assert.True(OrderStatistics.ExpectedLargestOfNormals(n + 1) > OrderStatistics.ExpectedLargestOfNormals(n), $"{n} draws");
        }
    }

    [Fact]
    public void An_expert_parallel_layer_waits_for_the_rank_that_reads_the_most_experts()
    {
        // At most all of a rank's experts, the mean without expert parallelism or when every expert is reached.
        Assert.Equal(32 * 0.1, RooflineWork.BusiestRankExperts(32, 0.1, 1), 12);
        Assert.Equal(32, RooflineWork.BusiestRankExperts(32, 1, 8));
        foreach (var q in new[] { 0.01, 0.1, 0.5, 0.9, 0.999 })
        {
            var busiest = RooflineWork.BusiestRankExperts(32, q, 8);
            Assert.True(busiest > 32 * q && busiest <= 32, $"share {q}: {busiest}");
            Assert.True(RooflineWork.BusiestRankExperts(32, q, 64) >= busiest);
        }

        // Against the exact expected largest of several binomial counts, E[max] = sum over k of 1 - F(k)^ranks: within 2%
        // where a rank reaches a few experts on average, within 10% (under) where it reaches about one.
        static double ExactLargestCount(int experts, double share, int ranks)
        {
            double cdf = 0, expected = 0;
            for (var k = 0; k < experts; k++)
            {
                cdf += Math.Exp(LogChoose(experts, k) + (k * Math.Log(share)) + ((experts - k) * Math.Log(1 - share)));
                expected += 1 - Math.Pow(Math.Min(cdf, 1), ranks);
            }

            return expected;
        }

        static double LogChoose(int n, int k) => Enumerable.Range(1, k).Sum(i => Math.Log(n - k + i) - Math.Log(i));
        foreach (var (experts, share, ranks, within) in new[] { (32, 0.12, 8, 0.02), (32, 0.5, 8, 0.02), (64, 0.75, 4, 0.02), (32, 0.03, 8, 0.1), (4, 0.2, 64, 0.1) })
        {
            var exact = ExactLargestCount(experts, share, ranks);
            Assert.Equal(1, RooflineWork.BusiestRankExperts(experts, share, ranks) / exact, within);
        }

        // DeepSeek-V3 on eight GPUs at four tokens: whole experts on the busiest of eight ranks against an eighth of every
        // expert reached, on each GPU under MoE TP8. On average both read as many experts' weights (the share of the
        // experts four tokens reach, times 32); the busiest rank reads more. At a batch that reaches every expert, both
        // read 32 experts' worth.
        var t = ModelCatalog.Resolve("deepseek-v3").Transformer;
        var p = PrecisionSet.NativeFor(t);
        double ExpertsRead(EngineLayout e, double tokens) => RooflineWork.Decode(t, e.ToRooflineLayout(t), 8, p, tokens / 8, 2048).MoeFeedForward.Routed.Groups / e.MoeTp;
        var ep8 = new EngineLayout(8, 1, 1, 8);
        var moeTp8 = EngineLayout.TensorParallel(8);
        var reached = RooflineWork.ExpertsHitShare(t.FeedForward, 4, RooflineLayout.ExpertLoadSpread);
        Assert.Equal(32 * reached, ExpertsRead(moeTp8, 4), 0.01);
        Assert.Equal(1, ExpertsRead(ep8, 4) / ExactLargestCount(32, reached, 8), 0.02);
        Assert.True(ExpertsRead(ep8, 4) > 1.5 * ExpertsRead(moeTp8, 4));
        Assert.Equal(32, ExpertsRead(ep8, 8192), 0.01);
        Assert.Equal(32, ExpertsRead(moeTp8, 8192), 0.01);
    }

    [Theory]
    [InlineData("--concurrency", "0")]
    [InlineData("--isl", "-5")]
    [InlineData("--framework", "tgi")]
    [InlineData("--tp", "3")]
    [InlineData("--tp", "1")]
    [InlineData("--prefill-tp", "8")]
    [InlineData("--moe-ep", "3")]
    [InlineData("--chunk", "0")]
    public void Bad_serving_input_gets_one_line_and_exit_code_2(string option, string value)
    {
        var (exit, output, err) = Cli.Run("serve", "--model", "deepseek-v3", "--gpu", "H200", option, value);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith("error:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Expert_options_are_refused_for_a_dense_model()
    {
        var (exit, _, err) = Cli.Run("serve", "--model", "llama-3.1-8b", "--moe-ep", "2");
        Assert.Equal(2, exit);
        Assert.Contains("dense", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Framework_files_refuse_unknown_and_missing_fields()
    {
        var text = File.ReadAllText(Path.Combine(DataDir, "frameworks", "vllm.json"));
        var misspelled = text.Replace("\"chunkTokens\"", "\"chunkTokenz\"", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => FrameworkCatalog.Parse(misspelled, "x.json"));
        Assert.Contains("chunkTokenz", e.Message, StringComparison.Ordinal);
        var badSource = text.Replace("\"sources\": {", "\"sources\": {\"nonsense\": \"x\",", StringComparison.Ordinal);
        Assert.Contains("nonsense", Assert.Throws<InputException>(() => FrameworkCatalog.Parse(badSource, "x.json")).Message, StringComparison.Ordinal);
        var share = text.Replace("\"memoryShare\": 0.9", "\"memoryShare\": 1.5", StringComparison.Ordinal);
        Assert.Contains("memoryShare", Assert.Throws<InputException>(() => FrameworkCatalog.Parse(share, "x.json")).Message, StringComparison.Ordinal);
        var piecewise = text.Replace("\"piecewiseGraphTokens\": 512", "\"piecewiseGraphTokens\": -512", StringComparison.Ordinal);
        Assert.Contains("field 'piecewiseGraphTokens' must be a whole number of at least 0", Assert.Throws<InputException>(() => FrameworkCatalog.Parse(piecewise, "x.json")).Message, StringComparison.Ordinal);
        Assert.Throws<InputException>(() => FrameworkCatalog.Parse("{", "x.json"));

        var path = Path.Combine(Path.GetTempPath(), $"fw-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, misspelled);
        try
        {
            var (exit, _, err) = Cli.Run("serve", "--framework", path);
            Assert.Equal(2, exit);
            Assert.Contains("chunkTokenz", err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Every_framework_figure_names_its_source()
    {
        foreach (var f in FrameworkCatalog.BuiltIn)
        {
            foreach (var field in (string[])["stepOverheadUs", "requestOverheadMs", "chunkTokens", "chunkedPrefill", "budgetIncludesDecode", "mixesPrefill", "maxRunningRequests", "cudaGraphMaxBatch", "eagerLaunchUs", "memoryShare", "reserveGB", "kvTransferOverheadMs"])
            {
                Assert.True(f.Sources.ContainsKey(field), $"{f.Name}: {field} has no source");
            }
        }
    }

    [Fact]
    public void The_shipped_framework_constants_are_what_the_calibration_finds()
    {
        foreach (var c in Outcome.Value.Calibration.Constants)
        {
            var f = FrameworkCatalog.Resolve(c.Framework);
            Assert.Equal(c.StepOverheadUs, f.StepOverheadUs);
            Assert.Equal(c.RequestOverheadMs, f.RequestOverheadMs);
            Assert.Equal(c.RequestOverheadWithPostprocessWorkersMs, f.RequestOverheadWithPostprocessWorkersMs);
            Assert.Equal(c.HostUsPerRequest, f.HostUsPerRequest);
            Assert.Equal(c.PrefillStepFactor, f.PrefillStepFactor);
            Assert.Equal(ServingFramework.CalibratedPrefillStepFactor, c.PrefillStepFactor);
            Assert.Equal(Hardware.GpuLatency.CalibratedAllReduceDoublingUs, c.AllReduceDoublingUs);
            Assert.Equal(c.AllReduceDoublingUs, Hardware.GpuCatalog.Resolve("H200").Latency.AllReduceDoublingUs);
        }
    }

    [Fact]
    public void The_shipped_error_bands_are_what_the_held_out_validation_finds_and_each_spans_80_percent_of_its_rows()
    {
        var computed = ServingValidationReport.ErrorBands(Outcome.Value);
        Assert.True(computed.SequenceEqual(ErrorBand.Bundled),
            $"{ErrorBand.FileName} differs from validate --serving; its bands are now:{Environment.NewLine}"
            + string.Join("," + Environment.NewLine, computed.Select(Line)));

        // One band as the file writes it, on one line.
        static string Line(ErrorBand b)
        {
            using var stream = new MemoryStream();
            using (var j = new Utf8JsonWriter(stream))
            {
                b.WriteTo(j);
            }

            return "    " + System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }
        Assert.Contains(computed, b => b.Framework == "vllm" && b.Mode == ServingMode.Aggregated && b.Tp is null);
        Assert.Contains(computed, b => b.Framework == "vllm" && b.Mode == ServingMode.Aggregated && b.Tp == 8);

        // Each band, applied to its own held-out rows (its framework and mode, and its decode TP where it has one), holds
        // 80% of their measurements: a tenth beyond each end, up to the rounding of the ratios to 0.01 and, for a band
        // of few rows, the rows on the percentiles' either side.
        var held = Outcome.Value.Calibration.ByGpu.SelectMany(f => f.Predictions).Where(p => p.Predicted).ToList();
        foreach (var b in computed)
        {
            var rows = held.Where(p => p.Case!.Framework.Name == b.Framework && p.Case.Mode == b.Mode && (b.Tp is null || ErrorBand.TpBucket(p.Case.DecodeShape.Tp) == b.Tp)).ToList();
            Assert.Equal(b.Rows, rows.Count);
            Assert.True(b.Tp is null || rows.Count >= ErrorBand.MinRowsPerTp);
            var slack = 3.0 / rows.Count;
            var within = rows.Count(p => p.MeasuredTpotMs >= p.PredictedTpotMs * (b.TpotLow - 0.005) && p.MeasuredTpotMs <= p.PredictedTpotMs * (b.TpotHigh + 0.005));
            Assert.InRange((double)within / rows.Count, 0.78 - slack, 0.83 + slack);
            var ttftWithin = rows.Count(p => p.MeasuredTtftMs >= p.PredictedTtftMs * (b.TtftLow - 0.005) && p.MeasuredTtftMs <= p.PredictedTtftMs * (b.TtftHigh + 0.005));
            Assert.InRange((double)ttftWithin / rows.Count, 0.78 - slack, 0.83 + slack);
        }

        // A TP without a band of its own takes its framework and mode's; a framework and mode without rows have none.
        Assert.Equal(8, ErrorBand.For("trtllm", ServingMode.Aggregated, 16)!.Tp);
        Assert.Equal(2, ErrorBand.For("trtllm", ServingMode.Aggregated, 3)!.Tp);
        Assert.Null(ErrorBand.For("trtllm", ServingMode.Disaggregated, 4)!.Tp);
        Assert.Null(ErrorBand.For("vllm", ServingMode.Disaggregated, 8));
    }

    [Fact]
    public void Serve_puts_the_held_out_band_around_its_prediction_and_says_where_there_is_none()
    {
        var (exit, output, err) = Cli.Run("serve", "--model", "llama-3.1-70b", "--gpu", "H200", "--framework", "vllm", "--tp", "4", "--concurrency", "32", "--format", "json");
        Assert.True(exit == 0, err);
        var summary = JsonDocument.Parse(output).RootElement.GetProperty("tables")[0];
        var rows = summary.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("figure").GetString()!, r => r.GetProperty("value"));
        var band = ErrorBand.For("vllm", ServingMode.Aggregated, 4)!;
        Assert.Equal(4, band.Tp);
        Assert.Equal(rows["TPOT (ms)"].GetDouble() * band.TpotLow, rows["TPOT band, low (ms)"].GetDouble(), 6);
        Assert.Equal(rows["TPOT (ms)"].GetDouble() * band.TpotHigh, rows["TPOT band, high (ms)"].GetDouble(), 6);
        Assert.Equal(rows["TTFT (ms)"].GetDouble() * band.TtftHigh, rows["TTFT band, high (ms)"].GetDouble(), 6);
        Assert.Contains(summary.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("Band: 80% of the", StringComparison.Ordinal));

        // No vLLM disaggregated run is bundled: no band rows, and a note that says so.
        var (exit2, output2, err2) = Cli.Run("serve", "--framework", "vllm", "--mode", "disagg", "--format", "json");
        Assert.True(exit2 == 0, err2);
        var summary2 = JsonDocument.Parse(output2).RootElement.GetProperty("tables")[0];
        Assert.DoesNotContain(summary2.GetProperty("rows").EnumerateArray(), r => r.GetProperty("figure").GetString()!.Contains("band", StringComparison.Ordinal));
        Assert.Contains(summary2.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("No band:", StringComparison.Ordinal));
    }

    // The issue's bounds on the bundled rows (coverage 95%, TPOT 15%, TPOT with each GPU held out 20%, TTFT 25%), and
    // guards against regression at the accuracy measured (README) for the held-out figures.
    [Fact]
    public void Serving_accuracy_on_the_bundled_rows_does_not_regress()
    {
        var o = Outcome.Value;
        Assert.True(o.Coverage >= 0.95, $"coverage {o.Coverage:P1}");
        Assert.True(o.Tpot.MedianAbs <= 15, $"TPOT median {o.Tpot.MedianAbs:F1}% (the issue's bound)");
        Assert.True(o.Ttft.MedianAbs <= 25, $"TTFT median {o.Ttft.MedianAbs:F1}% (the issue's bound; 24.9% when it was first met)");
        Assert.True(o.TtftGpuHeldOut.MedianAbs <= 29.5 && o.TtftModelHeldOut.MedianAbs <= 29.5, $"TTFT held out: GPU {o.TtftGpuHeldOut.MedianAbs:F1}%, model {o.TtftModelHeldOut.MedianAbs:F1}% (28.2 and 27.5% when this guard was last moved)");
        Assert.True(o.TpotGpuHeldOut.MedianAbs <= 20, $"TPOT, GPU held out {o.TpotGpuHeldOut.MedianAbs:F1}% (the issue's bound)");
        Assert.True(o.TpotGpuHeldOut.MedianAbs <= 15, $"TPOT, GPU held out {o.TpotGpuHeldOut.MedianAbs:F1}% (14.3% when this guard was last moved)");
        Assert.True(o.TpotModelHeldOut.MedianAbs <= 15, $"TPOT, model held out {o.TpotModelHeldOut.MedianAbs:F1}% (14.0% when this guard was last moved)");
        Assert.True(o.Ranking.Count(r => r.Spearman >= 0.8) >= 0.8 * o.Ranking.Count, "most groups order their layouts as measured");
    }

    [Fact]
    public void Serve_names_where_each_all_reduce_start_up_it_prices_comes_from()
    {
        var (exit, output, err) = Cli.Run("serve", "--model", "llama-3.1-70b", "--gpu", "H200", "--tp", "8", "--table", "decode-step");
        Assert.True(exit == 0, err);
        Assert.Contains("6 us between two GPUs (NCCL issue #1259)", output, StringComparison.Ordinal);

        // A GPU file that gives its own figure is named as the source of it, not the published default's.
        var path = Path.Combine(Path.GetTempPath(), $"gpu-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {"name": "X", "sms": 132, "fp16Tflops": 989.5, "fp8Tflops": 1979, "memoryGB": 141, "memoryBandwidthGBps": 4800,
             "scaleUpBandwidthGBps": 450, "scaleOutBandwidthGBps": 50, "gpusPerNode": 8, "latencyUs": {"allReduce": 4}}
            """);
        try
        {
            var (exit2, own, err2) = Cli.Run("serve", "--model", "llama-3.1-70b", "--gpu", path, "--tp", "8", "--table", "decode-step");
            Assert.True(exit2 == 0, err2);
            Assert.Contains("4 us between two GPUs (the GPU file)", own, StringComparison.Ordinal);
            Assert.Contains("(calibrated, see validate --serving)", own, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Serve_takes_the_request_overhead_of_runs_with_postprocess_workers_where_the_framework_has_one()
    {
        var trtllm = FrameworkCatalog.Resolve("trtllm");
        var args = (string[])["serve", "--model", "llama-3.1-70b", "--gpu", "H200", "--framework", "trtllm", "--tp", "8", "--weights", "fp8", "--concurrency", "4", "--format", "json", "--table", "ttft"];
        var (exit, plain, err) = Cli.Run(args);
        Assert.True(exit == 0, err);
        var (exit2, withWorkers, err2) = Cli.Run([.. args, "--postprocess-workers", "2"]);
        Assert.True(exit2 == 0, err2);
        static double RequestOverhead(string json) => JsonDocument.Parse(json).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray()
            .First(r => r.GetProperty("part").GetString()!.StartsWith("request overhead", StringComparison.Ordinal)).GetProperty("ms").GetDouble();
        Assert.Equal(trtllm.RequestOverheadMs, RequestOverhead(plain), 6);
        Assert.Equal(trtllm.RequestOverheadWithPostprocessWorkersMs!.Value, RequestOverhead(withWorkers), 6);

        // SGLang has no such figure: a clear error, not a silent default; plan alike.
        var (exit3, _, err3) = Cli.Run("serve", "--framework", "sglang", "--postprocess-workers", "2");
        Assert.Equal(2, exit3);
        Assert.Contains("--postprocess-workers", err3, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Run("plan", "--model", "llama-3.1-70b", "--gpu", "H200", "--framework", "vllm", "--postprocess-workers", "2").Exit);

        // A plan under TensorRT-LLM with the workers launches trtllm-serve with them.
        var (exit4, plan, err4) = Cli.Run("plan", "--model", "llama-3.1-70b", "--gpu", "H200", "--framework", "trtllm", "--mode", "agg", "--postprocess-workers", "2", "--table", "commands");
        Assert.True(exit4 == 0, err4);
        Assert.Contains("--num_postprocess_workers 2", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void An_aggregated_row_carries_the_step_budget_its_benchmark_script_set()
    {
        // InferenceX benchmarks/dsr1_fp8_b200_trt_slurm.sh: MAX_NUM_TOKENS=$(( ($CONC+$ISL+64+63)/64*64 )); at
        // concurrency 64 and ISL 1024 that is 1,152: the running requests' tokens and one prompt. gptoss_fp4_*_trt
        // scripts: --max_num_tokens 20000. Where no script sets one (vLLM here), the framework's budget stands.
        var bundled = ServingMeasurement.Bundled;
        var deepseek = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["model_path"].Contains("DeepSeek-R1", StringComparison.Ordinal)
            && r["isl"] == "1024" && r.Concurrency == 64);
        var model = ModelCatalog.Resolve("deepseek-r1");
        var trtllm = FrameworkCatalog.Resolve("trtllm");
        Assert.Equal(1152, ServingRecipes.MaxNumTokens(deepseek, model, "B200", trtllm, 64, drafts: 0));
        // dsr1_fp4_b200_trt_mtp_slurm.sh: MAX_NUM_TOKENS=$(( ((MTP+1)*MAX_BATCH_SIZE+MAX_ISL+64+63)/64*64 )), MAX_BATCH_SIZE the
        // concurrency without attention DP, MAX_ISL = ISL x 1.8 (random range ratio 0.8): 4 x 64 + 1843 + 127 -> 2176.
        Assert.Equal(2176, ServingRecipes.MaxNumTokens(deepseek, model, "B200", trtllm, 64, drafts: 3));
        Assert.Null(ServingRecipes.MaxNumTokens(deepseek, model, "B200", FrameworkCatalog.Resolve("vllm"), 64, drafts: 0));

        var (c, _) = ServingCase.Read(deepseek, FrameworkCatalog.Find);
        Assert.NotNull(c);
        Assert.All(c.Alternatives.Count > 0 ? c.Alternatives : [c], a => Assert.Equal(ServingRecipes.MaxNumTokens(deepseek, model, "B200", trtllm, 64, a.MtpDrafts), a.ChunkTokens));

        // SGLang's DeepSeek scripts: --chunked-prefill-size 32768 (FP8) or 16384 (FP4), and on B200 an FP8 KV cache
        // (--kv-cache-dtype fp8_e4m3) that DeepSeek's own block-FP8 checkpoint would not choose.
        var sglang = FrameworkCatalog.Resolve("sglang");
        var sglangRow = bundled.First(r => r["mode"] == "agg" && r["backend"] == "sglang" && r["system"] == "b200_sxm" && r["precision"] == "fp8" && r["model_path"].Contains("DeepSeek-R1", StringComparison.Ordinal));
        Assert.Equal(32768, ServingRecipes.MaxNumTokens(sglangRow, model, "B200", sglang, sglangRow.Concurrency ?? 1, drafts: 0));
        Assert.Equal(Units.Precision.Fp8, ServingRecipes.KvCache(sglangRow, model, "B200", sglang));
        var (sc, _) = ServingCase.Read(sglangRow, FrameworkCatalog.Find);
        Assert.Equal(Units.Precision.Fp8, sc!.Precisions.KvCache);
        var sglangFp4 = bundled.First(r => r["mode"] == "agg" && r["backend"] == "sglang" && r["system"] == "b200_sxm" && r["precision"] == "fp4");
        Assert.Equal(16384, ServingRecipes.MaxNumTokens(sglangFp4, model, "B200", sglang, sglangFp4.Concurrency ?? 1, drafts: 0));

        // The Llama-3.1-70B and gpt-oss scripts run trtllm-serve with postprocess workers (2 and 4), DeepSeek-R1's without;
        // aiconfigurator's own sweeps (Llama-3.1-8B) ran other servers, so no script setting applies to them.
        var llama = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["model_path"].Contains("Llama-3.1-70B", StringComparison.Ordinal));
        Assert.Equal(2, ServingCase.Read(llama, FrameworkCatalog.Find).Case!.PostprocessWorkers);
        Assert.Equal(0, c.PostprocessWorkers);
        var llama8 = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["model_path"].Contains("Llama-3.1-8B", StringComparison.Ordinal));
        Assert.Equal(0, ServingCase.Read(llama8, FrameworkCatalog.Find).Case!.PostprocessWorkers);

        var gptOss = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["model_path"].Contains("gpt-oss", StringComparison.Ordinal) && r["system"] == "b200_sxm");
        Assert.Equal(20000, ServingRecipes.MaxNumTokens(gptOss, ModelCatalog.Resolve("gpt-oss-120b"), "B200", trtllm, gptOss.Concurrency ?? 1, drafts: 0));

        // CUDA graphs: gptoss_fp4_*_trt_slurm.sh capture up to the run's concurrency (max_batch_size: $CONC), the Llama
        // scripts 1,024, dsr1_fp4_b200_trt_slurm.sh 512, where trtllm-serve alone stops at 128; aiconfigurator's sweeps keep it.
        Assert.Equal(128, trtllm.CudaGraphMaxBatch);
        Assert.Equal(gptOss.Concurrency, ServingCase.Read(gptOss, FrameworkCatalog.Find).Case!.Framework.CudaGraphMaxBatch);
        Assert.Equal(1024, ServingCase.Read(llama, FrameworkCatalog.Find).Case!.Framework.CudaGraphMaxBatch);
        Assert.Equal(128, ServingCase.Read(llama8, FrameworkCatalog.Find).Case!.Framework.CudaGraphMaxBatch);
        var fp4 = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4" && r["model_path"].Contains("DeepSeek-R1", StringComparison.Ordinal));
        Assert.Equal(512, ServingCase.Read(fp4, FrameworkCatalog.Find).Case!.Framework.CudaGraphMaxBatch);

        // Programmatic dependent launch: the gpt-oss scripts export TRTLLM_ENABLE_PDL=1, the Llama and DeepSeek-R1 ones do not.
        Assert.True(ServingCase.Read(gptOss, FrameworkCatalog.Find).Case!.Framework.ProgrammaticDependentLaunch);
        Assert.False(ServingCase.Read(llama, FrameworkCatalog.Find).Case!.Framework.ProgrammaticDependentLaunch);
        Assert.False(ServingCase.Read(fp4, FrameworkCatalog.Find).Case!.Framework.ProgrammaticDependentLaunch);
        var withPdl = ServingCase.Read(gptOss, FrameworkCatalog.Find).Case!;
        var both = ServingValidator.Predict([withPdl, withPdl with { Framework = withPdl.Framework with { ProgrammaticDependentLaunch = false } }], f => f);
        Assert.True(both[0].PredictedTpotMs < both[1].PredictedTpotMs, $"{both[0].PredictedTpotMs} against {both[1].PredictedTpotMs} ms");

        // vLLM's piecewise CUDA graphs for steps that carry prompts: its default capture (min(2 x max_num_seqs, 512)
        // tokens), none under the B200 Llama scripts' FULL_DECODE_ONLY, 2,048 where the gpt-oss scripts name it, and
        // min(2 x concurrency, 512) where the H100 and H200 Llama scripts set --max-num-seqs to the concurrency.
        var vllm = FrameworkCatalog.Resolve("vllm");
        Assert.Equal(512, vllm.PiecewiseGraphTokens);
        Assert.Equal(0, trtllm.PiecewiseGraphTokens);
        var vllmRow = (string gpu, string model) => bundled.First(r => r["mode"] == "agg" && r["backend"] == "vllm" && r["system"] == gpu && r["model_path"].Contains(model, StringComparison.Ordinal) && r.Concurrency is not null);
        Assert.Equal(0, ServingCase.Read(vllmRow("b200_sxm", "Llama-3.1-70B"), FrameworkCatalog.Find).Case!.Framework.PiecewiseGraphTokens);
        Assert.Equal(2048, ServingCase.Read(vllmRow("b200_sxm", "gpt-oss"), FrameworkCatalog.Find).Case!.Framework.PiecewiseGraphTokens);
        var h200Llama = vllmRow("h200_sxm", "Llama-3.1-70B");
        Assert.Equal(Math.Min(2 * h200Llama.Concurrency!.Value, 512), ServingCase.Read(h200Llama, FrameworkCatalog.Find).Case!.Framework.PiecewiseGraphTokens);

        // KV cache: the H200 gpt-oss scripts leave its format to the framework ("auto": BF16 for OpenAI's checkpoint),
        // where the B200 ones set FP8.
        var gptOssH200 = bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["model_path"].Contains("gpt-oss", StringComparison.Ordinal) && r["system"] == "h200_sxm" && r.Concurrency is not null);
        Assert.Equal(Units.Precision.Bf16, ServingCase.Read(gptOssH200, FrameworkCatalog.Find).Case!.Precisions.KvCache);
        Assert.Equal(Units.Precision.Fp8, ServingCase.Read(gptOss, FrameworkCatalog.Find).Case!.Precisions.KvCache);
    }

    [Fact]
    public void A_disaggregated_row_without_worker_counts_is_read_by_the_recipe_that_ran_at_its_concurrency()
    {
        // InferenceX nvidia-master.yaml, dsr1-fp4-b200-dynamo-trt at 1k/1k: concurrency 10860 ran only
        // ctx3_gen5_dep4_batch512_eplb0_mtp1: 3 prefill workers of DEP4, 5 decode workers of DEP4 running 512 requests per
        // rank (its srt-slurm file's decode max_batch_size), one MTP draft.
        var bundled = ServingMeasurement.Bundled;
        var row = bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 10860 && r["decode_num_workers"].Length == 0);
        var (c, reason) = ServingCase.Read(row, FrameworkCatalog.Find);
        Assert.True(c is not null, reason);
        Assert.Contains(ServingCase.RecipeWorkers, c.Assumptions);
        Assert.Empty(c.Alternatives);
        var d = c.Disaggregated!;
        Assert.Equal((3, 5), (d.PrefillWorkers, d.DecodeWorkers));
        Assert.Equal(new EngineLayout(1, 4, 1, 4) { MaxBatch = 8 }, d.Prefill); // its file: prefill max_batch_size 8, max_num_tokens 10240
        Assert.Equal(10240, c.ChunkTokens);
        Assert.Equal(new EngineLayout(1, 4, 1, 4) { MaxBatch = 512 }, d.Decode);
        Assert.Equal(1, c.MtpDrafts);

        // At 1k/1k concurrency 10 ran twice, with and without MTP (ctx1_gen5_tep8_batch32, mtp3 and mtp0): both readings
        // are priced, and the row reports their geometric mean.
        var twice = bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 10 && r["decode_num_workers"].Length == 0);
        var (both, _) = ServingCase.Read(twice, FrameworkCatalog.Find);
        Assert.NotNull(both);
        Assert.Contains(ServingCase.SeveralRecipes, both.Assumptions);
        var readings = new[] { both }.Concat(both.Alternatives).ToList();
        Assert.Equal([0, 3], readings.Select(x => x.MtpDrafts).Order());
        Assert.All(readings, x => Assert.Equal((1, 5, new EngineLayout(8, 1, 1, 8)), (x.Disaggregated!.PrefillWorkers, x.Disaggregated.DecodeWorkers, x.Disaggregated.Decode with { MaxBatch = null })));
        Assert.All(readings, x => Assert.Equal(32, x.Disaggregated!.Decode.MaxBatch));
        var each = ServingValidator.Predict([both with { Alternatives = [] }, both.Alternatives[0]], f => f).Select(p => p.PredictedTpotMs!.Value).ToList();

        // srt-slurm's recipes/b200-fp8/1k1k/mtp/max-tpt-dep8-1p2d.yaml drafts one token (speculative-num-steps 1), the
        // run's other SGLang MTP recipes two.
        var oneStep = bundled.First(r => r["mode"] == "disagg" && r["backend"] == "sglang" && r["system"] == "b200_sxm" && r["precision"] == "fp8"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 512 && r["decode_num_workers"].Length == 0);
        var (s, _) = ServingCase.Read(oneStep, FrameworkCatalog.Find);
        var drafts = new[] { s! }.Concat(s!.Alternatives).Select(x => x.MtpDrafts).ToList();
        Assert.Contains(1, drafts);
        var mean = ServingValidator.Predict([both], f => f)[0].PredictedTpotMs!.Value;
        Assert.Equal(Math.Sqrt(each[0] * each[1]), mean, 9);
    }

    [Fact]
    public void A_disaggregated_row_that_states_its_deployment_takes_what_it_leaves_out_from_the_recipe_that_ran_it()
    {
        // InferenceX nvidia-master.yaml, dsr1-fp4-b200-dynamo-trt at 1k/1k: concurrency 180 ran 1 prefill worker of DEP4
        // and 5 decode workers of TEP8 (ctx1_gen5_tep8_batch32, with and without MTP), each decode rank running at most 32
        // requests (its srt-slurm file). The row names the workers and engines (as DeepSeek-V3, the run's id dsr1_) but not
        // the cap: 160 slots for 180 clients, so 20 wait, and the measured TTFT is 1.4 s against 0.3 s at concurrency 90.
        var bundled = ServingMeasurement.Bundled;
        var row = bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 180 && r["decode_num_workers"] == "5");
        var (c, reason) = ServingCase.Read(row, FrameworkCatalog.Find);
        Assert.True(c is not null, reason);
        Assert.Equal("deepseek-v3", c.Model.Name);
        Assert.Contains(ServingCase.RecipeSettings, c.Assumptions);
        var readings = new[] { c }.Concat(c.Alternatives).ToList();
        Assert.Equal([0, 3], readings.Select(x => x.MtpDrafts).Order());
        Assert.All(readings, x => Assert.Equal((1, 5, 32, 10240), (x.Disaggregated!.PrefillWorkers, x.Disaggregated.DecodeWorkers, x.Disaggregated.Decode.MaxBatch, x.ChunkTokens)));
        var one = c with { Alternatives = [] };
        var capped = ServingValidator.Predict([one], f => f)[0].PredictedTtftMs!.Value;
        var uncapped = ServingValidator.Predict([one with { Disaggregated = one.Disaggregated! with { Decode = one.Disaggregated.Decode with { MaxBatch = null } } }], f => f)[0].PredictedTtftMs!.Value;
        Assert.True(capped > 1.5 * uncapped, $"the clients beyond the recipe's 160 decode slots wait for one: {capped:0} ms capped, {uncapped:0} ms not");

        // A stated deployment no recipe ran at that concurrency keeps the framework's settings.
        var other = bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["decode_num_workers"].Length > 0
            && ServingCase.Read(r, FrameworkCatalog.Find).Case is { } x && !x.Assumptions.Contains(ServingCase.RecipeSettings));
        Assert.Null(ServingCase.Read(other, FrameworkCatalog.Find).Case!.Disaggregated!.Decode.MaxBatch);
    }

    [Fact]
    public void A_row_the_benchmark_ran_with_multi_token_prediction_is_read_so()
    {
        // InferenceX nvidia-master.yaml: dsr1-fp4-b200-trt runs tensorrt-llm release:1.2.0rc6.post2 without speculative
        // decoding, dsr1-fp4-b200-trt-mtp runs rc6.post3 with MTP, at TP8 without DP attention 3 drafts
        // (benchmarks/dsr1_fp4_b200_trt_mtp.sh: num_nextn_predict_layers 3).
        bool Tp8At4(ServingMeasurement r) => r["mode"] == "agg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4"
            && r["isl"] == "1024" && r["osl"] == "1024" && r["tp_size"] == "8" && r.Whole("attention_dp_size") is null or 1 && r.Concurrency == 4;
        var mtp = ServingMeasurement.Bundled.First(r => Tp8At4(r) && r["silicon_data_source"].Contains("rc6.post3", StringComparison.Ordinal));
        var plain = ServingMeasurement.Bundled.First(r => Tp8At4(r) && r["silicon_data_source"].Contains("rc6.post2", StringComparison.Ordinal));
        var (withMtp, _) = ServingCase.Read(mtp, FrameworkCatalog.Find);
        var (without, _) = ServingCase.Read(plain, FrameworkCatalog.Find);
        Assert.Equal(3, withMtp!.MtpDrafts);
        Assert.Contains(ServingCase.RecipeMtp, withMtp.Assumptions);
        Assert.Equal(0, without!.MtpDrafts);
        Assert.Empty(without.Alternatives);

        // The H200 Dynamo run reports the whole deployment's concurrency where its recipe lists it per decode worker:
        // 1152 is c128_ctx1_gen9_dep8_batch512_eplb0_mtp0's 128 x 9 decode workers.
        var whole = ServingMeasurement.Bundled.First(r => r["mode"] == "disagg" && r["backend"] == "trtllm" && r["system"] == "h200_sxm" && r["isl"] == "1024" && r.Concurrency == 1152);
        var (c, _) = ServingCase.Read(whole, FrameworkCatalog.Find);
        Assert.Equal((1, 9, new EngineLayout(1, 8, 1, 8), 0), (c!.Disaggregated!.PrefillWorkers, c.Disaggregated.DecodeWorkers, c.Disaggregated.Decode, c.MtpDrafts));
    }

    [Fact]
    public void A_recipe_reads_only_rows_measured_after_it_existed()
    {
        // InferenceX added dsr1-fp8-h200-trt-mtp (TP8 EP8 with MTP, concurrency 4 to 64) in its pull request #392, not
        // yet in its perf-changelog.yaml when #395 was opened on 2026-01-07; dsr1-fp8-h200-trt runs the same engine
        // without MTP on the same image. A row of that engine measured 2025-12-15 can only be the plain run. On 2026-01-14
        // the benchmark swept only the runs #392's changelog entry names (sweeps run the keys of the entry merged), so a
        // row of that day is the MTP run.
        bool Tp8Ep8At4(ServingMeasurement r) => r["mode"] == "agg" && r["backend"] == "trtllm" && r["system"] == "h200_sxm"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 4;
        var december = ServingMeasurement.Bundled.First(r => Tp8Ep8At4(r) && r["silicon_data_source"].Contains("measured=2025-12-15", StringComparison.Ordinal));
        var january = ServingMeasurement.Bundled.First(r => Tp8Ep8At4(r) && r["silicon_data_source"].Contains("measured=2026-01-14", StringComparison.Ordinal));
        var (before, _) = ServingCase.Read(december, FrameworkCatalog.Find);
        var (after, _) = ServingCase.Read(january, FrameworkCatalog.Find);
        Assert.Equal(new EngineLayout(8, 1, 1, 8), before!.Engine);
        Assert.Equal(before.Engine, after!.Engine);
        Assert.Equal(0, before.MtpDrafts);
        Assert.Empty(before.Alternatives);
        Assert.Equal(3, after.MtpDrafts);
        Assert.Empty(after.Alternatives);
        Assert.Equal(new DateOnly(2025, 12, 15), BenchmarkRecipes.MeasuredOn(december["silicon_data_source"]));

        // That day's B200 rows ran on release:1.1.0rc2.post2, the image the MTP runs had before pull requests #632 and
        // #642 moved them to rc6.post3: they are read by the earlier version of the run, with its drafts (TP4 EP4: 3).
        var b200 = ServingMeasurement.Bundled.First(r => r["mode"] == "agg" && r["backend"] == "trtllm" && r["system"] == "b200_sxm" && r["precision"] == "fp4"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 16 && r["tp_size"] == "4" && r["moe_ep_size"] == "4"
            && r["silicon_data_source"].Contains("measured=2026-01-14", StringComparison.Ordinal));
        var read = ServingCase.Read(b200, FrameworkCatalog.Find).Case!;
        Assert.Equal(3, read.MtpDrafts);
        Assert.Empty(read.Alternatives);

        // dsr1-fp8-b200-dynamo-sglang-mtp came with pull request #667, opened 2026-02-09, on the image of the run without
        // MTP: a disaggregated SGLang row measured on 2026-02-07 is read without drafts, one measured in March as either.
        bool SglangB200At4(ServingMeasurement r) => r["mode"] == "disagg" && r["backend"] == "sglang" && r["system"] == "b200_sxm" && r["precision"] == "fp8"
            && r["isl"] == "1024" && r["osl"] == "1024" && r.Concurrency == 4;
        var february = ServingCase.Read(ServingMeasurement.Bundled.First(r => SglangB200At4(r) && r["silicon_data_source"].Contains("measured=2026-02-07", StringComparison.Ordinal)), FrameworkCatalog.Find).Case!;
        var march = ServingCase.Read(ServingMeasurement.Bundled.First(r => SglangB200At4(r) && r["silicon_data_source"].Contains("measured=2026-03-18", StringComparison.Ordinal)), FrameworkCatalog.Find).Case!;
        Assert.All(new[] { february }.Concat(february.Alternatives), x => Assert.Equal(0, x.MtpDrafts));
        Assert.Contains(new[] { march }.Concat(march.Alternatives), x => x.MtpDrafts > 0);
        Assert.Null(BenchmarkRecipes.MeasuredOn("source_file=x.csv; image=i"));
    }

    [Fact]
    public void The_published_serving_points_outside_the_bundled_file_are_all_read_and_predicted_and_take_no_part_in_the_calibration()
    {
        // TensorRT-LLM issue #5929's DeepSeek-R1 runs on 8 x H200 and 8 x B200, in the bundled file's columns: every
        // row is read as a known deployment and predicted, none is a bundled row, and none is embedded (the bundled
        // calibration, error bands and planner check read the bundled file alone).
        var path = Path.Combine(DataDir, "measurements", "published-serving", "trtllm-issue-5929.csv");
        var (exit, output, err) = Cli.Run("validate", "--serving", path, "--format", "json");
        Assert.True(exit == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(15, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.True(r.GetProperty("predictedTpotMs").GetDouble() > 0, r.GetProperty("id").GetString());
            Assert.True(r.GetProperty("deploymentKnown").GetBoolean());
            Assert.StartsWith("deepseek-r1 / ", r.GetProperty("group").GetString(), StringComparison.Ordinal);
        });
        var ids = rows.Select(r => r.GetProperty("id").GetString()).ToHashSet();
        Assert.DoesNotContain(ServingMeasurement.Bundled, m => ids.Contains(m["id"]));
        Assert.All(File.ReadAllLines(path).Skip(1), line => Assert.Contains("TensorRT-LLM issue #5929", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_serving_scores_a_csv_row_by_row_with_reasons()
    {
        var header = string.Join(',', ServingMeasurement.RequiredColumns);
        var bundled = File.ReadAllLines(Path.Combine(DataDir, "measurements", "serving", "silicon-sample.csv"));
        var columns = bundled[0].Split(',');
        var good = bundled[1];
        var unknown = good.Replace("deepseek-ai/DeepSeek-V3", "acme/NotAModel", StringComparison.Ordinal).Replace(good.Split(',')[0], "row-unknown", StringComparison.Ordinal);
        var path = Path.Combine(Path.GetTempPath(), $"serving-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, [bundled[0], good, unknown]);
        try
        {
            var (exit, output, err) = Cli.Run("validate", "--serving", path, "--format", "json");
            Assert.True(exit == 0, err);
            var rows = JsonDocument.Parse(output).RootElement.GetProperty("rows");
            Assert.Equal(2, rows.GetArrayLength());
            Assert.True(rows[0].GetProperty("predictedTpotMs").GetDouble() > 0);

            // A predicted row names its planner group and deployment, and its output tokens/s per GPU follow from its
            // latencies: concurrency x OSL over the request's time (TTFT and OSL - 1 TPOTs), over the engine's GPUs, with
            // the OSL the client's mean: lengths drawn in [0.8, 1] x the nominal (InferenceMAX's --random-range-ratio 0.8).
            string Cell(string column) => good.Split(',')[Array.IndexOf(columns, column)];
            double Number(string column) => double.Parse(Cell(column), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("agg", Cell("mode"));
            var row = rows[0];
            Assert.Equal(Number("batch_size"), row.GetProperty("concurrency").GetDouble());
            Assert.StartsWith($"deepseek-v3 / H200 / {Cell("isl")}x{Cell("osl")} / agg", row.GetProperty("group").GetString(), StringComparison.Ordinal);
            Assert.StartsWith($"{Cell("backend")}, ", row.GetProperty("deployment").GetString(), StringComparison.Ordinal);
            var osl = 0.9 * Number("osl");
            double Throughput(double ttft, double tpot) => Number("batch_size") * osl / ((ttft + ((osl - 1) * tpot)) / 1000) / Number("tp_size");
            Assert.Equal(1, row.GetProperty("measuredOutputTokensPerGpuS").GetDouble() / Throughput(Number("silicon_ttft_ms"), Number("silicon_tpot_ms")), 3);
            Assert.Equal(1, row.GetProperty("predictedOutputTokensPerGpuS").GetDouble() / Throughput(row.GetProperty("predictedTtftMs").GetDouble(), row.GetProperty("predictedTpotMs").GetDouble()), 3);
            Assert.False(rows[1].TryGetProperty("group", out _));
            Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("predictedTtftMs").ValueKind);
            Assert.Contains("not built in", rows[1].GetProperty("reason").GetString()!, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Contains("id", columns);
        File.WriteAllText(path, "id,isl\n1,2\n");
        try
        {
            var (exit, _, err) = Cli.Run("validate", "--serving", path);
            Assert.Equal(2, exit);
            Assert.Contains("missing column", err, StringComparison.Ordinal);
            Assert.Equal(2, Cli.Run("validate", "--serving", Path.GetTempPath()).Exit);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.NotEmpty(header);
    }

    [Fact]
    public void A_run_restated_under_a_second_id_is_scored_once_and_a_different_measurement_is_not_a_restatement()
    {
        // One row of the bundled file, restated under another id and source file (as the dataset carries some runs), is
        // not scored a second time; the same deployment and concurrency measured differently is a run of its own.
        var row = ServingMeasurement.Bundled.First(r => r.Id == "2026_04_06_gpt_oss_120b_h200_sxm_vllm_fp4_agg_8192x1024_c32_tp2_ep1_345");
        Dictionary<string, string> With(string id, string tpot) => new(row.Fields) { ["id"] = id, ["silicon_data_source"] = row["silicon_data_source"].Replace("2026-04-06.csv", "2026-03-25.csv", StringComparison.Ordinal), ["silicon_tpot_ms"] = tpot };
        var copy = new ServingMeasurement("copy", With("copy", "15.740794876101821"));
        var other = new ServingMeasurement("other", With("other", "17.5"));
        var predictions = ServingValidator.Predict([row, copy, other]);
        Assert.True(predictions[0].Predicted);
        Assert.Equal(ServingValidator.RestatedReason, predictions[1].Reason);
        Assert.False(predictions[1].Predicted);
        Assert.True(predictions[2].Predicted);

        // In the bundled rows: a restated row is never predicted, and coverage counts runs, not rows.
        var o = Outcome.Value;
        Assert.InRange(o.Restated, 1, o.Predictions.Count / 4);
        Assert.Contains(o.Predictions, p => p.Id == "2026_04_06_gpt_oss_120b_h200_sxm_vllm_fp4_agg_8192x1024_c32_tp2_ep1_345" && p.Reason == ServingValidator.RestatedReason);
        Assert.Contains(o.Predictions, p => p.Id == "2026_03_25_gpt_oss_120b_h200_sxm_vllm_fp4_agg_8192x1024_c32_tp2_0_ep1_0_189" && p.Predicted);
        Assert.Equal((double)o.Predicted.Count / (o.Predictions.Count - o.Restated), o.Coverage, 12);
    }

    [Fact]
    public void A_run_whose_TPOT_is_under_half_that_of_a_smaller_decode_batch_of_its_deployment_is_not_scored_unless_measured_apart()
    {
        // Three runs of one bundled deployment (vLLM gpt-oss-120b TP2 on H200, 8192x1024): 15 ms at concurrency 32 and
        // 30 ms at 64 are ordered; 7 ms at 128 with a short TTFT keeps about 126 requests decoding (Little's law) at under
        // half the step time of 64 (about 64 decoding), which no decode step does. The same run in another batch of the
        // source (another file: a deployment as read may have run with settings the file does not give) is not compared.
        var row = ServingMeasurement.Bundled.First(r => r.Id == "2026_04_06_gpt_oss_120b_h200_sxm_vllm_fp4_agg_8192x1024_c32_tp2_ep1_345");
        ServingMeasurement Run(string id, int concurrency, string tpot, string source = "2026-04-06.csv") => new(id, new Dictionary<string, string>(row.Fields)
        {
            ["id"] = id,
            ["silicon_data_source"] = row["silicon_data_source"].Replace("2026-04-06.csv", source, StringComparison.Ordinal).Replace("silicon_concurrency=32", $"silicon_concurrency={concurrency}", StringComparison.Ordinal),
            ["batch_size"] = $"{concurrency}",
            ["silicon_ttft_ms"] = "200",
            ["silicon_tpot_ms"] = tpot,
        });
        var predictions = ServingValidator.Predict([Run("c32", 32, "15"), Run("c64", 64, "30"), Run("c128", 128, "14.9"), Run("c128 apart", 128, "14.8", "2026-03-25.csv")]);
        Assert.True(predictions[0].Predicted);
        Assert.True(predictions[1].Predicted);
        Assert.Equal(ServingValidator.InconsistentReason, predictions[2].Reason);
        Assert.False(predictions[2].Predicted);
        Assert.True(predictions[3].Predicted);

        // At half the step time of the smaller batch or more, the run stands: the rule leaves run-to-run noise alone.
        Assert.True(ServingValidator.Predict([Run("c64", 64, "30"), Run("c128", 128, "15")])[1].Predicted);

        // In the bundled rows: vLLM's gpt-oss-120b runs on H100 at concurrency 512 (TTFT about 20 s) report a TPOT
        // under half that of concurrency 64 in their own batch.
        Assert.Contains(Outcome.Value.Predictions, p => p.Id == "2026_04_06_gpt_oss_120b_h100_sxm_vllm_fp4_agg_1024x1024_c512_tp2_ep1_1135" && p.Reason == ServingValidator.InconsistentReason);
    }

    [Fact]
    public void A_run_given_twice_is_scored_once_under_one_architecture_as_the_row_that_states_its_layout_or_of_no_known_deployment()
    {
        // The dataset carries InferenceMAX's DeepSeek-R1 runs twice: from a database dump, its model_path
        // deepseek-ai/DeepSeek-V3, and from a dated file as DeepSeek-R1, with the same TTFT and TPOT to the last digit.
        // The two checkpoints share one architecture (their config.json files differ in training fields only), so the
        // second is one run read again, not a second measurement.
        var bundled = ServingMeasurement.Bundled;
        var first = bundled.First(r => r.Id == "dsr1_h200_sglang_fp8_agg_1024x1024_c4_cfg81");
        var again = bundled.First(r => r.Id == "2026_03_25_deepseek_r1_h200_sxm_sglang_fp8_agg_1024x1024_c4_tp8_0_ep1_0_289");
        Assert.Equal("deepseek-ai/DeepSeek-V3", first["model_path"]);
        Assert.Equal("deepseek-ai/DeepSeek-R1", again["model_path"]);
        Assert.Equal(first["silicon_tpot_ms"], again["silicon_tpot_ms"]);
        Assert.Equal(first["silicon_ttft_ms"], again["silicon_ttft_ms"]);
        var o = Outcome.Value;
        Assert.True(o.Predictions.Single(p => p.Id == first.Id).Predicted);
        Assert.Equal(ServingValidator.RestatedReason, o.Predictions.Single(p => p.Id == again.Id).Reason);

        // A run the database dump gives with its worker counts (1P1D, config 675) and a dated file gives without them,
        // which the benchmark's recipes read as 2P1D with MTP: one measurement, scored once, as the row that states its
        // layout records it.
        var stated = o.Predictions.Single(p => p.Id == "dsr1_h200_trtllm_fp8_disagg_8192x1024_c128_cfg675");
        var twin = bundled.First(r => r.Id == "2026_03_25_deepseek_r1_h200_sxm_trtllm_fp8_disagg_8192x1024_c128_tp8_0_ep8_0_395");
        Assert.Equal(bundled.First(r => r.Id == stated.Id)["silicon_tpot_ms"], twin["silicon_tpot_ms"]);
        Assert.Equal(ServingValidator.RestatedReason, o.Predictions.Single(p => p.Id == twin.Id).Reason);
        Assert.True(stated.Predicted);
        Assert.True(stated.Case!.DeploymentKnown);
        Assert.Equal("trtllm, FP8/FP8, 1P1D: prefill TP8, EP8, decode TP1 x DP8, EP8", stated.Case.Deployment);
        var recipeRead = ServingValidator.Read([twin]).Cases.Single();
        Assert.True(recipeRead.WorkersUnstated);
        Assert.NotEqual(stated.Case.Deployment, recipeRead.Deployment);
        // Given in the other order, the stated row is still the one scored.
        var reversed = ServingValidator.Predict([twin, bundled.First(r => r.Id == stated.Id)]);
        Assert.Equal(ServingValidator.RestatedReason, reversed[0].Reason);
        Assert.Equal(stated.Case.Deployment, reversed[1].Case!.Deployment);

        // The check of the recipes against the stated rows pairs such runs, once each, and the report counts each once.
        // Config 675's twin: the recipes' readings hold the dump's worker counts (1P1D, its columns) but with an
        // attention-DP prefill worker where the dump states a TP8 one. Config 434 at concurrency 256 (SGLang, H200): one
        // of the recipes' readings is the dump's deployment.
        var check = Assert.Single(o.RecipeChecks, r => r.Stated.Row.Id == stated.Id);
        Assert.Equal(twin.Id, check.Read.Row.Id);
        Assert.Equal(RecipeAgreement.Workers, check.Agreement);
        Assert.Equal((1, 1), (check.Nearest.Disaggregated!.PrefillWorkers, check.Nearest.Disaggregated.DecodeWorkers));
        Assert.True(check.Nearest.Disaggregated.Prefill.AttentionDp > 1);
        Assert.Equal(RecipeAgreement.Deployment, Assert.Single(o.RecipeChecks, r => r.Stated.Row.Id == "dsr1_h200_sglang_fp8_disagg_8192x1024_c256_cfg434").Agreement);
        Assert.Equal(o.RecipeChecks.Count, o.RecipeChecks.Select(r => (r.Stated.Setting, r.Stated.Row.MeasuredTpotMs)).Distinct().Count());
        Assert.All(o.RecipeChecks, r =>
        {
            Assert.False(r.Stated.WorkersUnstated);
            Assert.True(r.Read.WorkersUnstated);
            Assert.Equal(r.Stated.Setting, r.Read.Setting);
            Assert.Equal(r.Stated.Row.MeasuredTpotMs!.Value, r.Read.Row.MeasuredTpotMs!.Value, 9);
        });
        var table = ServingValidationReport.Document(o, "bundled").Tables.Single(t => t.Key == "serving-recipe-check");
        Assert.Equal(o.RecipeChecks.Count, table.Rows.Sum(r => int.Parse(r[1].Rounded(), System.Globalization.CultureInfo.InvariantCulture)));

        // Two dated files that both state a run's layout, and state it differently (gpt-oss-120b on B200 at concurrency
        // 256: attention DP 2 and batch 128 in one, attention DP 4 with MoE TP2 x EP2 and batch 64 in the other): the
        // dataset does not say which ran, so the run is priced as each and its deployment is unknown.
        var gptOss = o.Predictions.Single(p => p.Id == "2026_03_25_gpt_oss_120b_b200_sxm_trtllm_fp4_agg_1024x1024_c256_tp2_0_ep2_0_1009");
        Assert.Equal(ServingValidator.RestatedReason, o.Predictions.Single(p => p.Id == "2026_04_06_gpt_oss_120b_b200_sxm_trtllm_fp4_agg_1024x1024_c256_tp2_ep2_1741").Reason);
        Assert.True(gptOss.Predicted);
        Assert.False(gptOss.Case!.DeploymentKnown);
        Assert.Contains(ServingCase.ReadTwoWays, gptOss.Case.Assumptions);
        Assert.Equal("trtllm, BF16/MXFP4, TP1 x DP2, EP2", gptOss.Case.Deployment);
        Assert.Equal(["trtllm, BF16/MXFP4, TP1 x DP4, MoE TP2 x EP2"], gptOss.Case.Alternatives.Select(a => a.Deployment));

        // The same figures under a model of another architecture are a measurement of that model.
        var kimi = new ServingMeasurement("kimi", new Dictionary<string, string>(again.Fields) { ["id"] = "kimi", ["model_path"] = "moonshotai/Kimi-K2-Instruct" });
        var predictions = ServingValidator.Predict([first, again, kimi]);
        Assert.True(predictions[0].Predicted);
        Assert.Equal(ServingValidator.RestatedReason, predictions[1].Reason);
        Assert.True(predictions[2].Predicted, predictions[2].Reason);
    }
}

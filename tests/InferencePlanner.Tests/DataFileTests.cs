using InferencePlanner.Kernels;
using InferencePlanner.Validation;

namespace InferencePlanner.Tests;

/// <summary>Editable data files: a broken one is an input error naming the file, not a crash.</summary>
public sealed class DataFileTests
{
    [Theory]
    [InlineData("{ nope")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmFp8": {}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmFp8": {"points": [{"m": 64, "n": 1, "k": 1}]}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "NoSuchGpu"}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "prefillAttention": {"measuredOn": "NoSuchGpu", "points": [{"seqLen": 512, "tflops": 292}]}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "prefillAttention": {"points": [{"seqLen": -1, "tflops": 292}]}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gqaDecode": {"measuredOn": "NoSuchGpu", "memoryGBps": 3000}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gqaDecode": {"memoryGBps": -5}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gqaDecode": {"source": "s"}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmBf16": {"points": [{"m": 64, "n": 1, "k": 1}]}}""")]
    [InlineData("""{"name": "x", "source": "s", "measuredOn": "H800", "gemmBf16": {"measuredOn": "NoSuchGpu", "points": [{"m": 64, "n": 1, "k": 1, "tflops": 10}]}}""")]
    public void A_broken_kernel_profile_is_an_input_error(string json)
    {
        var e = Assert.Throws<InputException>(() => KernelProfile.Parse(json, "my-kernels.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.StartsWith("my-kernels.json", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ nope")]
    [InlineData("""{"runs": [{"key": "k", "mode": "both", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": []}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "disagg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "none", "conc": [4], "prefill": {"workers": 1, "tp": 8, "ep": 3, "dpAttention": true}, "decode": {"workers": 1, "tp": 8, "ep": 8, "dpAttention": true}}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "agg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "none", "conc": [64, 4], "engine": {"tp": 8, "ep": null, "dpAttention": null}}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "agg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "eagle", "conc": [4, 64], "engine": {"tp": 8, "ep": null, "dpAttention": null}}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "agg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "mtp", "conc": [4, 64], "engine": {"tp": 8, "ep": null, "dpAttention": null}, "mtpDrafts": 0}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "agg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "none", "conc": [4, 64], "engine": {"tp": 8, "ep": null, "dpAttention": null}, "decodeMaxBatch": 8}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "disagg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "trtllm", "image": "i", "seqLens": [{"isl": 1, "osl": 2, "recipes": [{"spec": "none", "conc": [4], "prefill": {"workers": 1, "tp": 8, "ep": 8, "dpAttention": true}, "decode": {"workers": 1, "tp": 8, "ep": 8, "dpAttention": true}, "decodeMaxBatch": 0}]}]}]}""")]
    [InlineData("""{"runs": [{"key": "k", "mode": "agg", "model": "m", "gpu": "H200", "precision": "fp8", "framework": "sglang", "image": "i", "notBefore": "7 Jan 2026", "seqLens": []}]}""")]
    [InlineData("""{"sweeps": [{"day": "14 Jan 2026", "keys": ["k"]}], "runs": []}""")]
    [InlineData("""{"sweeps": [{"day": "2026-01-14", "keys": []}], "runs": []}""")]
    [InlineData("""{"sweeps": [{"day": "2026-01-14", "keys": ["no-such-run"]}], "runs": []}""")]
    public void A_broken_benchmark_recipe_file_is_an_input_error(string json)
    {
        var e = Assert.Throws<InputException>(() => BenchmarkRecipes.Parse(json, "my-recipes.json"));
        Assert.StartsWith("my-recipes.json", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("""{"sources": {}, "rows": [{"id": "x"}]}""")]
    public void A_broken_measurements_file_is_an_input_error(string json)
    {
        var e = Assert.Throws<InputException>(() => Measurement.Parse(json, "my-measurements.json"));
        Assert.Contains("my-measurements.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gpu_file_sets_the_launch_gap_and_prefill_attention_follows_the_prompt_length()
    {
        var gpu = Hardware.GpuCatalog.Parse("""
            {"name": "X", "sms": 132, "fp16Tflops": 989.5, "fp8Tflops": 1979, "memoryGB": 80, "memoryBandwidthGBps": 3350,
             "scaleUpBandwidthGBps": 200, "scaleOutBandwidthGBps": 50, "gpusPerNode": 8, "kernelProfile": "hopper",
             "latencyUs": {"launch": 4}}
            """, "x.json");
        Assert.Equal(4, gpu.Latency.LaunchUs);
        Assert.Equal(Hardware.GpuLatency.Default.KernelUs, gpu.Latency.KernelUs);

        // FlashAttention-3's causal figures: 423 TFLOPS at 1k, 579 at 4k over H100-SXM's 989.5 in its file.
        var kernels = new KernelModel(gpu);
        Assert.Equal(423 / 989.5, kernels.PrefillAttentionShare(1024)!.Value, 3);
        Assert.Equal(579 / 989.5, kernels.PrefillAttentionShare(4096)!.Value, 3);
        Assert.InRange(kernels.PrefillAttentionShare(3000)!.Value, 521 / 989.5, 579 / 989.5);
    }

    [Fact]
    public void An_all_reduce_that_leaves_the_node_pays_the_measured_two_node_start_up()
    {
        // NVIDIA/nccl issue #1244: all_reduce_perf over 2 nodes of 8 H20, 4 B to 1 KB, 46 to 48 us.
        Assert.InRange(Hardware.GpuLatency.Default.AllReduceScaleOutUs, 46, 48);
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        var policy = new Pricing.RooflinePolicy(h100);
        var small = Units.Bytes.FromBytes(128);
        var inside = policy.Price(Work.Operator.Exchange(Work.OperatorKind.AllReduce, small, Units.Bytes.Zero));
        var across = policy.Price(Work.Operator.Exchange(Work.OperatorKind.AllReduce, small, small));
        Assert.Equal(h100.Latency.AllReduceUs, inside.Time.Milliseconds * 1000, 1);
        Assert.True(across.Time.Milliseconds * 1000 >= Hardware.GpuLatency.DefaultAllReduceScaleOutUs, $"{across.Time.Milliseconds * 1000} us");

        var gpu = Hardware.GpuCatalog.Parse("""
            {"name": "X", "sms": 132, "fp16Tflops": 989.5, "fp8Tflops": 1979, "memoryGB": 80, "memoryBandwidthGBps": 3350,
             "scaleUpBandwidthGBps": 200, "scaleOutBandwidthGBps": 50, "gpusPerNode": 8, "latencyUs": {"allReduceScaleOut": 30}}
            """, "x.json");
        Assert.Equal(30, gpu.Latency.AllReduceScaleOutUs);
        Assert.Equal(Hardware.GpuLatency.Default.ScaleOutUs, gpu.Latency.ScaleOutUs);
    }

    [Fact]
    public void A_small_all_reduce_inside_a_node_starts_at_the_measured_two_gpu_figure_and_grows_with_its_group()
    {
        // NVIDIA/nccl issue #1259: NVLSTree all_reduce_perf -g 2 on H100 SXM, CUDA graphs, 128 B to 64 KB: about 6 us.
        Assert.Equal(6, Hardware.GpuLatency.Default.AllReduceUs);
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        var policy = new Pricing.RooflinePolicy(h100);
        var small = Units.Bytes.FromBytes(128);
        double Us(int ranks) => policy.Price(Work.Operator.Exchange(Work.OperatorKind.AllReduce, small, Units.Bytes.Zero) with { Groups = ranks }).Time.Milliseconds * 1000;
        Assert.Equal(6, Us(2), 1);
        Assert.True(Us(2) < Us(4) && Us(4) < Us(8), $"{Us(2)} {Us(4)} {Us(8)} us");
        Assert.Equal(Us(4) - Us(2), Us(8) - Us(4), 1);

        // The work carries its group: a TP8 layer's all-reduce costs the eight-GPU start-up.
        Assert.Equal(8, Work.RooflineWork.AllReduce(8, 1, 7168).Groups);

        var gpu = Hardware.GpuCatalog.Parse("""
            {"name": "X", "sms": 132, "fp16Tflops": 989.5, "fp8Tflops": 1979, "memoryGB": 80, "memoryBandwidthGBps": 3350,
             "scaleUpBandwidthGBps": 200, "scaleOutBandwidthGBps": 50, "gpusPerNode": 8, "latencyUs": {"allReduce": 4, "allReduceDoubling": 1}}
            """, "x.json");
        Assert.Equal(4 + 1 * 2, gpu.Latency.ScaleUpAllReduceUs(8), 9);
    }

    [Fact]
    public void An_all_reduce_inside_a_node_runs_in_one_shot_below_the_crossover_vllm_measured_and_in_two_above_it()
    {
        // vLLM PR #37756, all-reduce tuning on B300 (NVLink 5, as B200): FlashInfer's one-shot kernel beats its two-shot
        // one up to 2 MB among eight GPUs and 4 MB among four (_FI_ALLREDUCE_ONE_SHOT_MAX_SIZES_MB), and between two GPUs
        // up to 32 MB.
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        var policy = new Pricing.RooflinePolicy(b200);
        const double hidden = 8192;
        Pricing.Priced At(int ranks, double megabytes) => policy.Price(Work.RooflineWork.AllReduce(ranks, megabytes * 1e6 / (hidden * 2), hidden));
        var link = b200.ScaleUpShareGBps;
        double OneShotUs(int ranks, double megabytes) => b200.Latency.ScaleUpAllReduceUs(ranks) + ((ranks - 1) * megabytes * 1e6 / (link * 1e9) * 1e6);
        double TwoShotUs(int ranks, double megabytes) => (2 * b200.Latency.ScaleUpAllReduceUs(ranks)) + (2.0 * (ranks - 1) / ranks * megabytes * 1e6 / (b200.AllReduceBusGBps(ranks, megabytes * 1e6) * 1e9) * 1e6);

        foreach (var (ranks, published) in new[] { (8, 2.0), (4, 4.0) })
        {
            // Below half the published crossover one shot is cheaper, and priced; above twice it two shots are.
            Assert.Equal(OneShotUs(ranks, published / 2), At(ranks, published / 2).Time.Milliseconds * 1000, 6);
            Assert.True(OneShotUs(ranks, published / 2) < TwoShotUs(ranks, published / 2));
            Assert.Equal(TwoShotUs(ranks, published * 2), At(ranks, published * 2).Time.Milliseconds * 1000, 6);
            Assert.True(TwoShotUs(ranks, published * 2) < OneShotUs(ranks, published * 2));
        }

        // Between two GPUs one shot moves no more than two shots and starts once: it wins at 32 MB too.
        Assert.Equal(OneShotUs(2, 32), At(2, 32).Time.Milliseconds * 1000, 6);

        // A decode batch's all-reduce costs each rank (n - 1) x its tokens' hidden states over the link: the cost of a
        // token grows with TP.
        double PerToken(int ranks) => (At(ranks, 64 * hidden * 2 / 1e6).Time.Milliseconds - At(ranks, 32 * hidden * 2 / 1e6).Time.Milliseconds) / 32;
        Assert.True(PerToken(2) < PerToken(4) && PerToken(4) < PerToken(8), $"{PerToken(2)} {PerToken(4)} {PerToken(8)} ms");
    }

    [Fact]
    public void A_kernel_profile_that_extends_another_takes_the_tables_it_lacks_from_it()
    {
        // blackwell-cutlass holds only vLLM's dense FP8 GEMMs on B200; its attention, all-to-all and BF16 GEMM tables are
        // blackwell.json's, read from that file rather than copied into this one.
        var blackwell = KernelCatalog.BuiltIn.Single(p => p.Name == "blackwell");
        var cutlass = KernelCatalog.BuiltIn.Single(p => p.Name == "blackwell-cutlass");
        Assert.NotEmpty(cutlass.Dense);
        Assert.Empty(blackwell.Dense);
        Assert.Same(blackwell.DenseBf16, cutlass.DenseBf16);
        Assert.Equal(blackwell.AttentionMemoryShare, cutlass.AttentionMemoryShare);
        Assert.Equal(blackwell.GqaDecodeMemoryShare, cutlass.GqaDecodeMemoryShare);
        Assert.Equal(blackwell.NvLink, cutlass.NvLink);
        Assert.DoesNotContain("gemmBf16", File.ReadAllText(Path.Combine(Files.RepositoryRoot, "data", "kernels", "blackwell-cutlass.json")), StringComparison.Ordinal);

        // A table the extending file holds replaces its parent's; a parent that cannot be found is an input error.
        const string Own = """{"name": "x", "extends": "blackwell", "source": "s", "measuredOn": "B200", "gqaDecode": {"memoryGBps": 3850}}""";
        var x = KernelProfile.Parse(Own, "x.json", n => Hardware.GpuCatalog.Resolve(n), n => KernelCatalog.BuiltIn.Single(p => p.Name == n));
        Assert.Equal(3850 / 7700.0, x.GqaDecodeMemoryShare!.Value, 9);
        Assert.Equal(blackwell.AttentionMemoryShare, x.AttentionMemoryShare);
        var e = Assert.Throws<InputException>(() => KernelProfile.Parse(Own, "x.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.StartsWith("x.json: extends:", e.Message, StringComparison.Ordinal);

        // A table taken from the profile extended keeps the GPU it was measured on: hopper-trtllm holds only a decode
        // attention share, so DeepEP's all-to-all figures stay those measured on H800 (its NVLink, 400 GB/s) whatever
        // GPU the extending file names, and price H200's all-to-all as hopper.json does.
        const string OnH200 = """{"name": "y", "extends": "hopper", "source": "s", "measuredOn": "H200", "gqaDecode": {"memoryGBps": 3975}}""";
        var hopper = KernelCatalog.BuiltIn.Single(p => p.Name == "hopper");
        var y = KernelProfile.Parse(OnH200, "y.json", n => Hardware.GpuCatalog.Resolve(n), n => KernelCatalog.BuiltIn.Single(p => p.Name == n));
        Assert.Equal("H800", y.AllToAllMeasuredOn.Name);
        Assert.Equal("H800", y.LowLatencyMeasuredOn.Name);
        var h200 = Hardware.GpuCatalog.Resolve("H200");
        var (inherited, own) = (new KernelModel(h200, y), new KernelModel(h200, hopper));
        Assert.Equal(own.NvLinkGBps(combine: false), inherited.NvLinkGBps(combine: false), 9);
        Assert.Equal(own.RdmaGBps(16, combine: true), inherited.RdmaGBps(16, combine: true), 9);
        Assert.Equal(own.LowLatencyGBps(16, combine: false, 5)!.Value, inherited.LowLatencyGBps(16, combine: false, 5)!.Value, 9);
        Assert.NotEqual(own.GqaDecodeMemoryShare(), inherited.GqaDecodeMemoryShare(), 3);
    }

    [Fact]
    public void A_bf16_gemm_is_priced_from_the_bf16_measurements_where_a_profile_has_them()
    {
        // vLLM PR #23280 on H100 SXM (torch-bf16 column): N=2112 K=7168 at M=4096 716 TFLOPS, 0.72 of the BF16 peak, and
        // at M=1 3.06 TFLOPS, about 0.9 of the time to stream the BF16 weights. DeepGEMM's FP8 kernel reaches 1,009 TFLOPS
        // at the same shape on H800, 0.51 of the FP8 peak: a BF16 GEMM priced at the FP8 table's share would be too slow.
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        var kernels = new KernelModel(h100);
        Assert.Equal(715.8 / 989.5, kernels.GemmShare(GemmTable.Dense, 4096, 2112, 7168, bf16: true)!.Value, 3);
        Assert.Equal(1009 / 1979.0, kernels.GemmShare(GemmTable.Dense, 4096, 2112, 7168)!.Value, 3);
        var streaming = 2.0 * ((7168 * 2112) + 7168 + 2112) / 3350e9;
        Assert.Equal(streaming / (2.0 * 2112 * 7168 / 3.06e12), kernels.GemmShare(GemmTable.Dense, 1, 2112, 7168, bf16: true)!.Value, 6);

        // The experts' grouped GEMMs and the FP8 GEMMs keep their own tables; a profile without BF16 points prices BF16
        // at the FP8 table's shares.
        Assert.Equal(kernels.GemmShare(GemmTable.Masked, 64, 4096, 7168), kernels.GemmShare(GemmTable.Masked, 64, 4096, 7168, bf16: true));
        var fp8Only = KernelProfile.Parse("""
            {"name": "x", "source": "s", "measuredOn": "H800", "gemmFp8": {"points": [{"m": 4096, "n": 2112, "k": 7168, "tflops": 1009}]}}
            """, "x.json", n => Hardware.GpuCatalog.Resolve(n));
        var plain = new KernelModel(h100, fp8Only);
        Assert.Equal(plain.GemmShare(GemmTable.Dense, 4096, 2112, 7168), plain.GemmShare(GemmTable.Dense, 4096, 2112, 7168, bf16: true));
    }

    [Fact]
    public void A_mid_size_all_reduce_takes_what_nccl_took_on_eight_h100s()
    {
        // ByteDance-Seed/Triton-distributed issue #57, NCCL's all-reduce among 8 x H100 SXM (torch.distributed): 4, 8 and
        // 16 MiB in 59.4, 90.5 and 135.7 us, where the large-message bus bandwidth alone (480 GB/s) would move them in 15,
        // 31 and 61 us. Prompt steps' all-reduces are of these sizes (a 1,024-token chunk of a 4,096-wide model: 8 MiB).
        var policy = new Pricing.RooflinePolicy(Hardware.GpuCatalog.Resolve("H100-SXM"));
        double Us(double mib) => policy.Price(Work.RooflineWork.AllReduce(8, mib * 1048576 / (4096 * 2.0), 4096)).Time.Milliseconds * 1000;
        foreach (var (mib, measured) in new[] { (4.0, 59.4), (8.0, 90.5), (16.0, 135.7) })
        {
            Assert.InRange(Us(mib), measured / 1.2, measured * 1.2);
        }

        // Without the pipeline's fill and drain the model missed them by half.
        var bare = new Pricing.RooflinePolicy(Hardware.GpuCatalog.Resolve("H100-SXM") with { AllReduceHalfBandwidthMiB = 0 });
        Assert.True(bare.Price(Work.RooflineWork.AllReduce(8, 16 * 1048576 / (4096 * 2.0), 4096)).Time.Milliseconds * 1000 < 135.7 / 1.5);
    }

    [Fact]
    public void A_large_all_reduce_runs_at_the_bus_bandwidth_NCCL_measured_for_its_group()
    {
        // NVIDIA/nccl issue #1455, HGX 8 x H100 SXM with NVLink SHARP: about 365-370 GB/s of bus bandwidth from two to
        // four GPUs, 480 at eight. A 1 GB all-reduce moves 2(n - 1)/n of it per GPU: at eight 1.75 GB in 1.75/480 s.
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        var policy = new Pricing.RooflinePolicy(h100);
        double Ms(int ranks) => policy.Price(Work.RooflineWork.AllReduce(ranks, 1e9 / (7168 * 2.0), 7168)).Time.Milliseconds;
        // Each also pays its start-up (tens of microseconds at most) and the pipeline's fill and drain, under 1% of a 1 GB
        // message (half the bus bandwidth at 8 MiB).
        Assert.InRange(Ms(8), 1.75 / 480 * 1000, 1.75 / 480 * 1000 * 1.01 + 0.05);
        Assert.InRange(Ms(4), 1.5 / 367.5 * 1000, 1.5 / 367.5 * 1000 * 1.01 + 0.05);

        // With the switch reducing in flight, eight GPUs all-reduce the same data sooner than four would by ring.
        Assert.True(Ms(8) < 1.75 / 367.5 * 1000, $"{Ms(8)} ms");

        // A GPU without measured figures, and a group smaller than any listed, keep the link's share: DeepEP's about
        // 155 of 200 GB/s over NVLink (GpuEfficiency.Default), 0.78 of B200's 900 GB/s per direction.
        var l40s = Hardware.GpuCatalog.Resolve("L40S");
        Assert.Null(l40s.AllReduceBus);
        Assert.Equal(l40s.ScaleUpShareGBps, l40s.AllReduceBusGBps(4), 9);
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        Assert.Equal(830, b200.AllReduceBusGBps(8), 9);
        Assert.Equal(0.78 * 900, b200.AllReduceBusGBps(4), 9);

        // Between listed groups, the largest listed below; the table refuses what it cannot mean.
        var table = new Hardware.AllReduceBandwidth([(2, 100), (8, 200)]);
        Assert.Equal(100, table.BusGBps(4));
        Assert.Null(table.BusGBps(1));
        Assert.Throws<ArgumentException>(() => new Hardware.AllReduceBandwidth([(1, 100)]));
        Assert.Throws<ArgumentException>(() => new Hardware.AllReduceBandwidth([(2, 100), (2, 120)]));
    }

    [Fact]
    public void Each_kernel_profile_applies_to_its_own_architecture_only()
    {
        Assert.Equal("hopper", KernelCatalog.For(Hardware.GpuCatalog.Resolve("H200"))!.Name);
        Assert.Equal("blackwell", KernelCatalog.For(Hardware.GpuCatalog.Resolve("B200"))!.Name);
        Assert.Equal("blackwell", KernelCatalog.For(Hardware.GpuCatalog.Resolve("GB300"))!.Name);
        Assert.Null(KernelCatalog.For(Hardware.GpuCatalog.Resolve("MI355X")));
    }

    [Fact]
    public void Decode_attention_over_per_head_keys_and_values_runs_at_its_own_kernels_share()
    {
        // FlashAttention-3's decode at six published serving shapes reaches a median 0.705 of HBM (hopper.json, given on
        // H200); FlashMLA's latent-cache decode 3,000 of the H800's 3,350 GB/s.
        var h200 = Hardware.GpuCatalog.Resolve("H200");
        var kernels = new KernelModel(h200);
        Assert.Equal(0.705, kernels.GqaDecodeMemoryShare(), 3);
        Assert.Equal(3000 / 3350.0, kernels.AttentionShares().Memory, 3);

        // The same bytes cost the two kernels' shares.
        var policy = new Pricing.RooflinePolicy(h200);
        var read = Work.Operator.Kernel(Work.OperatorKind.Attention, Units.Precision.Bf16, Units.Flops.Zero, Units.Bytes.FromBytes(1e9));
        var latent = policy.Price(read).Time.Milliseconds;
        var perHead = policy.Price(read with { GroupedQuery = true }).Time.Milliseconds;
        var seconds = 1e9 / (h200.MemoryBandwidthGBps * 1e9);
        Assert.Equal(seconds * 1000 * (1 / kernels.GqaDecodeMemoryShare() - 1 / kernels.AttentionShares().Memory), perHead - latent, 9);
    }

    [Fact]
    public void Weight_only_experts_compute_at_the_published_dequantisation_rate()
    {
        // SGLang PR #38884: Marlin's W4A16 MoE GEMMs on H100 ran at 254 TFLOPS, 25.7% of the BF16 peak, bound by the
        // dequantisation on the SMs.
        var h100 = Hardware.GpuCatalog.Resolve("H100-SXM");
        Assert.Equal(0.257, new KernelModel(h100).WeightOnlyComputeShare, 3);

        // H20's tensor cores are slow beside its 78 SMs: the dequantisation does not bind there.
        var h20 = Hardware.GpuCatalog.Resolve("H20");
        Assert.True(new KernelModel(h20).WeightOnlyComputeShare >= h20.Efficiency.Compute);

        // A compute-bound expert GEMM with MXFP4 weights on H200 runs at that rate; with FP8 weights at the GEMM's own.
        var h200 = Hardware.GpuCatalog.Resolve("H200");
        var policy = new Pricing.RooflinePolicy(h200);
        var gemm = Work.Operator.Kernel(Work.OperatorKind.ExpertGemm, Units.Precision.Fp4, Units.Flops.FromMacs(1e15), Units.Bytes.FromBytes(1e6))
            with { M = 4096, N = 5760, K = 2880, Groups = 8, Table = GemmTable.Contiguous, Launches = 0 };
        var fp4 = policy.Price(gemm);
        Assert.Equal(Pricing.Bound.Compute, fp4.Bound);
        // H200 has H100's SMs and tensor cores: 25.7% of its BF16 peak, to the published figure's three digits.
        Assert.Equal(1, 2e15 / (0.257 * h200.Fp16Tflops * 1e12) / fp4.Time.Seconds, 2);
        Assert.True(policy.Price(gemm with { Precision = Units.Precision.Fp8 }).Time < fp4.Time);
    }

    [Fact]
    public void The_blackwell_profile_keeps_the_named_defaults_where_it_has_no_data()
    {
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        var kernels = new KernelModel(b200);
        var (memory, compute) = kernels.AttentionShares();
        Assert.Equal(6108 / b200.MemoryBandwidthGBps, memory, 9);
        Assert.Equal(KernelModel.DefaultAttentionComputeShare, compute, 9);
        Assert.Null(kernels.GemmShare(GemmTable.Dense, 64, 4096, 7168));
    }

    [Fact]
    public void Blackwell_prefill_experts_take_the_share_the_published_NVFP4_grouped_GEMM_reached()
    {
        // flashinfer PR #2503: the CuTe DSL NVFP4 grouped GEMM on SM100, 18 groups of 455 rows at n 4096 k 7168 in 153 us,
        // 3248 TFLOPS. On B200's datasheet peaks (9,000 dense FP4 TFLOPS, 7.7 TB/s), with FP4 inputs and weights carrying
        // an FP8 scale per 16 elements and a BF16 output, that is about 0.36 of its roofline, where the named default
        // gave the experts 0.63.
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        var kernels = new KernelModel(b200);
        var flops = 2.0 * 18 * 455 * 4096 * 7168;
        var bytes = 18 * ((0.5625 * ((455 * 7168.0) + (4096 * 7168.0))) + (2.0 * 455 * 4096));
        var atPeak = Math.Max(flops / 9000e12, bytes / 7700e9);
        var share = kernels.GemmShare(GemmTable.Contiguous, 455, 4096, 7168)!.Value;
        Assert.Equal(atPeak / (flops / 3248e12), share, 3);
        Assert.InRange(share, 0.34, 0.37);

        // Decode's masked layout keeps the named default: the table is the prefill experts'.
        Assert.Null(kernels.GemmShare(GemmTable.Masked, 64, 4096, 7168));

        // A grouped table's precision is FP8 or FP4, and FP4 needs a GPU with an FP4 peak to measure it on.
        const string Fp4 = """
            {"name": "x", "source": "s", "measuredOn": "B200", "groupedContiguous": {"precision": "fp4", "points": [{"groups": 18, "m": 455, "n": 4096, "k": 7168, "tflops": 3248}]}}
            """;
        var asFp4 = KernelProfile.Parse(Fp4, "x.json", n => Hardware.GpuCatalog.Resolve(n)).Contiguous.Single().Share;
        Assert.Equal(share, asFp4, 9);
        // Read as FP8 (stated, or by default) the same point is a share of the FP8 roofline: half the FP4 peak, so twice the share.
        var asFp8 = KernelProfile.Parse(Fp4.Replace("\"fp4\"", "\"fp8\"", StringComparison.Ordinal), "x.json", n => Hardware.GpuCatalog.Resolve(n)).Contiguous.Single().Share;
        Assert.Equal(asFp8, KernelProfile.Parse(Fp4.Replace("\"precision\": \"fp4\", ", "", StringComparison.Ordinal), "x.json", n => Hardware.GpuCatalog.Resolve(n)).Contiguous.Single().Share, 12);
        Assert.True(asFp8 > 1.5 * asFp4);
        var e = Assert.Throws<InputException>(() => KernelProfile.Parse(Fp4.Replace("\"fp4\"", "\"fp2\"", StringComparison.Ordinal), "x.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.Equal("x.json: groupedContiguous.precision must be \"fp8\" or \"fp4\", got \"fp2\"", e.Message);
        e = Assert.Throws<InputException>(() => KernelProfile.Parse(Fp4.Replace("B200", "H800", StringComparison.Ordinal), "x.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.Contains("groupedContiguous is FP4 but H800", e.Message, StringComparison.Ordinal);
    }
}

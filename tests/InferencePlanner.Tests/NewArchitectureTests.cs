using CsCheck;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Tests;

/// <summary>
/// The architectures released since 2025: hybrid linear attention (Qwen3-Next, Qwen3.5), sparse attention
/// (DeepSeek-V3.2, GLM-5), GLM-4.5, MiniMax-M2 and Kimi-K2.5 with INT4 experts.
/// </summary>
public sealed class NewArchitectureTests
{
    private static readonly string[] NewModels = ["deepseek-v3.2", "glm-4.5", "glm-5", "kimi-k2.5", "minimax-m2", "qwen3-next-80b-a3b", "qwen3.5-397b-a17b"];
    private static readonly string[] TargetGpus = ["H100-SXM", "H200", "B200", "B300", "GB200", "GB300"];
    private static readonly ModelSpec[] Hybrid = [ModelCatalog.Resolve("qwen3-next-80b-a3b"), ModelCatalog.Resolve("qwen3.5-397b-a17b")];
    private static readonly ModelSpec[] Sparse = [ModelCatalog.Resolve("deepseek-v3.2"), ModelCatalog.Resolve("glm-5")];
    private static readonly GpuSpec[] Gpus = [.. GpuCatalog.BuiltIn];
    private static readonly Gen<GpuSpec> GenGpu = Gen.Int[0, Gpus.Length - 1].Select(i => Gpus[i]);

    public static TheoryData<string> Models() => [.. NewModels];

    [Fact]
    public void Each_new_family_is_read_with_its_attention_kinds()
    {
        var next = ModelCatalog.Resolve("qwen3-next-80b-a3b").Transformer;
        Assert.Equal(36, next.Attention.LinearLayers); // full_attention_interval 4 over 48 layers
        Assert.Equal(12, next.FullAttentionLayers);
        Assert.True(next.Attention.OutputGate);
        Assert.Equal(512, next.FeedForward.SharedWidth);

        var q35 = ModelCatalog.Resolve("qwen3.5-397b-a17b").Transformer; // under text_config, layer_types listed
        Assert.Equal(45, q35.Attention.LinearLayers);
        Assert.Equal(64, q35.Attention.Linear!.ValueHeads);

        var v32 = ModelCatalog.Resolve("deepseek-v3.2");
        Assert.Equal(new SparseAttentionSpec(2048, 64, 128), v32.Transformer.Attention.Sparse);
        Assert.Null(v32.Mla); // the seed's accounting has no sparse attention
        Assert.Equal(new SparseAttentionSpec(2048, 32, 128), ModelCatalog.Resolve("glm-5").Transformer.Attention.Sparse);

        var glm = ModelCatalog.Resolve("glm-4.5").Transformer;
        Assert.Equal((3, 89, 160, 1), (glm.FeedForward.DenseLayers, glm.FeedForward.MoeLayers, glm.FeedForward.RoutedExperts, glm.FeedForward.SharedExperts));
        Assert.True(glm.Attention.QkvBias && !glm.Attention.OutputBias && glm.Attention.QkNorm);

        var minimax = ModelCatalog.Resolve("minimax-m2").Transformer;
        Assert.True(minimax.Attention.QkNormPerLayer);
        Assert.Equal((256, 8, 0), (minimax.FeedForward.RoutedExperts, minimax.FeedForward.TopK, minimax.FeedForward.SharedExperts));
        Assert.Equal(Precision.Fp8, PrecisionSet.NativeFor(minimax).Weights);
    }

    [Fact]
    public void Kimi_k2_5_runs_int4_routed_experts_at_half_the_bytes_of_fp8_plus_scales_computed_at_bf16()
    {
        var k25 = ModelCatalog.Resolve("kimi-k2.5").Transformer;
        var k2 = ModelCatalog.Resolve("kimi-k2").Transformer;
        var p = PrecisionSet.NativeFor(k25);
        Assert.Equal((Precision.Bf16, Precision.Int4, Precision.Bf16), (p.Weights, p.ExpertWeights, p.SharedExpertWeights));
        // Half a byte per weight plus one BF16 scale per group of 32 (the checkpoint's group_size).
        Assert.Equal(0.5 + 2.0 / 32, Precision.Int4.BytesPerElement());
        Assert.Equal(Precision.Bf16, GpuCatalog.Resolve("B200").ComputePrecision(Precision.Int4));

        // The routed experts' weight bytes of one layer at a batch that reaches every expert: INT4 over FP8.
        var layout = RooflineLayout.For(k25, 8, 1, null, 1);
        var fp8 = PrecisionSet.NativeFor(k2);
        var int4 = RooflineWork.Decode(k25, layout, 8, p, 4096, 1024).MoeFeedForward.Routed;
        var fp8Routed = RooflineWork.Decode(k2, layout, 8, fp8, 4096, 1024).MoeFeedForward.Routed;
        var activations = fp8Routed.MemoryBytes.Value - fp8Routed.Groups * TransformerParameters.Expert(k2);
        Assert.Equal(0.5625, (int4.MemoryBytes.Value - activations) / (fp8Routed.MemoryBytes.Value - activations), 6);
        Assert.True(RooflineCapacity.WeightsPerGpu(k25, layout, p) < RooflineCapacity.WeightsPerGpu(k2, layout, fp8));
    }

    [Fact]
    public void A_linear_attention_layer_costs_the_same_at_any_context_and_a_full_attention_layer_more()
    {
        Gen.Select(Gen.Int[0, Hybrid.Length - 1], GenGpu, Gen.Int[1, 256], Gen.Int[1, 65536], Gen.Int[1, 65536], Gen.OneOf(1, 2, 4)).Sample((i, gpu, batch, ctx, more, tp) =>
        {
            var t = Hybrid[i].Transformer;
            var layout = RooflineLayout.For(t, 8, tp, null, 1.3);
            var p = PrecisionSet.NativeFor(t);
            var policy = new RooflinePolicy(gpu);
            var shorter = RooflineWork.Decode(t, layout, 8, p, batch, ctx);
            var longer = RooflineWork.Decode(t, layout, 8, p, batch, ctx + more);
            Assert.Equal(policy.Price(shorter.LinearAttention.Core).Time, policy.Price(longer.LinearAttention.Core).Time);
            Assert.Equal(shorter.LinearAttention.Core.MemoryBytes, longer.LinearAttention.Core.MemoryBytes);
            Assert.True(longer.FullAttention.Core.MemoryBytes > shorter.FullAttention.Core.MemoryBytes);
            Assert.True(policy.Price(longer.FullAttention.Core).Time >= policy.Price(shorter.FullAttention.Core).Time);
        });
    }

    [Fact]
    public void A_hybrid_model_keeps_kv_cache_in_its_full_attention_layers_only_and_a_fixed_state_in_the_others()
    {
        Gen.Select(Gen.Int[0, Hybrid.Length - 1], Gen.Int[0, 65536], Gen.Int[1, 65536], Gen.OneOf(1, 2, 4, 8), Gen.OneOf(Precision.Bf16, Precision.Fp8)).Sample((i, ctx, more, tp, kv) =>
        {
            var t = Hybrid[i].Transformer;
            var growth = RooflineCapacity.KvPerRequest(t, tp, kv, ctx + more).Value - RooflineCapacity.KvPerRequest(t, tp, kv, ctx).Value;
            // Only the full-attention layers grow with the context.
            var expected = tp * RooflineWork.KvBytesPerTokenPerGpu(t.Attention, tp, kv) * t.FullAttentionLayers * more;
            Assert.Equal(expected, growth, expected * 1e-9);
            // The linear layers' state is there at any context, and does not depend on it.
            var state = RooflineCapacity.KvPerRequest(t, tp, kv, 0).Value;
            Assert.Equal(tp * t.Attention.LinearLayers * LinearAttentionWork.StateBytesPerRequestPerGpu(t.Attention.Linear!, tp), state, state * 1e-9);
        });
    }

    [Fact]
    public void A_hybrid_model_fits_more_requests_at_long_context_than_the_same_model_with_full_attention_everywhere()
    {
        var t = ModelCatalog.Resolve("qwen3-next-80b-a3b").Transformer;
        var dense = t with { Attention = t.Attention with { Linear = null } };
        var gpu = GpuCatalog.Resolve("H200");
        var layout = RooflineLayout.For(t, 8, 1, null, 1.3);
        var p = PrecisionSet.NativeFor(t);
        Assert.True(RooflineCapacity.MaxBatch(t, gpu, layout, p, 131072, new RooflineOptions()) > 2 * RooflineCapacity.MaxBatch(dense, gpu, layout, p, 131072, new RooflineOptions()));
    }

    [Fact]
    public void Sparse_decode_attention_stops_growing_with_the_context_past_its_top_k_while_the_indexer_keeps_growing()
    {
        Gen.Select(Gen.Int[0, Sparse.Length - 1], GenGpu, Gen.Int[1, 128], Gen.Int[2048, 131072], Gen.Int[1, 65536]).Sample((i, gpu, batch, ctx, more) =>
        {
            var t = Sparse[i].Transformer;
            var layout = RooflineLayout.For(t, 8, 1, null, 1.3);
            var p = PrecisionSet.NativeFor(t);
            var policy = new RooflinePolicy(gpu);
            var at = RooflineWork.Decode(t, layout, 8, p, batch, ctx).FullAttention;
            var past = RooflineWork.Decode(t, layout, 8, p, batch, ctx + more).FullAttention;
            Assert.Equal(policy.Price(at.Core).Time, policy.Price(past.Core).Time);
            Assert.Equal(at.Core.Flops, past.Core.Flops);
            Assert.True(past.Indexer.Flops.Value > at.Indexer.Flops.Value && past.Indexer.MemoryBytes > at.Indexer.MemoryBytes);
        });
    }

    [Fact]
    public void Sparse_decode_attention_grows_with_the_context_below_its_top_k_as_dense_attention_does()
    {
        var t = ModelCatalog.Resolve("deepseek-v3.2").Transformer;
        var dense = ModelCatalog.Resolve("deepseek-v3").Transformer;
        var layout = RooflineLayout.For(t, 8, 1, null, 1.3);
        var p = PrecisionSet.NativeFor(t);
        foreach (var ctx in new[] { 16, 512, 2048 })
        {
            var sparse = RooflineWork.Decode(t, layout, 8, p, 32, ctx).FullAttention.Core;
            Assert.Equal(RooflineWork.Decode(dense, layout, 8, p, 32, ctx).FullAttention.Core.MemoryBytes, sparse.MemoryBytes);
        }

        Assert.True(RooflineWork.Decode(t, layout, 8, p, 32, 1024).FullAttention.Core.MemoryBytes < RooflineWork.Decode(t, layout, 8, p, 32, 2048).FullAttention.Core.MemoryBytes);
    }

    [Fact]
    public void Sparse_attention_keeps_an_indexer_key_per_token_beside_the_latent()
    {
        var v32 = ModelCatalog.Resolve("deepseek-v3.2").Transformer;
        var v3 = ModelCatalog.Resolve("deepseek-v3").Transformer;
        var perToken = RooflineCapacity.KvPerRequest(v32, 1, Precision.Fp8, 1000).Value - RooflineCapacity.KvPerRequest(v3, 1, Precision.Fp8, 1000).Value;
        // 128 FP8 values and one FP32 scale per token in each of the 61 layers.
        Assert.Equal(61 * 1000 * 132.0, perToken, 1e-6);
    }

    [Fact]
    public void Sparse_prefill_attends_to_at_most_top_k_keys_per_query()
    {
        var t = ModelCatalog.Resolve("deepseek-v3.2").Transformer;
        var dense = ModelCatalog.Resolve("deepseek-v3").Transformer;
        var layout = RooflineLayout.For(t, 8, 1, null, 1.3);
        var p = PrecisionSet.NativeFor(t);
        var sparse = RooflineWork.Prefill(t, layout, 8, p, 16384, 0).FullAttention;
        var full = RooflineWork.Prefill(dense, layout, 8, p, 16384, 0).FullAttention;
        Assert.Equal(full.Core.Flops.Value * RooflineWork.CausalPairs(0, 16384, 2048) / RooflineWork.CausalPairs(0, 16384, 0), sparse.Core.Flops.Value, 1);
        Assert.True(sparse.Indexer.Flops.Value > 0);
        // A prompt no longer than k attends to everything.
        Assert.Equal(RooflineWork.Prefill(dense, layout, 8, p, 2048, 0).FullAttention.Core.Flops, RooflineWork.Prefill(t, layout, 8, p, 2048, 0).FullAttention.Core.Flops);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_new_model_serves_on_every_target_gpu_without_nan_or_infinity(string model)
    {
        foreach (var gpu in TargetGpus)
        {
            foreach (var mode in new[] { "agg", "disagg" })
            {
                string[] args = ["serve", "--model", model, "--gpu", gpu, "--framework", "sglang", "--mode", mode, "--concurrency", "64", "--format", "json"];
                var (exit, output, err) = Cli.Run(args);
                if (exit == 2 && err.Contains("the weights need", StringComparison.Ordinal))
                {
                    // One node does not hold the weights: two nodes at FP8 do.
                    string[] wider = mode == "agg" ? ["--tp", "16"] : ["--prefill-tp", "16", "--decode-tp", "16"];
                    (exit, output, err) = Cli.Run([.. args, "--weights", "fp8", .. wider]);
                }

                Assert.True(exit == 0, $"serve {model} on {gpu} ({mode}): {err}");
                JsonAssert.Finite(output, $"serve {model} on {gpu} ({mode})");
            }
        }
    }

    [Fact]
    public void A_sparse_or_hybrid_config_missing_its_fields_is_refused_naming_them()
    {
        var v32 = File.ReadAllText(Path.Combine(Files.DataDir, "models", "deepseek-v3.2", "config.json")).Replace("\"index_n_heads\": 64,", "", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => ModelCatalog.Parse(v32, "v32", "v32"));
        Assert.Contains("'index_n_heads'", e.Message, StringComparison.Ordinal);

        var next = File.ReadAllText(Path.Combine(Files.DataDir, "models", "qwen3-next-80b-a3b", "config.json")).Replace("\"linear_num_value_heads\": 32,", "\"linear_num_value_heads\": 33,", StringComparison.Ordinal);
        e = Assert.Throws<InputException>(() => ModelCatalog.Parse(next, "next", "next"));
        Assert.Contains("linear_num_value_heads", e.Message, StringComparison.Ordinal);

        var types = """{"model_type": "qwen3_next", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "layer_types": ["linear_attention", "full_attention"]}""";
        e = Assert.Throws<InputException>(() => ModelCatalog.Parse(types, "t", "t"));
        Assert.Contains("layer_types lists 2 layers but num_hidden_layers is 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_architecture_names_the_fields_the_loader_cannot_read()
    {
        var (exit, _, err) = Cli.Run("blocks", "--model", WriteConfig("""{"model_type": "mamba2", "hidden_size": 2560, "num_hidden_layers": 64, "state_size": 128, "conv_kernel": 4, "vocab_size": 50288, "rms_norm_eps": 1e-5}"""));
        Assert.Equal(2, exit);
        Assert.Contains("model_type 'mamba2' is not supported", err, StringComparison.Ordinal);
        Assert.Contains("fields no supported family reads: state_size, conv_kernel", err, StringComparison.Ordinal);
        Assert.DoesNotContain("rms_norm_eps", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Weight_formats_are_refused_where_they_are_not_a_weight()
    {
        var (exit, _, err) = Cli.Run("decode", "--model", "kimi-k2.5", "--gpu", "B200", "--kv-cache", "int4");
        Assert.Equal(2, exit);
        Assert.Contains("--kv-cache: int4 is a format for weights only", err, StringComparison.Ordinal);
        (exit, _, err) = Cli.Run("serve", "--model", "kimi-k2.5", "--gpu", "B200", "--framework", "vllm", "--kv-cache", "int4");
        Assert.Equal(2, exit);
        Assert.Contains("int4 is a format for weights only", err, StringComparison.Ordinal);
        (exit, _, err) = Cli.Run("serve", "--model", "gpt-oss-120b", "--gpu", "B200", "--framework", "vllm", "--kv-cache", "mxfp4");
        Assert.Equal(2, exit);
        Assert.Contains("mxfp4 is a format for weights only", err, StringComparison.Ordinal);
    }

    private static string WriteConfig(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ip-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}

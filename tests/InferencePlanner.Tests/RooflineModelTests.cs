using System.Text.Json;
using InferencePlanner.Hardware;
using InferencePlanner.Models;

namespace InferencePlanner.Tests;

/// <summary>Every built-in model on every built-in GPU, and any config of the supported families, under the roofline model (the default preset).</summary>
public sealed class RooflineModelTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var m in ModelCatalog.BuiltIn)
        {
            data.Add(m.Name);
        }

        return data;
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "configs"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Fact]
    public void The_catalogue_holds_the_models_and_gpus_the_project_promises()
    {
        Assert.Equal(
            ["deepseek-r1", "deepseek-v3", "deepseek-v3.2", "glm-4.5", "glm-5", "gpt-oss-120b", "gpt-oss-20b", "kimi-k2", "kimi-k2.5", "llama-3.1-70b", "llama-3.1-8b", "minimax-m2",
                "mixtral-8x7b", "qwen3-14b", "qwen3-235b-a22b", "qwen3-30b-a3b", "qwen3-32b", "qwen3-8b", "qwen3-next-80b-a3b", "qwen3.5-397b-a17b"],
            ModelCatalog.BuiltIn.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["A100-PCIe", "A100-SXM", "B200", "B300", "GB200", "GB300", "H100-PCIe", "H100-SXM", "H20", "H20-3e", "H200", "H800", "L4", "L40S", "MI300X", "MI325X", "MI355X", "RTX-PRO-6000-Server"],
            GpuCatalog.BuiltIn.Select(g => g.Name).Order(StringComparer.Ordinal));
        Assert.All(GpuCatalog.BuiltIn, g => Assert.False(string.IsNullOrWhiteSpace(g.Source)));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_built_in_model_runs_through_blocks_prefill_and_decode_on_every_built_in_gpu(string model)
    {
        var gpus = GpuCatalog.BuiltIn.SelectMany(g => new[] { "--gpu", g.Name }).ToArray();
        foreach (var command in new[] { "blocks", "prefill", "decode", "batch" })
        {
            var (exit, output, err) = Cli.Run([command, "--model", model, .. command == "blocks" ? Array.Empty<string>() : gpus, "--format", "json"]);
            Assert.True(exit == 0, $"{command} --model {model}: {err}");
            JsonAssert.Finite(output, $"{command} --model {model}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Any_config_of_the_supported_families_loads_by_path_and_runs(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "configs", file);
        foreach (var command in new[] { "blocks", "prefill", "decode" })
        {
            string[] gpus = command == "blocks" ? [] : ["--gpu", "H100-SXM", "--gpu", "GB200"];
            var (exit, output, err) = Cli.Run([command, "--model", path, .. gpus, "--format", "json"]);
            Assert.True(exit == 0, $"{command} {file}: {err}");
            JsonAssert.Finite(output, $"{command} {file}");
        }
    }

    [Fact]
    public void Compare_shows_both_presets_side_by_side_with_what_limits_each()
    {
        var (exit, output, err) = Cli.Run("compare", "--model", "deepseek-v3", "--gpu", "H800", "--gpu", "H20", "--gpu", "B200", "--gpu", "GB200", "--format", "json");
        Assert.True(exit == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(8, rows.Count);
        Assert.Equal(["seed", "default"], rows.Select(r => r.GetProperty("preset").GetString()).Distinct());
        string[] limits = ["compute", "memory bandwidth", "memory capacity", "network (NVLink)", "network (NIC)", "latency"];
        foreach (var row in rows)
        {
            Assert.True(row.GetProperty("prefill tokens/s per node").GetDouble() > 0);
            Assert.True(row.GetProperty("decode tokens/s per GPU").GetDouble() > 0);
            Assert.True(row.GetProperty("tokens/s per user").GetDouble() > 20);
            Assert.Contains(row.GetProperty("prefill limited by").GetString(), limits);
            Assert.Contains(row.GetProperty("decode limited by").GetString(), limits);
        }
    }

    [Fact]
    public void Compare_on_a_dense_model_says_the_seed_cannot_price_it()
    {
        var (exit, output, err) = Cli.Run("compare", "--model", "llama-3.1-70b", "--gpu", "H100-SXM", "--format", "csv");
        Assert.True(exit == 0, err);
        Assert.Contains("H100-SXM,seed,-,n/a", output, StringComparison.Ordinal);
        Assert.Contains("H100-SXM,default,TP", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpt_oss_reads_its_sliding_window_layers_and_mxfp4_experts()
    {
        var t = ModelCatalog.Resolve("gpt-oss-120b").Transformer;
        Assert.Equal(AttentionKind.Gqa, t.Attention.Kind);
        Assert.Equal(128, t.Attention.SlidingWindow);
        Assert.Equal(18, t.Attention.SlidingLayers);
        Assert.Equal(Units.Precision.Mxfp4, Work.PrecisionSet.NativeFor(t).ExpertWeights);
    }

    [Fact]
    public void Mxfp4_weights_multiply_at_the_fp8_rate_where_fp4_units_exist_and_as_weight_only_elsewhere()
    {
        // B200 datasheet: FP8 4.5 PFLOPS and FP4 9 PFLOPS dense. An MXFP4 expert meets MXFP8 activations (TensorRT-LLM's
        // W4A8_MXFP4_MXFP8), at the FP8 rate; NVFP4 with FP4 activations takes the FP4 rate. H200 has no FP4 units: both
        // are dequantised and multiplied at BF16 (989.5 TFLOPS dense).
        var b200 = Hardware.GpuCatalog.Resolve("B200");
        Assert.Equal(4500, b200.PeakRate(b200.ComputePrecision(Units.Precision.Mxfp4)).ToTeraFlops(), 6);
        Assert.Equal(9000, b200.PeakRate(b200.ComputePrecision(Units.Precision.Fp4)).ToTeraFlops(), 6);
        Assert.False(b200.WeightOnly(Units.Precision.Mxfp4));
        var h200 = Hardware.GpuCatalog.Resolve("H200");
        Assert.Equal(989.5, h200.PeakRate(h200.ComputePrecision(Units.Precision.Mxfp4)).ToTeraFlops(), 6);
        Assert.True(h200.WeightOnly(Units.Precision.Mxfp4));
        Assert.True(h200.WeightOnly(Units.Precision.Fp4));
        Assert.False(h200.WeightOnly(Units.Precision.Fp8));
        // Bytes: MXFP4 one 8-bit scale per 32 values, NVFP4 one per 16 (OCP MX specification; NVIDIA's NVFP4).
        Assert.Equal(4.25 / 8, Units.PrecisionExtensions.BytesPerElement(Units.Precision.Mxfp4));
        Assert.Equal(4.5 / 8, Units.PrecisionExtensions.BytesPerElement(Units.Precision.Fp4));
    }

    [Fact]
    public void Attention_kinds_are_read_from_the_configs()
    {
        Assert.Equal(AttentionKind.Mla, ModelCatalog.Resolve("kimi-k2").Transformer.Attention.Kind);
        Assert.Equal(AttentionKind.Gqa, ModelCatalog.Resolve("llama-3.1-70b").Transformer.Attention.Kind);
        var mha = ModelCatalog.Parse("""{"model_type": "llama", "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 2, "num_attention_heads": 16, "vocab_size": 1000}""", "mha", "mha").Transformer;
        Assert.Equal(AttentionKind.Mha, mha.Attention.Kind);
        var mqa = ModelCatalog.Parse("""{"model_type": "llama", "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 2, "num_attention_heads": 16, "num_key_value_heads": 1, "vocab_size": 1000}""", "mqa", "mqa").Transformer;
        Assert.Equal(AttentionKind.Mqa, mqa.Attention.Kind);
    }
}

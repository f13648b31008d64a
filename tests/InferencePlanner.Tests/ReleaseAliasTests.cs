using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Validation;

namespace InferencePlanner.Tests;

/// <summary>Measured rows of releases and GPUs the catalogue holds under another name are read as those.</summary>
public sealed class ReleaseAliasTests
{
    [Theory]
    [InlineData("zai-org/GLM-4.7-FP8", "b300_sxm", "glm-4.5", "B300")]
    [InlineData("meta-llama/Llama-3.3-70B-Instruct", "a100_sxm", "llama-3.1-70b", "A100-SXM")]
    [InlineData("moonshotai/Kimi-K2-Thinking", "gb200", "kimi-k2.5", "GB200")]
    [InlineData("deepseek-ai/DeepSeek-R1-0528", "h200_sxm", "deepseek-r1", "H200")]
    [InlineData("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "h100_sxm", "qwen3-235b-a22b", "H100-SXM")]
    [InlineData("MiniMaxAI/MiniMax-M2.5", "gb300", "minimax-m2", "GB300")]
    public void A_row_names_its_model_and_gpu_as_the_catalogue_holds_them(string modelPath, string system, string model, string gpu)
    {
        var header = string.Join(",", ServingMeasurement.RequiredColumns);
        var values = ServingMeasurement.RequiredColumns.Select(c => c switch
        {
            "id" => "r1",
            "silicon_data_source" => "silicon_concurrency=8",
            "backend" => "sglang",
            "model_path" => modelPath,
            "system" => system,
            "mode" => "agg",
            "isl" => "1024",
            "osl" => "1024",
            "batch_size" => "8",
            "tp_size" => "8",
            "attention_dp_size" => "1",
            "moe_tp_size" => "1",
            "moe_ep_size" => "8",
            "silicon_ttft_ms" => "100",
            "silicon_tpot_ms" => "10",
            _ => "",
        });
        var row = ServingMeasurement.ParseCsv(header + "\n" + string.Join(",", values) + "\n", "test").Single();
        var (c, reason) = ServingCase.Read(row, FrameworkCatalog.Find);
        Assert.True(c is not null, reason);
        Assert.Equal(model, c.Model.Name);
        Assert.Equal(gpu, c.Gpu.Name);
    }

    [Fact]
    public void A_release_of_a_built_in_architecture_resolves_under_its_own_name()
    {
        var m = ModelCatalog.Resolve("GLM-4.7");
        Assert.Equal("glm-4.7", m.Name);
        Assert.Equal(ModelCatalog.Resolve("glm-4.5").Transformer, m.Transformer);
        Assert.Null(ModelCatalog.Alias("glm-9"));
    }
}

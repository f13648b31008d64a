using InferencePlanner.Models;
using InferencePlanner.Work;

namespace InferencePlanner.Tests;

public sealed class ModelTests
{
    [Fact]
    public void The_shipped_config_json_reads_as_the_article_ModelArgs()
    {
        var model = ModelCatalog.Resolve("deepseek-v3");
        Assert.Equal(MlaMoeArchitecture.DeepSeekV3, model.RequireMla());
        Assert.Equal(MlaMoeArchitecture.DeepSeekV3, ModelCatalog.Resolve(Files.Reference("deepseek-v3-config.json")).RequireMla());
    }

    [Theory]
    // No scaling: the config's own figure.
    [InlineData(@"""max_position_embeddings"": 40960", 40960)]
    // YaRN as Qwen documents it for Qwen3 (32,768 trained positions, factor 4): 131,072, longer than the stated 40,960.
    [InlineData(@"""max_position_embeddings"": 40960, ""rope_scaling"": {""rope_type"": ""yarn"", ""factor"": 4.0, ""original_max_position_embeddings"": 32768}", 131072)]
    // DeepSeek-V3's config: 4,096 x 40 equals the stated 163,840.
    [InlineData(@"""max_position_embeddings"": 163840, ""rope_scaling"": {""type"": ""yarn"", ""factor"": 40, ""original_max_position_embeddings"": 4096}", 163840)]
    // Linear scaling without an original window stretches the stated one.
    [InlineData(@"""max_position_embeddings"": 4096, ""rope_parameters"": {""rope_type"": ""linear"", ""factor"": 2.0}", 8192)]
    // Llama 3's scaling already counts in the stated window (8,192 x 8 = 65,536 would shorten it; the stated 131,072 holds).
    [InlineData(@"""max_position_embeddings"": 131072, ""rope_scaling"": {""rope_type"": ""llama3"", ""factor"": 8.0, ""original_max_position_embeddings"": 8192}", 131072)]
    // A scaling that would shorten the window never does.
    [InlineData(@"""max_position_embeddings"": 131072, ""rope_scaling"": {""rope_type"": ""yarn"", ""factor"": 2.0, ""original_max_position_embeddings"": 4096}", 131072)]
    public void The_context_window_is_the_stated_one_or_what_a_stretching_rope_makes_of_it(string fields, int window)
    {
        var config = "{\"model_type\": \"llama\", \"hidden_size\": 1024, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, \"num_key_value_heads\": 8, "
            + "\"intermediate_size\": 4096, \"vocab_size\": 32000, " + fields + "}";
        var model = ModelCatalog.Parse(config, "m", "m.json");
        Assert.Equal(window, model.Transformer.ContextWindow);
        model.RequireContext(window - 100, 100);
        Assert.Contains($"context window of {window} tokens", Assert.Throws<InputException>(() => model.RequireContext(window - 100, 101)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_without_a_window_admits_any_request()
    {
        var model = ModelCatalog.Parse("{\"model_type\": \"llama\", \"hidden_size\": 1024, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, \"num_key_value_heads\": 8, \"intermediate_size\": 4096, \"vocab_size\": 32000}", "m", "m.json");
        Assert.Null(model.Transformer.ContextWindow);
        model.RequireContext(10_000_000, 10_000_000);
    }

    [Fact]
    public void Parameters_match_the_article_block_counts()
    {
        // Section 1.4 of the seed: MLA 187.17M, dense MLP 396.41M, expert 44.05M, gate 1.83M, embedding 926.67M; total about 671.2B.
        var m = MlaMoeArchitecture.DeepSeekV3;
        Assert.Equal(187_173_952, MlaWork.StandardParameters(m));
        Assert.Equal(598_147_072, MlaWork.AbsorbedParameters(m));
        Assert.Equal(396_405_760, FeedForwardWork.DenseMlpParameters(m));
        Assert.Equal(44_051_456, FeedForwardWork.ExpertParameters(m));
        Assert.Equal(7168 * 256 + 256, FeedForwardWork.GateParameters(m)); // the article prints 1.83M, truncated
        Assert.Equal(671.2, Math.Round(ParameterSummary.Total(m) / 1e9, 1));
    }

    [Fact]
    public void A_model_without_query_compression_loads_and_counts_its_direct_query_projection()
    {
        // DeepSeek-V2-Lite: q_lora_rank is null, queries are projected straight from the hidden state.
        const string config = """
            {"model_type": "deepseek_v2", "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
             "num_hidden_layers": 27, "first_k_dense_replace": 1, "num_attention_heads": 16, "n_routed_experts": 64,
             "n_shared_experts": 2, "num_experts_per_tok": 6, "n_group": 1, "topk_group": 1, "q_lora_rank": null,
             "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 102400}
            """;
        var m = ModelCatalog.Parse(config, "v2-lite", "v2-lite").RequireMla();
        Assert.Equal(0, m.QLoraRank);

        // wq: 2048 x 16 x 192 with bias; no q_norm.
        var withoutQuery = MlaWork.StandardParameters(m) - (2048.0 * 16 * 192 + 16 * 192);
        Assert.Equal(2048.0 * 576 + 576 + 512 + 512.0 * 16 * 256 + 16 * 256 + 16.0 * 128 * 2048 + 2048, withoutQuery);

        // Total about 15.7B (DeepSeek-V2-Lite's published size), within 2%.
        Assert.InRange(ParameterSummary.Total(m) / 1e9, 15.7 * 0.98, 15.7 * 1.02);
    }
}

public sealed class ParameterSummaryTests
{
    [Fact]
    public void Other_parameters_are_the_summary_lines_outside_MLA_and_experts()
    {
        var m = MlaMoeArchitecture.DeepSeekV3;
        var lines = ParameterSummary.Lines(m).Where(l => l.Block is not ("MLA" or "Expert")).Sum(l => l.Total);
        Assert.Equal(lines, ParameterSummary.OtherParameters(m));

        // The article: 671.16B - MLA x 61 - experts x 257 x 58 = 3.13B (from its rounded total); exact counting gives 3.149B.
        Assert.InRange(ParameterSummary.OtherParameters(m) / 1e9, 3.13, 3.15);
    }
}

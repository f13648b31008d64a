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

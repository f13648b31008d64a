using InferencePlanner.Models;
using InferencePlanner.Work;

namespace InferencePlanner.Tests;

/// <summary>Parameter counts of every built-in model against the figures their publishers give (data/models/README.md).</summary>
public sealed class PublishedParameterTests
{
    // Publishers count active parameters two ways: Mistral, Qwen and Meta include the input embedding table;
    // OpenAI and Moonshot leave it out (a token reads one row of it, it is no GEMM). DeepSeek's "37B" is stated
    // to two figures; leaving the table out gives 36.6B, within its rounding, which is the check made for it.
    // name, published total (billions), published active (billions), whether the published active counts the input embedding.
    public static TheoryData<string, double, double, bool> Published() => new()
    {
        { "deepseek-v3", 671, 37, false },
        { "deepseek-r1", 671, 37, false },
        { "kimi-k2", 1030, 32, false },
        { "qwen3-235b-a22b", 235, 22, true },
        { "llama-3.1-70b", 70.6, 70.6, true },
        { "mixtral-8x7b", 46.7, 12.9, true },
        { "gpt-oss-120b", 117, 5.1, false },
        { "qwen3-32b", 32.8, 32.8, true },
        { "llama-3.1-8b", 8.03, 8.03, true },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void Total_and_active_parameters_match_the_published_figures(string name, double total, double active, bool withEmbedding)
    {
        var t = ModelCatalog.Resolve(name).Transformer;
        var gotTotal = TransformerParameters.Total(t) / 1e9;
        var gotActive = (withEmbedding ? TransformerParameters.Active(t) : TransformerParameters.ActiveWithoutEmbedding(t)) / 1e9;
        if (name.StartsWith("deepseek", StringComparison.Ordinal))
        {
            Assert.True(Math.Abs(gotTotal / total - 1) <= 0.01, $"{name}: total {gotTotal:F2}B vs published {total}B");
            Assert.InRange(gotActive, active - 0.5, active + 0.5);
            return;
        }

        Assert.True(Math.Abs(gotTotal / total - 1) <= 0.01, $"{name}: total {gotTotal:F2}B vs published {total}B");
        Assert.True(Math.Abs(gotActive / active - 1) <= 0.01, $"{name}: active {gotActive:F2}B vs published {active}B");
    }
}

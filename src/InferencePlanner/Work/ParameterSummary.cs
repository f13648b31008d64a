using InferencePlanner.Models;

namespace InferencePlanner.Work;

/// <summary>One line of the parameter summary: a block, its parameters per layer, and how many layers have it.</summary>
/// <param name="Block">Block name.</param>
/// <param name="PerLayer">Parameters of one copy.</param>
/// <param name="CopiesPerLayer">Copies per layer (experts: routed + shared).</param>
/// <param name="Layers">Layers holding it.</param>
public readonly record struct ParameterLine(string Block, double PerLayer, int CopiesPerLayer, int Layers)
{
    /// <summary>All copies over all layers.</summary>
    public double Total => PerLayer * CopiesPerLayer * Layers;
}

/// <summary>The model's parameters by block and layer count, as section 1 of the seed sums them (Linear biases included).</summary>
public static class ParameterSummary
{
    /// <summary>The lines of the summary, in the article's order.</summary>
    public static IReadOnlyList<ParameterLine> Lines(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return
        [
            new("MLA", MlaWork.StandardParameters(m), 1, m.Layers),
            new("DenseMLP", FeedForwardWork.DenseMlpParameters(m), 1, m.DenseLayers),
            new("Expert", FeedForwardWork.ExpertParameters(m), m.RoutedExperts + m.SharedExperts, m.MoeLayers),
            new("Gate", FeedForwardWork.GateParameters(m), 1, m.MoeLayers),
            new("Embedding", (double)m.Vocab * m.Dim, 1, 1),
            new("Output", (double)m.Vocab * m.Dim, 1, 1),
        ];
    }

    /// <summary>All parameters of the main model (the multi-token-prediction module is not counted).</summary>
    public static double Total(MlaMoeArchitecture m) => Lines(m).Sum(l => l.Total);

    /// <summary>Parameters outside the MLA blocks and the experts: dense MLPs, gates, embedding and output.</summary>
    public static double OtherParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return FeedForwardWork.DenseMlpParameters(m) * m.DenseLayers + FeedForwardWork.GateParameters(m) * m.MoeLayers + 2.0 * m.Vocab * m.Dim;
    }
}

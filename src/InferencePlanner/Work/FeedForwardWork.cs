using InferencePlanner.Models;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>SwiGLU feed-forward work: three projections (w1, w3 up; w2 down) of a given width.</summary>
public static class FeedForwardWork
{
    /// <summary>FLOPs of the dense MLP of the first layers for <paramref name="tokens"/> tokens: 3 x n x dim x inter_dim x 2.</summary>
    public static Flops DenseMlp(MlaMoeArchitecture m, double tokens)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Flops.FromMacs(3 * tokens * m.Dim * (double)m.InterDim);
    }

    /// <summary>FLOPs of one expert (shared or routed) over <paramref name="tokens"/> tokens: 3 x n x dim x moe_inter_dim x 2.</summary>
    public static Flops Expert(MlaMoeArchitecture m, double tokens)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Flops.FromMacs(3 * tokens * m.Dim * (double)m.MoeInterDim);
    }

    /// <summary>Parameters of the dense MLP with Linear biases (396.41M for DeepSeek-V3).</summary>
    public static double DenseMlpParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return SwiGluParameters(m.Dim, m.InterDim);
    }

    /// <summary>Parameters of one expert with Linear biases (44.05M for DeepSeek-V3).</summary>
    public static double ExpertParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return SwiGluParameters(m.Dim, m.MoeInterDim);
    }

    /// <summary>Parameters of the router of one MoE layer, with its bias: dim x routed + routed.</summary>
    public static double GateParameters(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return MlaWork.Linear(m.Dim, m.RoutedExperts);
    }

    private static double SwiGluParameters(double dim, double inter) =>
        MlaWork.Linear(dim, inter) + MlaWork.Linear(inter, dim) + MlaWork.Linear(dim, inter);
}

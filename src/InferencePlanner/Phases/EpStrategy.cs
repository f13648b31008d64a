using InferencePlanner.Models;

namespace InferencePlanner.Phases;

/// <summary>
/// An expert-parallel layout for decode: the routed experts, plus redundant copies for load balancing,
/// spread evenly over <see cref="Ep"/> GPUs, each also holding the shared experts.
/// </summary>
/// <param name="Ep">GPUs the experts are spread over.</param>
/// <param name="RedundantExperts">Extra copies of hot experts.</param>
/// <param name="RoutedExperts">The model's routed experts.</param>
/// <param name="SharedExperts">The model's shared experts, one copy per GPU.</param>
/// <param name="TopK">Routed experts per token.</param>
public sealed record EpStrategy(int Ep, int RedundantExperts, int RoutedExperts, int SharedExperts, int TopK)
{
    /// <summary>The article's EP strategies, largest first as its max-batch table orders them.</summary>
    public static IReadOnlyList<int> ArticleEps { get; } = [320, 144, 72, 34];

    /// <summary>
    /// The strategy for <paramref name="ep"/> GPUs with the fewest redundant experts (at least
    /// <paramref name="minRedundant"/>) that spread evenly: EP34 takes 16, EP72 and EP144 take 32, EP320 takes 64.
    /// </summary>
    public static EpStrategy For(MlaMoeArchitecture m, int ep, int minRedundant)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (ep <= 0)
        {
            throw new InputException($"--ep must be a positive whole number, got {ep}");
        }

        var redundant = Math.Max(minRedundant, 0);
        while ((m.RoutedExperts + redundant) % ep != 0)
        {
            redundant++;
        }

        return new EpStrategy(ep, redundant, m.RoutedExperts, m.SharedExperts, m.ActivatedExperts);
    }

    /// <summary>Routed experts (with redundant copies) per GPU.</summary>
    public double RoutedPerGpu => (RoutedExperts + RedundantExperts) / (double)Ep;

    /// <summary>Experts whose weights a GPU holds: routed copies plus the shared experts.</summary>
    public double ExpertsPerGpu => RoutedPerGpu + SharedExperts;

    /// <summary>Tokens a GPU sends per step for <paramref name="batch"/> requests: the routed copies whose expert is not local.</summary>
    public double CommTokens(double batch) => batch * TopK * (1 - RoutedPerGpu / RoutedExperts);

    /// <summary>Routed tokens a GPU computes per step: the batch's top-k copies, under perfect balance.</summary>
    public double ComputeTokens(double batch) => batch * TopK;

    /// <summary>Name as the article writes it.</summary>
    public string Label => "EP" + Ep.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

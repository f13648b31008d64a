using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Work;

namespace InferencePlanner.Reporting;

/// <summary>Inputs of the roofline model a command passes through: precisions, expert balance, memory share.</summary>
/// <param name="Precisions">Precisions; null for each model's native ones.</param>
/// <param name="Options">Memory share and expert imbalance.</param>
/// <param name="Redundant">Redundant experts; null for the fewest that spread the experts evenly.</param>
public sealed record RooflineInputs(Func<TransformerSpec, PrecisionSet> Precisions, RooflineOptions Options, int? Redundant)
{
    /// <summary>Whether to add low and high predictions from the spread of the kernel data.</summary>
    public bool Band { get; init; }
}

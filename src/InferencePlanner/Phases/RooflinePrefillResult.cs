namespace InferencePlanner.Phases;

/// <summary>A prefill evaluation under the roofline model.</summary>
/// <param name="PerLayers">Times for one prompt per DP group through all layers.</param>
/// <param name="TokensPerSecondPerGpu">Prompt tokens (cached or not) per second per GPU, communication not hidden.</param>
/// <param name="TokensPerSecondPerGpuOverlapped">The same with two-micro-batch overlap hiding dispatch and combine.</param>
public readonly record struct RooflinePrefillResult(Breakdown PerLayers, double TokensPerSecondPerGpu, double TokensPerSecondPerGpuOverlapped);

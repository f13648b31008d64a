namespace InferencePlanner.Serving;

/// <summary>The CUDA-graph batch cap of engines of fewer than <paramref name="BelowGpus"/> GPUs, each of less than <paramref name="BelowMemoryGB"/> GB.</summary>
/// <param name="BelowGpus">Engines of fewer GPUs than this (the framework's tensor-parallel size) take the smaller cap.</param>
/// <param name="BelowMemoryGB">Only on GPUs of less memory than this, GB.</param>
/// <param name="MaxBatch">The smaller cap: the largest decode batch per data-parallel group replayed from a CUDA graph.</param>
public sealed record SmallEngineGraphs(int BelowGpus, double BelowMemoryGB, int MaxBatch);

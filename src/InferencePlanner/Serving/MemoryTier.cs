namespace InferencePlanner.Serving;

/// <summary>
/// A framework's defaults on GPUs of less memory than <paramref name="BelowMemoryGB"/> (and of at least the tier below's):
/// SGLang picks its chunk budget and its CUDA-graph batch cap by the GPU's memory, the cap smaller on engines of few GPUs.
/// A null field keeps the framework's own value.
/// </summary>
/// <param name="BelowMemoryGB">The tier holds GPUs of less memory than this, GB.</param>
/// <param name="ChunkTokens">The chunk budget, prompt tokens per step and data-parallel group.</param>
/// <param name="CudaGraphMaxBatch">The largest decode batch per data-parallel group replayed from a CUDA graph.</param>
/// <param name="SmallEngineCudaGraphMaxBatch">The same on engines of fewer GPUs than <see cref="ServingFramework.SmallEngineGpus"/>.</param>
public sealed record MemoryTier(double BelowMemoryGB, int? ChunkTokens, int? CudaGraphMaxBatch, int? SmallEngineCudaGraphMaxBatch);

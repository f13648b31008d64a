using InferencePlanner.Work;

namespace InferencePlanner.Serving;

/// <summary>
/// An engine layout checked against a model, GPU and framework, with its weights and memory resolved
/// (<see cref="ServingModel.Prepare"/>): evaluating it under a workload is arithmetic.
/// </summary>
/// <param name="Engine">The layout as given.</param>
/// <param name="Layout">The default model's layout it is priced with.</param>
/// <param name="Domain">GPUs of the engine inside one scale-up domain.</param>
/// <param name="Budget">The chunk budget, prompt tokens per step and data-parallel group.</param>
/// <param name="WeightsGB">Weights per GPU, GB.</param>
/// <param name="KvCapacityGB">KV cache per GPU the framework's memory share leaves, GB.</param>
/// <param name="ReserveGB">The framework's reserve per GPU, GB.</param>
/// <param name="CapacityGB">HBM per GPU, GB.</param>
/// <param name="MaxRunningByCap">The cap on running requests over the engine: the layout's max batch per DP group, else the framework's.</param>
public readonly record struct PreparedEngine(
    EngineLayout Engine, RooflineLayout Layout, int Domain, int Budget, double WeightsGB, double KvCapacityGB, double ReserveGB, double CapacityGB, double MaxRunningByCap)
{
    /// <summary>Whether the weights fit only with the framework's memory share raised above its default (the least reserve it runs with).</summary>
    public bool MemoryShareRaised { get; init; }

    /// <summary>
    /// Step prices kept for a search that evaluates this engine under one workload many times (null: every step priced
    /// afresh, as a single evaluation does). Used only for the workload it was made for.
    /// </summary>
    public StepCache? Cache { get; init; }

    /// <summary>The largest decode batch per data-parallel group the engine replays from a CUDA graph (the framework's cap for this GPU and engine size).</summary>
    public int CudaGraphMaxBatch { get; init; }

    /// <summary>The largest decode batch per GPU whose steps replay CUDA graphs (<see cref="CudaGraphMaxBatch"/> per DP group of TP GPUs); past it a step launches its kernels one by one.</summary>
    public double LastGraphedPerGpu => (double)CudaGraphMaxBatch / Layout.Tp;

    /// <summary>GPUs of the engine.</summary>
    public int Gpus => Engine.Gpus;

    /// <summary>Data-parallel attention groups.</summary>
    public int Dp => Layout.Dp;

    /// <summary>Memory of one GPU with <paramref name="running"/> requests over the engine.</summary>
    public ServingMemory MemoryAt(double running, double perRequestGB) =>
        new(CapacityGB, WeightsGB, ReserveGB, KvCapacityGB, Math.Min(KvCapacityGB, running / Gpus * perRequestGB));
}

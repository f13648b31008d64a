using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Planning;

/// <summary>One evaluated deployment: a GPU type, a mode and layout, a concurrency, and its steady state.</summary>
/// <param name="Gpu">The GPU type.</param>
/// <param name="Mode">Aggregated or disaggregated.</param>
/// <param name="Engine">The aggregated engine; null when disaggregated.</param>
/// <param name="Disaggregated">The prefill and decode workers; null when aggregated.</param>
/// <param name="Concurrency">Requests in flight.</param>
/// <param name="Result">The steady state.</param>
public sealed record PlanPoint(GpuSpec Gpu, ServingMode Mode, EngineLayout? Engine, DisaggregatedLayout? Disaggregated, int Concurrency, ServingResult Result)
{
    /// <summary>The step budget: prompt tokens per step and data-parallel group of the engine, or of the prefill workers.</summary>
    public int ChunkTokens { get; init; }

    /// <summary>Whether decode steps may run as two overlapped micro-batches.</summary>
    public bool TwoBatchOverlap { get; init; }

    /// <summary>Multi-token prediction: draft tokens per step (0: none).</summary>
    public int MtpDrafts { get; init; }

    /// <summary>The KV-cache format.</summary>
    public Units.Precision KvCache { get; init; } = Units.Precision.Bf16;

    /// <summary>Heterogeneous disaggregation: the prefill workers' GPU type (<see cref="Gpu"/> is the decode workers'); null otherwise.</summary>
    public GpuSpec? PrefillGpu { get; init; }

    /// <summary>The GPU type or types as people write them.</summary>
    public string GpuText => GpuTextOf(Gpu, PrefillGpu);

    /// <summary>The GPU type, or the prefill and decode types of heterogeneous disaggregation, as people write them.</summary>
    public static string GpuTextOf(GpuSpec gpu, GpuSpec? prefillGpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return prefillGpu is { } p ? $"{p.Name} prefill, {gpu.Name} decode" : gpu.Name;
    }

    /// <summary>GPUs of the prefill workers (0 when aggregated).</summary>
    public int PrefillGpus => Disaggregated is { } d ? d.Prefill.Gpus * d.PrefillWorkers : 0;

    /// <summary>GPUs of one replica of the deployment.</summary>
    public int Gpus => Result.Gpus;

    /// <summary>The layout as people write it.</summary>
    public string Describe(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return Mode == ServingMode.Aggregated
            ? Engine!.Describe(t)
            : $"{Disaggregated!.PrefillWorkers}P{Disaggregated.DecodeWorkers}D: prefill {Disaggregated.Prefill.Describe(t)}, decode {Disaggregated.Decode.Describe(t)}";
    }

    /// <summary>The mode as people write it.</summary>
    public string ModeText => Mode.ShortName();

    /// <summary>The engine that decodes: the aggregated engine, or the decode workers'.</summary>
    public EngineLayout DecodeEngine => Engine ?? Disaggregated!.Decode;

    /// <summary>
    /// Share of the GPU time spent on prompts: in aggregated serving the prefill chunks' part of each output token's
    /// time; in disaggregated serving the prefill workers' share of the GPUs.
    /// </summary>
    public double PrefillShare => Mode == ServingMode.Aggregated
        ? Result.Tpot.SharedPrefill / Result.Tpot.Total
        : (double)Disaggregated!.Prefill.Gpus * Disaggregated.PrefillWorkers / Disaggregated.Gpus;
}

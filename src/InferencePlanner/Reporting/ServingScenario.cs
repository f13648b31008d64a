using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Reporting;

/// <summary>The serving scenario a command evaluates: what is served, on what, how, under which workload.</summary>
/// <param name="Model">The model.</param>
/// <param name="Gpu">The GPU.</param>
/// <param name="Framework">The serving framework.</param>
/// <param name="Precisions">Precisions.</param>
/// <param name="Workload">The workload.</param>
/// <param name="Mode">Aggregated or disaggregated.</param>
/// <param name="Engine">Aggregated: the engine's layout.</param>
/// <param name="Disaggregated">Disaggregated: the workers.</param>
/// <param name="ChunkTokens">The chunk budget (disaggregated: the prefill workers'); null for the framework's default.</param>
public sealed record ServingScenario(
    ModelSpec Model, GpuSpec Gpu, ServingFramework Framework, PrecisionSet Precisions, ServingWorkload Workload, ServingMode Mode,
    EngineLayout? Engine, DisaggregatedLayout? Disaggregated, int? ChunkTokens)
{
    /// <summary>Multi-token prediction: draft tokens per step (0: none).</summary>
    public int MtpDrafts { get; init; }

    /// <summary>Whether decode steps of MoE engines with expert parallelism may run as two overlapped micro-batches.</summary>
    public bool TwoBatchOverlap { get; init; }

    /// <summary>Evaluates the scenario.</summary>
    public ServingResult Evaluate() => EvaluateWithStep().Result;

    /// <summary>Evaluates the scenario, with the decode step at its operating point by component and the kernel data it was priced with.</summary>
    public (ServingResult Result, Phases.Breakdown DecodeStep, string Kernels) EvaluateWithStep()
    {
        var m = new ServingModel(Model, Gpu, Framework, Precisions, MtpDrafts, TwoBatchOverlap);
        if (Mode == ServingMode.Aggregated)
        {
            var e = m.Prepare(Engine ?? throw new InputException("aggregated serving needs an engine layout"), ChunkTokens);
            var r = m.Aggregated(e, Workload);
            return (r, m.DecodeStepBreakdown(e, r.StepBatchPerGpu, Workload), m.KernelDescription);
        }

        var d = Disaggregated ?? throw new InputException("disaggregated serving needs prefill and decode layouts");
        var decode = m.PrepareDecode(d.Decode);
        var result = m.Disaggregated(m.Prepare(d.Prefill, ChunkTokens, "prefill"), d.PrefillWorkers, decode, d.DecodeWorkers, Workload);
        return (result, m.DecodeStepBreakdown(decode, result.StepBatchPerGpu, Workload), m.KernelDescription);
    }

    /// <summary>The layout as people write it.</summary>
    public string LayoutText
    {
        get
        {
            var t = Model.Transformer;
            return Mode == ServingMode.Aggregated
                ? Engine!.Describe(t)
                : $"{Disaggregated!.PrefillWorkers}P{Disaggregated.DecodeWorkers}D: prefill {Disaggregated.Prefill.Describe(t)}, decode {Disaggregated.Decode.Describe(t)}";
        }
    }
}

using BenchmarkDotNet.Attributes;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Benchmarks;

/// <summary>
/// Cost of one serving evaluation on a prepared engine (the steady state solved for the decode batch): the path a
/// planner repeats for every concurrency and layout. Allocation must stay at zero bytes.
/// </summary>
[MemoryDiagnoser]
public class ServingBenchmarks
{
    private ServingModel _model = null!;
    private PreparedEngine _engine, _prefill;
    private readonly ServingWorkload _workload = new(1024, 1024, 256, 0, 10, 0.2);

    [GlobalSetup]
    public void Setup()
    {
        var m = ModelCatalog.Resolve("deepseek-v3");
        _model = new ServingModel(m, GpuCatalog.Resolve("H200"), FrameworkCatalog.Resolve("sglang"), PrecisionSet.NativeFor(m.Transformer));
        _engine = _model.Prepare(new EngineLayout(1, 8, 1, 8));
        _prefill = _model.Prepare(EngineLayout.TensorParallel(8));
    }

    /// <summary>Aggregated serving of DeepSeek-V3 on 8 x H200 at TP1 x DP8, EP8, concurrency 256.</summary>
    [Benchmark]
    public double Aggregated() => _model.Aggregated(_engine, _workload).Tpot.Total;

    /// <summary>Disaggregated serving, 1P2D.</summary>
    [Benchmark]
    public double Disaggregated() => _model.Disaggregated(_prefill, 1, _engine, 2, _workload).Tpot.Total;
}

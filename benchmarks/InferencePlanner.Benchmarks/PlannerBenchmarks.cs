using BenchmarkDotNet.Attributes;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Planning;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Benchmarks;

/// <summary>
/// A whole plan through the public API: DeepSeek-V3 on H200 under SGLang, ISL 1024 / OSL 1024, at least 20 tokens/s
/// per user, aggregated and disaggregated, every layout up to two nodes, three step budgets, BF16 and FP8 KV cache. The candidates evaluated per plan are printed
/// by the plan itself (PlanResult.Evaluated); candidates per second = that over the mean time. LargePlan asks the same of
/// a GB200 NVL72 rack with a BF16 KV cache, over a million candidates.
/// </summary>
[MemoryDiagnoser]
public class PlannerBenchmarks
{
    private PlanRequest _request = null!;
    private PlanRequest _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        var m = ModelCatalog.Resolve("deepseek-v3");
        _request = new PlanRequest(m, [GpuCatalog.Resolve("H200")], FrameworkCatalog.Resolve("sglang"), PrecisionSet.NativeFor(m.Transformer), 1024, 1024, 0,
            new PlanTargets(null, null, 20))
        {
            KvCaches = [Units.Precision.Bf16, Units.Precision.Fp8],
        };
        // The same question over a GB200 NVL72 rack (engines up to 64 GPUs, BF16 KV cache): more than a million candidates.
        _large = _request with { Gpus = [GpuCatalog.Resolve("GB200")], KvCaches = null };
        Console.WriteLine($"// candidates per plan: {ServingPlanner.Plan(_request).Evaluated}; large plan: {ServingPlanner.Plan(_large).Evaluated}");
    }

    /// <summary>One plan; returns the candidates it evaluated.</summary>
    [Benchmark]
    public long Plan() => ServingPlanner.Plan(_request).Evaluated;

    /// <summary>A plan of over a million candidates (GB200, engines up to 64 GPUs); returns the candidates it evaluated.</summary>
    [Benchmark]
    public long LargePlan() => ServingPlanner.Plan(_large).Evaluated;
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;

namespace InferencePlanner.Benchmarks;

/// <summary>
/// Cost of evaluating one layout with the seed preset: the path a layout search repeats millions of times.
/// Allocation must stay at zero bytes per evaluation.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private readonly MlaMoeArchitecture _model = MlaMoeArchitecture.DeepSeekV3;
    private readonly GpuSpec _gpu = GpuCatalog.Resolve("H800");
    private readonly SeedCostPolicy _policy = new(new SeedOptions());
    private readonly DecodeScenario _decode = DecodeScenario.Article;
    private readonly PrefillScenario _prefill = PrefillScenario.Article;
    private SeedDecode.Context _context;

    [GlobalSetup]
    public void Setup() => _context = SeedDecode.Prepare(_gpu, _policy);

    /// <summary>One decode row on a prepared GPU.</summary>
    [Benchmark]
    public double DecodeRow() => SeedDecode.Evaluate(_model, _context, _decode, 128, _policy.Options).Tpot.Seconds;

    /// <summary>One prefill layout, from GPU figures to tokens/s per node.</summary>
    [Benchmark]
    public double PrefillLayout() => SeedPrefill.Evaluate(_model, _gpu, _prefill, _policy).TokensPerSecondPerNode;

    /// <summary>The memory capacity of one decode layout.</summary>
    [Benchmark]
    public double MaxBatch() => SeedCapacity.MaxBatch(_model, _gpu, _decode, 1, 3, true, Units.Precision.Fp8, _policy.Options);
}

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

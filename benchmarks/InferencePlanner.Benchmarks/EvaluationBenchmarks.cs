using BenchmarkDotNet.Attributes;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Work;

namespace InferencePlanner.Benchmarks;

/// <summary>
/// Cost of evaluating one layout with the seed preset: the path a layout search repeats millions of times.
/// Allocation must stay at zero bytes per evaluation.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private readonly MlaMoeArchitecture _model = MlaMoeArchitecture.DeepSeekV3;
    private readonly GpuSpec _gpu = GpuCatalog.Resolve("H800", seed: true);
    private readonly SeedCostPolicy _policy = new(new SeedOptions());
    private readonly DecodeScenario _decode = DecodeScenario.Article;
    private readonly PrefillScenario _prefill = PrefillScenario.Article;
    private SeedDecode.Context _context;

    private readonly TransformerSpec _transformer = ModelCatalog.Resolve("deepseek-v3").Transformer;
    private readonly RooflineOptions _options = new();
    private RooflinePolicy _roofline = null!;
    private RooflineLayout _layout = null!;
    private PrecisionSet _precisions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _context = SeedDecode.Prepare(_gpu, _policy);
        _roofline = new RooflinePolicy(GpuCatalog.Resolve("H800"));
        _layout = RooflineLayout.For(_transformer, 144, 1, null, 1.3);
        _precisions = PrecisionSet.NativeFor(_transformer);
    }

    /// <summary>One decode step of the roofline model: describe every operator, price it, add up, check memory.</summary>
    [Benchmark]
    public double RooflineDecode() => RooflinePhases.Decode(_transformer, _roofline, _layout, _precisions, 64, 4383, 1210, _options).Step.Overlapped.Seconds;

    /// <summary>One prefill layout of the roofline model.</summary>
    [Benchmark]
    public double RooflinePrefill() => RooflinePhases.Prefill(_transformer, _roofline, _layout, _precisions, 4383, 0.563).TokensPerSecondPerGpu;

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

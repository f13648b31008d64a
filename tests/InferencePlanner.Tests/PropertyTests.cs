using CsCheck;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Tests;

/// <summary>Invariants the seed's model must keep at any input.</summary>
public sealed class PropertyTests
{
    private static readonly MlaMoeArchitecture V3 = MlaMoeArchitecture.DeepSeekV3;
    private static readonly GpuSpec H800 = GpuCatalog.Resolve("H800", seed: true);
    private static readonly SeedCostPolicy Seed = new(new SeedOptions());

    [Fact]
    public void Projection_and_feed_forward_flops_are_linear_in_tokens()
    {
        Gen.Select(Gen.Int[1, 100_000], Gen.Int[1, 100_000]).Sample((a, b) =>
        {
            Close(FeedForwardWork.Expert(V3, a + b).Value, FeedForwardWork.Expert(V3, a).Value + FeedForwardWork.Expert(V3, b).Value);
            Close(FeedForwardWork.DenseMlp(V3, a + b).Value, FeedForwardWork.DenseMlp(V3, a).Value + FeedForwardWork.DenseMlp(V3, b).Value);

            // With q = kv = n attention is quadratic, but for a fixed context the work is linear in the queries.
            var ctx = 4096;
            Close(MlaWork.Absorbed(V3, a + b, ctx, 1).Total.Value, MlaWork.Absorbed(V3, a, ctx, 1).Total.Value + MlaWork.Absorbed(V3, b, ctx, 1).Total.Value);
        });
    }

    [Fact]
    public void More_bandwidth_or_compute_is_never_slower()
    {
        Gen.Select(Gen.Double[1, 4], Gen.Int[0, 4], Gen.Int[1, 512], Gen.Int[256, 32768]).Sample((factor, which, bs, seq) =>
        {
            var faster = which switch
            {
                0 => H800 with { Fp8Tflops = H800.Fp8Tflops * factor, Fp16Tflops = H800.Fp16Tflops * factor },
                1 => H800 with { MemoryBandwidthGBps = H800.MemoryBandwidthGBps * factor },
                2 => H800 with { ScaleUpBandwidthGBps = H800.ScaleUpBandwidthGBps * factor },
                3 => H800 with { ScaleOutBandwidthGBps = H800.ScaleOutBandwidthGBps * factor },
                _ => H800 with { CommSms = 0 },
            };
            var d = new DecodeScenario(seq, 1000);
            Assert.True(SeedDecode.Evaluate(V3, faster, d, bs, Seed).Tpot <= SeedDecode.Evaluate(V3, H800, d, bs, Seed).Tpot);
            var p = PrefillScenario.Article with { SeqLen = seq };
            Assert.True(SeedPrefill.Evaluate(V3, faster, p, Seed).Sum <= SeedPrefill.Evaluate(V3, H800, p, Seed).Sum);
        });
    }

    [Fact]
    public void More_memory_never_gives_a_smaller_batch()
    {
        Gen.Select(Gen.Double[40, 300], Gen.Double[0, 200], Gen.OneOf(1, 4, 8), Gen.Double[1, 10], Gen.Bool).Sample((mem, extra, tp, experts, absorbed) =>
        {
            var d = DecodeScenario.Article;
            var small = SeedCapacity.MaxBatch(V3, H800 with { MemoryGB = mem }, d, tp, experts, absorbed, Precision.Fp8, Seed.Options);
            var large = SeedCapacity.MaxBatch(V3, H800 with { MemoryGB = mem + extra }, d, tp, experts, absorbed, Precision.Fp8, Seed.Options);
            Assert.True(large >= small);
        });
    }

    [Fact]
    public void The_experts_of_an_EP_layout_add_up_to_all_experts_and_their_copies()
    {
        Gen.Select(Gen.Int[1, 512], Gen.Int[0, 64]).Sample((ep, minRedundant) =>
        {
            var s = EpStrategy.For(V3, ep, minRedundant);
            Assert.True(s.RedundantExperts >= minRedundant);
            Assert.Equal(V3.RoutedExperts + s.RedundantExperts, s.RoutedPerGpu * ep, 9);
            Assert.Equal(Math.Floor(s.RoutedPerGpu), s.RoutedPerGpu);
        });
    }

    [Fact]
    public void TPOT_grows_with_batch_and_with_context()
    {
        Gen.Select(Gen.Int[1, 1024], Gen.Int[1, 1024], Gen.Int[1, 65536], Gen.Int[0, 65536]).Sample((bs, more, seq, longer) =>
        {
            var d = new DecodeScenario(seq, 1000);
            var tp = 1; // a fixed TP: the seed's per-row choice may switch TP between batch sizes
            Assert.True(SeedDecode.Evaluate(V3, H800, d, bs + more, Seed, tp).Tpot >= SeedDecode.Evaluate(V3, H800, d, bs, Seed, tp).Tpot);
            Assert.True(SeedDecode.Evaluate(V3, H800, new DecodeScenario(seq + longer, 1000), bs, Seed, tp).Tpot >= SeedDecode.Evaluate(V3, H800, d, bs, Seed, tp).Tpot);
        });
    }

    [Fact]
    public void Tensor_parallel_shards_add_up_to_the_whole_plus_the_all_reduce()
    {
        Gen.Select(Gen.OneOf(2, 4, 8), Gen.Int[1, 32768]).Sample((tp, seq) =>
        {
            var p = PrefillScenario.Article with { SeqLen = seq, Tp = tp, Dp = 32 / tp };
            var r = SeedPrefill.Evaluate(V3, H800, p, Seed);
            Close(r.Mla.Tp1.Seconds, tp * (r.Mla.TpN - r.Mla.AllReduce).Seconds);
        });
    }

    private static void Close(double a, double b) => Assert.True(Math.Abs(a - b) <= 1e-9 * Math.Max(Math.Abs(a), Math.Abs(b)), $"{a:R} vs {b:R}");
}

using CsCheck;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;

namespace InferencePlanner.Tests;

/// <summary>
/// The library against <see cref="SeedReference"/> at random inputs the article never used: other models of
/// the family, sequence lengths, cache-hit rates, layouts, batch sizes and GPU figures. Agreement to 1e-6
/// relative shows nothing is special-cased on the article's inputs.
/// </summary>
public sealed class SeedAgreementTests
{
    private const double Tolerance = 1e-6;

    private static readonly Gen<SeedReference.Args> GenModel =
        Gen.Select(Gen.Int[8, 64], Gen.Int[8, 160], Gen.Int[2, 80], Gen.Int[0, 3], Gen.OneOf(16, 32, 64, 128), Gen.OneOf(64, 128, 160, 256))
        .Select(Gen.Int[0, 2], Gen.Int[1, 8], Gen.Int[2, 24], Gen.Int[1, 4], Gen.Int[1000, 160000],
            (t, shared, topk, qlora64, groups, vocab) => new SeedReference.Args(
                Dim: t.Item1 * 128, InterDim: t.Item2 * 128, MoeInterDim: t.Item1 * 32, Layers: t.Item3, DenseLayers: Math.Min(t.Item4, t.Item3 - 1),
                Heads: t.Item5, Routed: t.Item6, Shared: shared, TopK: topk, QLora: qlora64 * 64, KvLora: 512, Nope: 128, Rope: 64, VHead: 128,
                LimitedGroups: groups, Vocab: vocab));

    private static readonly Gen<SeedReference.Gpu> GenGpu =
        Gen.Select(Gen.Int[16, 200], Gen.Double[10, 5000], Gen.Double[16, 300], Gen.Double[500, 10000], Gen.Double[10, 1000], Gen.Double[1, 200])
        .Select(Gen.OneOf("X", "H20_3e"), Gen.Double[0.05, 0.5], (t, name, commShare) => new SeedReference.Gpu(
            name, t.Item1, Math.Floor(t.Item1 * commShare), t.Item2 / 2, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, 8));

    [Fact]
    public void Prefill_agrees_with_the_reference_at_random_inputs()
    {
        Gen.Select(GenModel, GenGpu, Gen.Int[1, 65536], Gen.Double[0, 1], Gen.OneOf(1, 2, 4, 8), Gen.Int[1, 16], Gen.Double[0.3, 1])
            .Sample((a, g, seq, hit, tp, nodes, discount) =>
            {
                var heads = (int)a.Heads;
                var dp = nodes * 8 / tp;
                var policy = new SeedCostPolicy(new SeedOptions { Discount = discount });
                var r = SeedPrefill.Evaluate(Arch(a), Spec(g), new PrefillScenario(seq, hit, tp, dp, nodes), policy);
                var want = SeedReference.Prefill(a, g, seq, hit, tp, dp, nodes, discount);
                double[] got =
                [
                    r.Mla.Tp1.Milliseconds, r.Mla.AllReduce.Milliseconds, r.Mla.TpN.Milliseconds, r.DenseMlp.Milliseconds, r.SharedExpert.Milliseconds,
                    r.RoutedExpert.Milliseconds, r.Dispatch.Milliseconds, r.Combine.Milliseconds, r.SumOverlap.Milliseconds, r.Sum.Milliseconds,
                    r.TokensPerSecondPerNodeOverlap, r.TokensPerSecondPerNode, r.KvCacheRateOverlapFp8,
                ];
                AssertClose(want, got, $"prefill seq {seq} hit {hit} tp {tp} nodes {nodes} heads {heads}");
            }, iter: 2000);
    }

    [Fact]
    public void Decode_agrees_with_the_reference_at_random_inputs()
    {
        Gen.Select(GenModel, GenGpu, Gen.Int[1, 131072], Gen.Int[1, 2048], Gen.Double[0.3, 1])
            .Sample((a, g, seq, bs, discount) =>
            {
                var policy = new SeedCostPolicy(new SeedOptions { Discount = discount });
                var r = SeedDecode.Evaluate(Arch(a), Spec(g), new DecodeScenario(seq, 100), bs, policy);
                var want = SeedReference.Decode(a, g, seq, bs, discount);
                double[] got =
                [
                    r.Tp1.Milliseconds, r.Tp4.Milliseconds, r.Tp8.Milliseconds, r.LoadKvFp8.Milliseconds, r.DenseMla.Milliseconds, r.SparseMla.Milliseconds,
                    r.DenseMlp.Milliseconds, r.SharedExpert.Milliseconds, r.RoutedExpert.Milliseconds, r.Dispatch.Milliseconds, r.Combine.Milliseconds,
                    r.TpotOverlap.Milliseconds, r.Tpot.Milliseconds, r.TotalOverlap, r.TimeBudget.Milliseconds,
                ];
                AssertClose(want, got, $"decode seq {seq} bs {bs}");
            }, iter: 2000);
    }

    [Fact]
    public void Max_batch_agrees_with_the_reference_for_other_models()
    {
        Gen.Select(GenModel, GenGpu, Gen.Int[1, 65536], Gen.Int[1, 8192], Gen.OneOf(1, 2, 4, 8), Gen.Double[1, 12], Gen.Bool, Gen.Bool)
            .Sample((a, g, seq, decodeLen, tp, experts, absorb, fp16) =>
            {
                var arch = Arch(a);
                if (arch == MlaMoeArchitecture.DeepSeekV3)
                {
                    return;
                }

                var got = SeedCapacity.MaxBatch(arch, Spec(g), new DecodeScenario(seq, decodeLen), tp, experts, absorb, fp16 ? Precision.Bf16 : Precision.Fp8, new SeedOptions());
                var want = SeedReference.MaxBatch(a, g, seq, decodeLen, tp, experts, absorb, fp16);
                AssertClose([want], [got], "max batch");
            }, iter: 2000);
    }

    [Fact]
    public void Max_batch_uses_the_article_constants_for_DeepSeek_V3_at_any_workload()
    {
        Gen.Select(GenGpu, Gen.Int[1, 65536], Gen.Int[1, 8192], Gen.OneOf(1, 2, 4, 8), Gen.Double[1, 12], Gen.Bool, Gen.Bool)
            .Sample((g, seq, decodeLen, tp, experts, absorb, fp16) =>
            {
                var got = SeedCapacity.MaxBatch(MlaMoeArchitecture.DeepSeekV3, Spec(g), new DecodeScenario(seq, decodeLen), tp, experts, absorb,
                    fp16 ? Precision.Bf16 : Precision.Fp8, new SeedOptions());
                var want = SeedReference.MaxBatchWith(SeedReference.V3, g, seq, decodeLen, tp, experts, fp16, 2.91, absorb ? 598.14 : 187.17, 44.05);
                AssertClose([want], [got], "V3 max batch");
            }, iter: 1000);
    }

    private static void AssertClose(double[] want, double[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (var i = 0; i < want.Length; i++)
        {
            Assert.True(double.IsFinite(got[i]), $"{what}: value {i} is {got[i]}");
            var scale = Math.Max(Math.Abs(want[i]), 1e-12);
            Assert.True(Math.Abs(got[i] - want[i]) <= Tolerance * scale, $"{what}: value {i}: reference {want[i]:R}, library {got[i]:R}");
        }
    }

    internal static MlaMoeArchitecture Arch(SeedReference.Args a) => new(
        (int)a.Dim, (int)a.InterDim, (int)a.MoeInterDim, (int)a.Layers, (int)a.DenseLayers, (int)a.Heads, (int)a.Routed, (int)a.Shared, (int)a.TopK,
        ExpertGroups: 8, LimitedGroups: (int)a.LimitedGroups, (int)a.QLora, (int)a.KvLora, (int)a.Nope, (int)a.Rope, (int)a.VHead, (int)a.Vocab);

    internal static GpuSpec Spec(SeedReference.Gpu g) => new(
        g.Name, (int)g.Sm, (int)g.CommSm, g.Fp16, g.Fp8, g.Mem, g.MemBw, g.NvLink, g.Nic, g.PerNode, "random");
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>Prefill MLA times on one GPU (the seed's prefill MLA table).</summary>
public readonly record struct PrefillMlaTimes(Duration Gemm, Duration Attention, Duration Tp1, Duration AllReduce, Duration Tp4, Duration Tp8, Duration TpN);

/// <summary>
/// One prefill evaluation: per-layer times and the totals over all layers for one data-parallel group's
/// sequence, as the seed adds them up.
/// </summary>
public readonly record struct PrefillResult(
    PrefillMlaTimes Mla,
    Duration DenseMlp,
    Duration SharedExpert,
    Duration RoutedExpert,
    Duration Dispatch,
    Duration Combine,
    int DenseLayers,
    int MoeLayers,
    Duration SumOverlap,
    Duration Sum,
    double TokensPerSecondPerNodeOverlap,
    double TokensPerSecondPerNode,
    double KvCacheRateOverlapFp8,
    double KvCacheRateFp8)
{
    /// <summary>KV cache rate with FP16 storage, twice the FP8 figure.</summary>
    public double KvCacheRateOverlapFp16 => 2 * KvCacheRateOverlapFp8;

    /// <summary>KV cache rate with FP16 storage, twice the FP8 figure.</summary>
    public double KvCacheRateFp16 => 2 * KvCacheRateFp8;
}

/// <summary>
/// The seed's prefill phase: prices the layer's operators and adds them up.
/// Sum(Overlap) = dense layers x (MLA TP1 + dense MLP) + MoE layers x (MLA TPn + shared + routed);
/// Sum adds MoE layers x (dispatch + combine), i.e. no communication hidden.
/// </summary>
public static class SeedPrefill
{
    /// <summary>Evaluates one scenario on one GPU. Validates the inputs first.</summary>
    public static PrefillResult Evaluate(MlaMoeArchitecture m, GpuSpec gpu, PrefillScenario s, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(policy);
        s.Validate(m, gpu);
        var work = SeedWork.Prefill(m, s, gpu.GpusPerNode, policy.Options);
        var r = policy.Rates(gpu, Phase.Prefill);

        var gemm = SeedCostPolicy.Price(work.MlaGemm, r);
        var attention = SeedCostPolicy.Price(work.MlaAttention, r);
        var tp1 = gemm + attention;
        var allReduce = SeedCostPolicy.Price(work.AllReduce, r);
        var mla = new PrefillMlaTimes(gemm, attention, tp1, allReduce, tp1 / 4 + allReduce, tp1 / 8 + allReduce, AtTp(tp1, allReduce, s.Tp));

        var denseMlp = SeedCostPolicy.Price(work.DenseMlp, r);
        var shared = SeedCostPolicy.Price(work.SharedExpert, r);
        var routed = SeedCostPolicy.Price(work.RoutedExpert, r);
        var dispatch = SeedCostPolicy.Price(work.Dispatch, r);
        var combine = SeedCostPolicy.Price(work.Combine, r);

        var sumOverlap = m.DenseLayers * (tp1 + denseMlp) + m.MoeLayers * (mla.TpN + shared + routed);
        var sum = sumOverlap + m.MoeLayers * (dispatch + combine);

        // Each sum is the time for every DP group to process one sequence of seq_len tokens.
        var tokens = (double)s.Dp * s.SeqLen;
        var tpsOverlap = tokens * 1000 / sumOverlap.Milliseconds / s.Nodes;
        var tps = tokens * 1000 / sum.Milliseconds / s.Nodes;

        // The article's KV figure: tokens/s x one layer's FP8 latent (576 B) / 2^20, which it labels GB/s.
        double kvBytes = m.KvElementsPerTokenPerLayer;
        return new PrefillResult(
            mla, denseMlp, shared, routed, dispatch, combine, m.DenseLayers, m.MoeLayers, sumOverlap, sum, tpsOverlap, tps,
            tpsOverlap * kvBytes / Bytes.BytesPerMiB, tps * kvBytes / Bytes.BytesPerMiB);
    }

    /// <summary>MLA split over <paramref name="tp"/> ranks: TP1 time / tp, plus the all-reduce (none at TP1).</summary>
    public static Duration AtTp(Duration tp1, Duration allReduce, int tp) => tp == 1 ? tp1 : tp1 / tp + allReduce;
}

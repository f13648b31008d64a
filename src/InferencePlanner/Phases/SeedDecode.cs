using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>One row of the seed's decode table: one GPU at one batch size per GPU.</summary>
public readonly record struct DecodeRow(
    int Batch,
    Duration Tp1,
    Duration AllReduce,
    Duration Tp4,
    Duration Tp8,
    Duration LoadKvFp8,
    Duration LoadKvFp16,
    int ChosenTp,
    Duration DenseMla,
    Duration DenseMlp,
    Duration SparseMla,
    Duration SharedExpert,
    Duration RoutedExpert,
    Duration Dispatch,
    Duration Combine,
    Duration TpotOverlap,
    Duration Tpot,
    int DenseLayers,
    int MoeLayers)
{
    /// <summary>Tokens per second per user with communication hidden.</summary>
    public double TpsOverlap => 1000 / TpotOverlap.Milliseconds;

    /// <summary>Tokens per second per user without overlap.</summary>
    public double Tps => 1000 / Tpot.Milliseconds;

    /// <summary>Tokens per second per GPU with communication hidden.</summary>
    public double TotalOverlap => TpsOverlap * Batch;

    /// <summary>Tokens per second per GPU without overlap.</summary>
    public double Total => Tps * Batch;

    /// <summary>Time left to hide dispatch and combine behind attention and the shared expert: SparseMLA + shared - (dispatch + combine).</summary>
    public Duration TimeBudget => SparseMla + SharedExpert - (Dispatch + Combine);
}

/// <summary>
/// The seed's decode phase. Per layer and GPU: absorbed MLA at TP1 (TP4, TP8 = TP1/n + all-reduce), the
/// FP8 KV read, the chosen TP (quirk D), dense MLP, experts at the grouped-GEMM efficiency, dispatch and
/// combine over the NIC; TPOT(Overlap) = dense layers x (DenseMLA + DenseMLP) + MoE layers x (SparseMLA +
/// shared + routed); TPOT adds MoE layers x (dispatch + combine).
/// </summary>
public static class SeedDecode
{
    /// <summary>What decode needs of one GPU under one policy, resolved once so that evaluating a layout does no lookups.</summary>
    /// <param name="Rates">The policy's decode rates for the GPU.</param>
    /// <param name="TpWhenFaster">The TP a row uses when TP4 beats TP1 (quirk D).</param>
    public readonly record struct Context(EffectiveRates Rates, int TpWhenFaster);

    /// <summary>Resolves the decode rates and TP rule for <paramref name="gpu"/>.</summary>
    public static Context Prepare(GpuSpec gpu, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(policy);
        return new Context(policy.Rates(gpu, Phase.Decode), policy.Options.TpWhenFasterFor(gpu.Name));
    }

    /// <summary>Evaluates one batch size. <paramref name="forcedTp"/> overrides the seed's TP choice when set.</summary>
    public static DecodeRow Evaluate(MlaMoeArchitecture m, GpuSpec gpu, DecodeScenario s, int batch, SeedCostPolicy policy, int? forcedTp = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Evaluate(m, Prepare(gpu, policy), s, batch, policy.Options, forcedTp);
    }

    /// <summary>Evaluates one batch size on a prepared GPU: no allocation, no string handling.</summary>
    public static DecodeRow Evaluate(MlaMoeArchitecture m, in Context gpu, DecodeScenario s, int batch, SeedOptions o, int? forcedTp = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        var work = SeedWork.Decode(m, s.SeqLen, batch, Precision.Fp8, o);
        var r = gpu.Rates;

        var tp1 = SeedCostPolicy.Price(work.MlaGemm, r) + SeedCostPolicy.Price(work.MlaAttention, r);
        var allReduce = SeedCostPolicy.Price(work.AllReduce, r);
        var tp4 = SeedPrefill.AtTp(tp1, allReduce, 4);
        var tp8 = SeedPrefill.AtTp(tp1, allReduce, 8);
        var kv8 = SeedCostPolicy.Price(work.KvRead, r);
        var kv16 = SeedCostPolicy.Price(SeedWork.KvRead(m, s.SeqLen, batch, Precision.Bf16), r);

        var tp = forcedTp ?? (tp1 > tp4 ? gpu.TpWhenFaster : 1);
        var denseMla = tp1 + kv8;
        var sparseMla = SeedPrefill.AtTp(tp1, allReduce, tp) + kv8;
        var denseMlp = SeedCostPolicy.Price(work.DenseMlp, r);
        var shared = SeedCostPolicy.Price(work.SharedExpert, r);
        var routed = SeedCostPolicy.Price(work.RoutedExpert, r);
        var dispatch = SeedCostPolicy.Price(work.Dispatch, r);
        var combine = SeedCostPolicy.Price(work.Combine, r);

        var tpotOverlap = (denseMla + denseMlp) * m.DenseLayers + (sparseMla + shared + routed) * m.MoeLayers;
        var tpot = tpotOverlap + (dispatch + combine) * m.MoeLayers;
        return new DecodeRow(batch, tp1, allReduce, tp4, tp8, kv8, kv16, tp, denseMla, denseMlp, sparseMla, shared, routed, dispatch, combine,
            tpotOverlap, tpot, m.DenseLayers, m.MoeLayers);
    }
}

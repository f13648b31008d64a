using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;

namespace InferencePlanner.Work;

/// <summary>
/// One prefill layer's work on one GPU, as the seed describes it. The MLA operators are one data-parallel
/// group's whole sequence (TP1); the phase divides them over the tensor-parallel ranks.
/// </summary>
public readonly record struct PrefillLayerWork(
    Operator MlaGemm,
    Operator MlaAttention,
    Operator AllReduce,
    Operator DenseMlp,
    Operator SharedExpert,
    Operator RoutedExpert,
    Operator Dispatch,
    Operator Combine);

/// <summary>One decode layer's work on one GPU for a batch, as the seed describes it (MLA in absorbed form, TP1).</summary>
public readonly record struct DecodeLayerWork(
    Operator MlaGemm,
    Operator MlaAttention,
    Operator AllReduce,
    Operator KvRead,
    Operator DenseMlp,
    Operator SharedExpert,
    Operator RoutedExpert,
    Operator Dispatch,
    Operator Combine);

/// <summary>
/// The seed's description of the work of DeepSeek-style layers: which operators run, on how many tokens,
/// moving how many bytes. Pricing lives in <see cref="SeedCostPolicy"/>.
/// </summary>
public static class SeedWork
{
    /// <summary>Bytes per element of the dispatch payload (FP8) and of the combine payload (BF16).</summary>
    private const double DispatchBytesPerElement = 1.0, CombineBytesPerElement = 2.0, AllReduceBytesPerElement = 2.0;

    /// <summary>The prefill work of one layer per GPU.</summary>
    public static PrefillLayerWork Prefill(MlaMoeArchitecture m, PrefillScenario s, int gpusPerNode, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        double seq = s.SeqLen;
        var missed = seq * (1 - s.CacheHit);
        var mla = MlaWork.Standard(m, o.PrefillQueriesForAllTokens ? seq : missed, seq, s.CacheHit);
        var mlpTokens = o.PrefillDenseMlpForAllTokens ? seq : missed;

        // Every DP group brings seq tokens; the shared expert's share per GPU is dp x seq / GPUs, the routed
        // experts' share is that times top-k (perfect balance).
        var sharedTokens = s.Dp * seq / s.Gpus;
        var routedTokens = seq * s.Dp * m.ActivatedExperts / s.Gpus;

        // A token's experts span at most `dispatchNodes` nodes, so each of the node's DP groups sends its
        // tokens to (dispatchNodes - 1) remote nodes; the node's traffic leaves through its GPUs' NICs.
        var dispatchNodes = Math.Min(DispatchNodes(m, s, o), s.Nodes);
        var dpGroupsPerNode = gpusPerNode / (double)s.Tp;
        var nodeDispatch = (dispatchNodes - 1) * dpGroupsPerNode * seq * m.Dim;
        var dispatch = Bytes.FromBytes(nodeDispatch * DispatchBytesPerElement / gpusPerNode);

        return new PrefillLayerWork(
            MlaGemm: Operator.Compute(OperatorKind.Gemm, Precision.Fp8, mla.Gemm),
            MlaAttention: Operator.Compute(OperatorKind.Attention, Precision.Bf16, mla.Attention),
            AllReduce: Operator.Collective(OperatorKind.AllReduce, Bytes.FromBytes(seq * m.Dim * AllReduceBytesPerElement), Link.ScaleUp),
            DenseMlp: Operator.Compute(OperatorKind.Gemm, Precision.Fp8, FeedForwardWork.DenseMlp(m, mlpTokens)),
            SharedExpert: Operator.Compute(OperatorKind.ExpertGemm, Precision.Fp8, FeedForwardWork.Expert(m, sharedTokens) * m.SharedExperts),
            RoutedExpert: Operator.Compute(OperatorKind.ExpertGemm, Precision.Fp8, FeedForwardWork.Expert(m, routedTokens)),
            Dispatch: Operator.Collective(OperatorKind.Dispatch, dispatch, Link.ScaleOut),
            Combine: Operator.Collective(OperatorKind.Combine, dispatch * (CombineBytesPerElement / DispatchBytesPerElement), Link.ScaleOut));
    }

    /// <summary>Nodes a token's experts may span (the article's dispatch_node).</summary>
    public static int DispatchNodes(MlaMoeArchitecture m, PrefillScenario s, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        return o.DispatchNodesFromTopkGroup ? m.LimitedGroups : s.Nodes;
    }

    /// <summary>The decode work of one layer per GPU for <paramref name="batch"/> requests attending over <paramref name="seqLen"/> tokens.</summary>
    public static DecodeLayerWork Decode(MlaMoeArchitecture m, int seqLen, int batch, Precision kvPrecision, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(o);
        double bs = batch;

        // One new query per request over seqLen cached tokens; nothing to down-project (hit rate 1).
        var mla = MlaWork.Absorbed(m, 1, seqLen, 1);
        var reduced = o.DecodeAllReduceOverSeqLen ? seqLen : bs;
        var dispatch = Bytes.FromBytes(bs * m.Dim * m.ActivatedExperts * DispatchBytesPerElement);
        return new DecodeLayerWork(
            MlaGemm: Operator.Compute(OperatorKind.Gemm, Precision.Fp8, mla.Gemm * bs),
            MlaAttention: Operator.Compute(OperatorKind.Attention, Precision.Bf16, mla.Attention * bs),
            AllReduce: Operator.Collective(OperatorKind.AllReduce, Bytes.FromBytes(reduced * m.Dim * AllReduceBytesPerElement), Link.ScaleUp),
            KvRead: KvRead(m, seqLen, bs, kvPrecision),
            DenseMlp: Operator.Compute(OperatorKind.Gemm, Precision.Fp8, FeedForwardWork.DenseMlp(m, bs)),
            SharedExpert: Operator.Compute(OperatorKind.ExpertGemm, Precision.Fp8, FeedForwardWork.Expert(m, bs) * m.SharedExperts),
            RoutedExpert: Operator.Compute(OperatorKind.ExpertGemm, Precision.Fp8, FeedForwardWork.Expert(m, bs * m.ActivatedExperts)),
            Dispatch: Operator.Collective(OperatorKind.Dispatch, dispatch, Link.ScaleOut),
            Combine: Operator.Collective(OperatorKind.Combine, dispatch * (CombineBytesPerElement / DispatchBytesPerElement), Link.ScaleOut));
    }

    /// <summary>Reading one layer's KV cache for a batch: seqLen x (kv_lora_rank + rope) elements per request.</summary>
    public static Operator KvRead(MlaMoeArchitecture m, int seqLen, double batch, Precision kvPrecision)
    {
        ArgumentNullException.ThrowIfNull(m);
        return Operator.MemoryRead(OperatorKind.KvRead, Bytes.FromBytes(seqLen * (double)m.KvElementsPerTokenPerLayer * batch * kvPrecision.BytesPerElement()));
    }
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Reporting;

/// <summary>
/// Builds the seed's tables from evaluations. Titles, columns and row labels follow the seed's restatement
/// (section 5 of seed-model.md), so the report reads like the article.
/// </summary>
public static class SeedTables
{
    private const int Ms = 3;

    /// <summary>Per-block accounting: parameters, MLA FLOPs in both forms, FLOP ratios and KV bytes per token.</summary>
    public static Table Blocks(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        const int avgKv = 4989; // the article's average KV length per output token (prompt + half the output)
        var std = MlaWork.Standard(m, 1, 1, 0);
        var abs = MlaWork.Absorbed(m, 1, 1, 0);
        var prefillRatio = MlaWork.Absorbed(m, avgKv, avgKv, 0).Total / MlaWork.Standard(m, avgKv, avgKv, 0).Total;
        var decodeRatio = MlaWork.Absorbed(m, 1, avgKv, 1).Total / MlaWork.Standard(m, 1, avgKv, 1).Total;
        var kvPerToken = (double)m.KvElementsPerTokenPerLayer * m.Layers;
        return new Table("blocks", "Blocks", ["quantity", "value"],
        [
            ["MLA params (with biases, as ptflops counts)", Cell.Of(MlaWork.StandardParameters(m), 0)],
            ["MLA absorbed params", Cell.Of(MlaWork.AbsorbedParameters(m), 0)],
            ["Dense MLP params", Cell.Of(FeedForwardWork.DenseMlpParameters(m), 0)],
            ["Expert params", Cell.Of(FeedForwardWork.ExpertParameters(m), 0)],
            ["mla_flops(1,1,rate=0) total/gemm/attn GFLOP", Cell.Many(9, std.Total.ToGiga(), std.Gemm.ToGiga(), std.Attention.ToGiga())],
            ["mla_absorb_flops(1,1,rate=0) total/gemm/attn GFLOP", Cell.Many(9, abs.Total.ToGiga(), abs.Gemm.ToGiga(), abs.Attention.ToGiga())],
            [$"absorbed/normal FLOP ratio, prefill ({avgKv},{avgKv},rate 0)", Cell.Of(prefillRatio, 4)],
            [$"absorbed/normal FLOP ratio, decode (1,{avgKv},rate 1)", Cell.Of(decodeRatio, 4)],
            [$"KV cache bytes per token, all {m.Layers} layers, FP8 / FP16", Cell.Many(0, kvPerToken, 2 * kvPerToken)],
        ]);
    }

    /// <summary>Parameters by block and layer count (section 1.4 of the seed).</summary>
    public static Table ParameterSummaryTable(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var lines = ParameterSummary.Lines(m);
        var rows = lines.Select(l => (IReadOnlyList<Cell>)
            [l.Block, Cell.Of(l.PerLayer / 1e6, 2), Cell.Of(l.CopiesPerLayer, 0), Cell.Of(l.Layers, 0), Cell.Of(l.Total / 1e9, 3)]).ToList();
        rows.Add(["SUM", "-", "-", "-", Cell.Of(ParameterSummary.Total(m) / 1e9, 3)]);
        return new Table("parameters", "Parameters by block", ["block", "params per copy (M)", "copies per layer", "layers", "total (B)"], rows,
            ["Linear biases and the MLA norm weights included, as ptflops counts them; the multi-token-prediction module is not counted."]);
    }

    /// <summary>Per-block cost per token: parameters, FLOPs (2 x MACs, one token attending to one) and KV cache bytes.</summary>
    public static Table BlockCosts(MlaMoeArchitecture m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var kv = (double)m.KvElementsPerTokenPerLayer;
        return new Table("block-costs", "Cost per token by block", ["block", "params (M)", "GFLOP per token", "KV bytes per token per layer (FP8)"],
        [
            ["MLA", Cell.Of(MlaWork.StandardParameters(m) / 1e6, 2), Cell.Of(MlaWork.Standard(m, 1, 1, 0).Total.ToGiga(), 5), Cell.Of(kv, 0)],
            ["MLA_absorb", Cell.Of(MlaWork.AbsorbedParameters(m) / 1e6, 2), Cell.Of(MlaWork.Absorbed(m, 1, 1, 0).Total.ToGiga(), 5), Cell.Of(kv, 0)],
            ["DenseMLP", Cell.Of(FeedForwardWork.DenseMlpParameters(m) / 1e6, 2), Cell.Of(FeedForwardWork.DenseMlp(m, 1).ToGiga(), 5), "-"],
            ["Expert", Cell.Of(FeedForwardWork.ExpertParameters(m) / 1e6, 2), Cell.Of(FeedForwardWork.Expert(m, 1).ToGiga(), 5), "-"],
        ]);
    }

    /// <summary>The prefill MLA table: GEMM and attention at TP1, the all-reduce, and TP4/TP8.</summary>
    public static Table PrefillMla(PrefillScenario s, IReadOnlyList<(GpuSpec Gpu, PrefillResult Result)> results)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(results);
        return new Table("prefill-mla", $"Prefill MLA (ms), seq_len {Num.S(s.SeqLen)}, cache hit {Num.S(s.CacheHit)}",
            ["GPU", "GEMM_FP8", "ATTN_FP16", "TP1", "AllReduce", "TP4", "TP8"],
            results.Select(r => (IReadOnlyList<Cell>)
            [
                r.Gpu.Name, T(r.Result.Mla.Gemm), T(r.Result.Mla.Attention), T(r.Result.Mla.Tp1), T(r.Result.Mla.AllReduce),
                T(r.Result.Mla.Tp4), T(r.Result.Mla.Tp8),
            ]).ToList());
    }

    /// <summary>Per-layer prefill times with their layer counts, one column per GPU.</summary>
    public static Table PrefillLayers(PrefillScenario s, IReadOnlyList<(GpuSpec Gpu, PrefillResult Result)> results)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(results);
        var first = results[0].Result;
        IReadOnlyList<Cell> Row(string name, int layers, Func<PrefillResult, Duration> pick) =>
            [name, Cell.Of(layers, 0), .. results.Select(r => T(pick(r.Result)))];
        return new Table($"prefill-layers-tp{s.Tp}", $"Prefill per-layer times (ms), TP{Num.S(s.Tp)} DP{Num.S(s.Dp)}",
            ["layer", "layers", .. results.Select(r => r.Gpu.Name)],
            [
                Row("MLA", first.DenseLayers, r => r.Mla.Tp1),
                Row("DenseMLP", first.DenseLayers, r => r.DenseMlp),
                Row("TP_MLA", first.MoeLayers, r => r.Mla.TpN),
                Row("SharedExpert", first.MoeLayers, r => r.SharedExpert),
                Row("RoutedExpert", first.MoeLayers, r => r.RoutedExpert),
                Row("Dispatch", first.MoeLayers, r => r.Dispatch),
                Row("Combine", first.MoeLayers, r => r.Combine),
            ]);
    }

    /// <summary>Prefill totals: sums with and without overlap, tokens/s per node, KV cache produced per node.</summary>
    public static Table PrefillTotals(PrefillScenario s, IReadOnlyList<(GpuSpec Gpu, PrefillResult Result)> results)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(results);
        IReadOnlyList<Cell> Row(string name, Func<PrefillResult, double> pick) => [name, .. results.Select(r => Cell.Of(pick(r.Result), Ms))];
        return new Table($"prefill-totals-tp{s.Tp}", $"Prefill totals, TP{Num.S(s.Tp)} DP{Num.S(s.Dp)}, {Num.S(s.Nodes)} nodes",
            ["figure", .. results.Select(r => r.Gpu.Name)],
            [
                Row("Sum(Overlap) ms", r => r.SumOverlap.Milliseconds),
                Row("Sum ms", r => r.Sum.Milliseconds),
                Row("tokens/s per node (Overlap)", r => r.TokensPerSecondPerNodeOverlap),
                Row("tokens/s per node", r => r.TokensPerSecondPerNode),
                Row("KV cache GB/s per node FP8 (Overlap)", r => r.KvCacheRateOverlapFp8),
                Row("KV cache GB/s per node FP8", r => r.KvCacheRateFp8),
                Row("KV cache GB/s per node FP16 (Overlap)", r => r.KvCacheRateOverlapFp16),
                Row("KV cache GB/s per node FP16", r => r.KvCacheRateFp16),
            ],
            [
                "Sum = one sequence of seq_len tokens per DP group through all layers; (Overlap) assumes dispatch and combine fully hidden.",
                "tokens/s counts every prompt token, cached or not. The KV figure is the article's: tokens/s x one layer's FP8 latent (kv_lora_rank + rope = 576 B) / 2^20, labelled GB/s; all layers would be that times the layer count.",
            ]);
    }

    /// <summary>The article's RDMA study: one GPU at several NIC bandwidths.</summary>
    public static Table PrefillNicStudy(PrefillScenario s, IReadOnlyList<(string Label, PrefillResult Result)> results)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(results);
        IReadOnlyList<Cell> Row(string name, Func<PrefillResult, Duration> pick) => [name, .. results.Select(r => T(pick(r.Result)))];
        return new Table("prefill-nic", $"Prefill H20 with less RDMA bandwidth (NIC 50 / 25 / 12.5 GB/s), TP{Num.S(s.Tp)} DP{Num.S(s.Dp)}",
            ["figure", .. results.Select(r => r.Label)],
            [
                Row("TP_MLA", r => r.Mla.TpN),
                Row("SharedExpert", r => r.SharedExpert),
                Row("Dispatch", r => r.Dispatch),
                Row("RoutedExpert", r => r.RoutedExpert),
                Row("Combine", r => r.Combine),
                Row("Sum(Overlap)", r => r.SumOverlap),
                Row("Sum", r => r.Sum),
            ]);
    }

    /// <summary>The max-batch table: every GPU x KV precision x MLA form, for each EP strategy.</summary>
    public static Table MaxBatch(MlaMoeArchitecture m, IReadOnlyList<GpuSpec> gpus, DecodeScenario s, int tp, IReadOnlyList<EpStrategy> eps, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(eps);
        var rows = new List<IReadOnlyList<Cell>>();
        var anyNegative = false;
        foreach (var kv in (Precision[])[Precision.Fp8, Precision.Bf16])
        {
            foreach (var gpu in gpus)
            {
                foreach (var absorbed in (bool[])[false, true])
                {
                    var values = eps.Select(e => SeedCapacity.MaxBatch(m, gpu, s, tp, e.ExpertsPerGpu, absorbed, kv, o)).ToList();
                    anyNegative |= values.Any(v => v < 0);
                    rows.Add([$"{gpu.Name}_{kv.Label()}{(absorbed ? "_Absorb" : "")}", .. values.Select(v => Cell.Of(v, 0))]);
                }
            }
        }

        var c = SeedMemoryConstants.For(m, o);
        List<string> notes =
        [
            $"Requests per GPU, rounded to the nearest as the article prints them; the largest batch that fits is the whole part (decode --ep). Experts per GPU: {string.Join(", ", eps.Select(e => $"{e.Label} {Num.S(e.ExpertsPerGpu)}"))} (routed with redundant copies, plus shared).",
            $"Memory: {Num.S(o.MemoryUtilization)} x HBM, less {Num.S(c.OtherWeightsGB)} GB of other weights, MLA weights ({Num.S(c.MlaMillions)}M or absorbed {Num.S(c.AbsorbedMlaMillions)}M per layer, / TP) and {Num.S(c.ExpertMillions)}M per expert, at one byte per parameter{(c.Rounded ? " (the article's rounded DeepSeek-V3 constants)" : "")}.",
        ];
        if (anyNegative)
        {
            notes.Add("A negative value means the weights alone do not fit in memory.");
        }

        return new Table($"max-batch-tp{tp}", $"Decode max batch size per GPU (TP{Num.S(tp)}, seq_len {Num.S(s.SeqLen)} + decode_len {Num.S(s.DecodeLen)})",
            ["config", .. eps.Select(e => e.Label)], rows, notes);
    }

    /// <summary>The EP strategies: redundant experts, experts per GPU, tokens sent and computed per request.</summary>
    public static Table EpStrategies(IReadOnlyList<EpStrategy> eps)
    {
        ArgumentNullException.ThrowIfNull(eps);
        return new Table("ep-strategies", "Decode EP strategies (per request in a GPU's batch)",
            ["strategy", "redundant experts", "experts per GPU", "tokens sent", "tokens computed"],
            eps.Select(e => (IReadOnlyList<Cell>)
            [
                e.Label, Cell.Of(e.RedundantExperts, 0), Cell.Of(e.RoutedPerGpu, 4), Cell.Of(e.CommTokens(1), 4), Cell.Of(e.ComputeTokens(1), 4),
            ]).ToList(),
            ["Experts per GPU counts routed experts with their redundant copies; each GPU also holds the shared expert."]);
    }

    /// <summary>
    /// The decode table: every column of the seed's per-batch table. With <paramref name="capacity"/>, adds the
    /// largest batch that fits for that EP strategy and whether the row fits.
    /// </summary>
    public static Table Decode(
        IReadOnlyList<(GpuSpec Gpu, DecodeRow Row, double? MaxBatch)> rows, double? minTps, EpStrategy? capacity)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var kept = rows.Where(r => minTps is null || r.Row.TpsOverlap > minTps.Value).ToList();
        if (kept.Count == 0 && rows.Count > 0)
        {
            var best = rows.MaxBy(r => r.Row.TpsOverlap);
            throw new InputException($"no row reaches {Num.S(minTps!.Value)} tokens/s per user; the closest is {best.Gpu.Name} at batch {Num.S(best.Row.Batch)} with {best.Row.TpsOverlap:F2}");
        }
        List<string> columns =
        [
            "GPU", "BatchSize", "TP1", "TP4", "TP8", "LoadKV_FP8", "LoadKV_FP16", "DenseMLA", "DenseMLP", "SparseMLA", "SharedExpert",
            "RoutedExpert", "Dispatch", "Combine", "TPOT_O", "TPOT", "TPS_O", "TPS", "Total_O", "Total", "TimeBudget",
        ];
        if (capacity is not null)
        {
            columns.Add($"MaxBatch_{capacity.Label}");
            columns.Add("Fits");
        }

        var table = kept.Select(r =>
        {
            var d = r.Row;
            List<Cell> cells =
            [
                $"{r.Gpu.Name}(TP{Num.S(d.ChosenTp)})", Cell.Of(d.Batch, 0), T(d.Tp1), T(d.Tp4), T(d.Tp8), T(d.LoadKvFp8), T(d.LoadKvFp16),
                T(d.DenseMla), T(d.DenseMlp), T(d.SparseMla), T(d.SharedExpert), T(d.RoutedExpert), T(d.Dispatch), T(d.Combine),
                T(d.TpotOverlap), T(d.Tpot), Cell.Of(d.TpsOverlap, Ms), Cell.Of(d.Tps, Ms), Cell.Of(d.TotalOverlap, Ms), Cell.Of(d.Total, Ms),
                T(d.TimeBudget),
            ];
            if (capacity is not null)
            {
                var max = Math.Max(0, Math.Floor(r.MaxBatch!.Value));
                cells.Add(Cell.Of(max, 0));
                cells.Add(d.Batch <= max ? "yes" : "NO");
            }

            return (IReadOnlyList<Cell>)cells;
        }).ToList();

        List<string> notes =
        [
            "Per layer and GPU, ms; GPU(TPn) is the MLA tensor parallelism the row uses (TP4, or the GPU's preset TP, when TP4 beats TP1). TPOT_O/TPS_O/Total_O assume dispatch and combine hidden; Total is tokens/s per GPU.",
            "TimeBudget = SparseMLA + SharedExpert - (Dispatch + Combine): time left to hide communication under two-micro-batch overlap.",
        ];
        if (minTps is not null)
        {
            notes.Add($"Only rows with TPS_O above {Num.S(minTps.Value)} tokens/s per user; {rows.Count - kept.Count} of {rows.Count} left out.");
        }

        if (capacity is not null)
        {
            notes.Add($"MaxBatch_{capacity.Label}: largest whole batch whose KV cache fits with {Num.S(capacity.ExpertsPerGpu)} experts per GPU, absorbed MLA and FP8 KV cache at the row's TP.");
        }

        return new Table("decode", "Decode, per batch size (ms, tokens/s)", columns, table, notes);
    }

    private static Cell T(Duration d) => Cell.Of(d.Milliseconds, Ms);
}

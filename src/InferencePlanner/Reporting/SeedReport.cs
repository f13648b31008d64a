using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;

namespace InferencePlanner.Reporting;

/// <summary>The documents each command prints under the seed preset, built from the phases and <see cref="SeedTables"/>.</summary>
public static class SeedReport
{
    /// <summary>Decode options beyond the workload: batch sizes, the user-rate filter, the EP strategy to check, a forced TP.</summary>
    /// <param name="Batches">Batch sizes per GPU.</param>
    /// <param name="MinTps">Keep rows whose TPS with overlap exceeds this.</param>
    /// <param name="Ep">EP size whose memory capacity each row is checked against.</param>
    /// <param name="ForcedTp">MLA tensor parallelism to use instead of the seed's choice.</param>
    public sealed record DecodeOptions(IReadOnlyList<int> Batches, double? MinTps = null, int? Ep = null, int? ForcedTp = null);

    /// <summary>Blocks: per-block accounting and the parameter summary.</summary>
    public static Document Blocks(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var m = model.RequireMla();
        return new Document($"Blocks of {model.Name}", [new("model", model.Name)],
            [SeedTables.Blocks(m), SeedTables.BlockCosts(m), SeedTables.ParameterSummaryTable(m)]);
    }

    /// <summary>Prefill: MLA, per-layer times and totals for each GPU.</summary>
    public static Document Prefill(ModelSpec model, IReadOnlyList<GpuSpec> gpus, PrefillScenario s, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(s);
        var results = gpus.Select(g => (g, SeedPrefill.Evaluate(model.RequireMla(), g, s, policy))).ToList();
        return new Document($"Prefill of {model.Name}", Inputs(model, policy, gpus, PrefillInputs(model, s, policy)),
            [SeedTables.PrefillMla(s, results), SeedTables.PrefillLayers(s, results), SeedTables.PrefillTotals(s, results)]);
    }

    /// <summary>Decode: the per-batch table for each GPU.</summary>
    public static Document Decode(ModelSpec model, IReadOnlyList<GpuSpec> gpus, DecodeScenario s, DecodeOptions d, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(policy);
        var m = model.RequireMla();
        s.Validate();
        Check.Batches(d.Batches);
        if (d.MinTps is { } min && !(min >= 0 && double.IsFinite(min)))
        {
            throw new InputException($"--min-tps must be a non-negative number, got {Num.S(min)}");
        }

        foreach (var gpu in gpus)
        {
            Check.Tp(4, m, gpu);
            Check.Tp(8, m, gpu);
            if (d.ForcedTp is { } tp)
            {
                Check.Tp(tp, m, gpu);
            }
        }

        var ep = d.Ep is { } e ? EpStrategy.For(m, e, policy.Options.MinRedundantExperts) : null;
        var rows = new List<(GpuSpec, DecodeRow, double?)>();
        foreach (var gpu in gpus)
        {
            foreach (var bs in d.Batches)
            {
                var row = SeedDecode.Evaluate(m, gpu, s, bs, policy, d.ForcedTp);
                double? max = ep is null ? null : SeedCapacity.MaxBatch(m, gpu, s, row.ChosenTp, ep.ExpertsPerGpu, true, Units.Precision.Fp8, policy.Options);
                rows.Add((gpu, row, max));
            }
        }

        List<KeyValuePair<string, string>> extra =
        [
            new("seq_len", Num.S(s.SeqLen)), new("decode_len", Num.S(s.DecodeLen)),
            new("batch sizes", string.Join(",", d.Batches.Select(Num.S))),
        ];
        if (ep is not null)
        {
            extra.Add(new("EP", $"{ep.Label} with {Num.S(ep.RedundantExperts)} redundant experts"));
        }

        return new Document($"Decode of {model.Name}", Inputs(model, policy, gpus, extra), [SeedTables.Decode(rows, d.MinTps, ep)]);
    }

    /// <summary>Batch: the max-batch table for the article's EP strategies, and the strategies.</summary>
    public static Document Batch(ModelSpec model, IReadOnlyList<GpuSpec> gpus, DecodeScenario s, int tp, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(policy);
        var m = model.RequireMla();
        s.Validate();
        foreach (var gpu in gpus)
        {
            Check.Tp(tp, m, gpu);
        }

        var eps = EpStrategy.ArticleEps.Select(e => EpStrategy.For(m, e, policy.Options.MinRedundantExperts)).ToList();
        return new Document($"Decode memory capacity of {model.Name}",
            Inputs(model, policy, gpus, [new("seq_len", Num.S(s.SeqLen)), new("decode_len", Num.S(s.DecodeLen)), new("tp", Num.S(tp))]),
            [SeedTables.MaxBatch(m, gpus, s, tp, eps, policy.Options), SeedTables.EpStrategies([.. eps.OrderBy(e => e.Ep)])]);
    }

    /// <summary>The whole analysis in the article's order, on the article's inputs.</summary>
    public static Document Report(ModelSpec model, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        var m = model.RequireMla();
        var h800 = GpuCatalog.Resolve("H800", seed: true);
        var h20 = GpuCatalog.Resolve("H20", seed: true);
        var h20e = GpuCatalog.Resolve("H20_3e", seed: true);
        List<GpuSpec> prefillGpus = [h800, h20];
        List<GpuSpec> decodeGpus = [h800, h20, h20e];

        var tp4 = PrefillScenario.Article;
        var tp8 = tp4 with { Tp = 8, Dp = 4 };
        var r4 = prefillGpus.Select(g => (g, SeedPrefill.Evaluate(m, g, tp4, policy))).ToList();
        var r8 = prefillGpus.Select(g => (g, SeedPrefill.Evaluate(m, g, tp8, policy))).ToList();
        var nic = new (string Label, double Nic)[] { ("H20-3.2T", 50), ("H20-1.6T", 25), ("H20-800G", 12.5) }
            .Select(v => (v.Label, SeedPrefill.Evaluate(m, h20 with { ScaleOutBandwidthGBps = v.Nic }, tp4, policy))).ToList();

        var decode = DecodeScenario.Article;
        var eps = EpStrategy.ArticleEps.Select(e => EpStrategy.For(m, e, policy.Options.MinRedundantExperts)).ToList();
        var rows = decodeGpus.SelectMany(g => DecodeScenario.ArticleBatches.Select(bs => (g, SeedDecode.Evaluate(m, g, decode, bs, policy), (double?)null))).ToList();

        return new Document($"DeepSeek-V3/R1 expert-parallel inference on H800 and H20: the seed analysis ({model.Name})",
            Inputs(model, policy, decodeGpus,
            [
                new("prefill", $"seq_len {Num.S(tp4.SeqLen)}, cache hit {Num.S(tp4.CacheHit)}, {Num.S(tp4.Nodes)} nodes"),
                new("decode", $"seq_len {Num.S(decode.SeqLen)}, decode_len {Num.S(decode.DecodeLen)}"),
            ]),
            [
                SeedTables.Blocks(m),
                SeedTables.PrefillMla(tp4, r4),
                SeedTables.PrefillLayers(tp4, r4),
                SeedTables.PrefillTotals(tp4, r4),
                SeedTables.PrefillLayers(tp8, r8),
                SeedTables.PrefillTotals(tp8, r8),
                SeedTables.PrefillNicStudy(tp4, nic),
                SeedTables.MaxBatch(m, decodeGpus, decode, 1, eps, policy.Options),
                SeedTables.EpStrategies([.. eps.OrderBy(e => e.Ep)]),
                SeedTables.Decode(rows, null, null),
            ]);
    }

    private static List<KeyValuePair<string, string>> PrefillInputs(ModelSpec model, PrefillScenario s, SeedCostPolicy policy) =>
    [
        new("seq_len", Num.S(s.SeqLen)), new("cache hit", Num.S(s.CacheHit)),
        new("layout", $"TP{Num.S(s.Tp)} x DP{Num.S(s.Dp)} over {Num.S(s.Nodes)} nodes, a token's experts on at most {Num.S(Math.Min(Work.SeedWork.DispatchNodes(model.RequireMla(), s, policy.Options), s.Nodes))} nodes"),
    ];

    private static List<KeyValuePair<string, string>> Inputs(ModelSpec model, SeedCostPolicy policy, IReadOnlyList<GpuSpec> gpus, List<KeyValuePair<string, string>> extra) =>
    [
        new("model", model.Name),
        new("preset", $"seed (discount {Num.S(policy.Options.Discount)})"),
        new("GPUs", string.Join(", ", gpus.Select(g => g.Name))),
        .. extra,
    ];
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Reporting;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Planning;

/// <summary>
/// The headline figures of one model on one GPU under one preset: prefill tokens/s per node, and decode
/// tokens/s per GPU and per user at the best batch that keeps every user above a rate and fits in memory.
/// A null figure means the preset cannot price it; <see cref="Reason"/> says why.
/// </summary>
public sealed record Headline(
    string PrefillLayout, double? PrefillPerNode, string PrefillLimit,
    string DecodeLayout, int? Batch, double? DecodePerGpu, double? DecodePerUser, string DecodeLimit, string? Reason)
{
    private static readonly int[] DecodeGpuCandidates = [8, 16, 32, 64, 72, 144, 256, 320];

    /// <summary>When no batch reaches the rate asked for: the most tokens/s per user any layout reaches (at one request per GPU), for the message.</summary>
    public double? ClosestPerUser { get; init; }

    /// <summary>The row of the comparison table.</summary>
    public IReadOnlyList<Cell> Cells(GpuSpec gpu, string preset)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        static Cell N(double? v, int d) => v is { } x ? Cell.Of(x, d) : "n/a";
        return [gpu.Name, preset, PrefillLayout, N(PrefillPerNode, 0), PrefillLimit, DecodeLayout, Batch is { } b ? Cell.Of(b, 0) : "n/a", N(DecodePerGpu, 1), N(DecodePerUser, 2), DecodeLimit];
    }

    /// <summary>The seed preset: the article's prefill layout; decode with EP144's memory budget at the seed's per-row TP.</summary>
    public static Headline Seed(ModelSpec model, GpuSpec gpu, int seqLen, double cacheHit, int decodeLen, double minTps, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(policy);
        if (model.Mla is not { } m)
        {
            return new Headline("-", null, "-", "-", null, null, null, "-", "the seed models the DeepSeek family only");
        }

        if (gpu.GpusPerNode % 8 != 0)
        {
            return new Headline("-", null, "-", "-", null, null, null, "-", "the seed's layouts need 8 GPUs per node");
        }

        var scenario = new PrefillScenario(seqLen, cacheHit, 4, 4 * gpu.GpusPerNode / 4, 4);
        var prefill = SeedPrefill.Evaluate(m, gpu, scenario, policy);
        var perNode = prefill.TokensPerSecondPerNodeOverlap * RooflinePhases.NodeGpus / gpu.GpusPerNode;
        // The seed's Sum(Overlap) is all compute; Sum adds the dispatch and combine.
        var prefillLimit = prefill.Sum - prefill.SumOverlap > prefill.SumOverlap ? "network (NIC)" : "compute";

        var (found, cappedByMemory) = SeedBestBatch(m, gpu, new DecodeScenario(seqLen, decodeLen), minTps, policy);
        if (found is not { } b)
        {
            return new Headline("TP4 x DP8, 4 nodes", perNode, prefillLimit, "EP144", null, null, null, "-", $"no batch reaches {minTps} tokens/s per user");
        }

        var kv = b.LoadKvFp8 * (m.DenseLayers + m.MoeLayers);
        var limit = cappedByMemory ? "memory capacity" : kv > b.TpotOverlap - kv ? "memory bandwidth" : "compute";
        return new Headline($"TP4 x DP{Num.S(scenario.Dp)}, 4 nodes", perNode, prefillLimit, $"EP144, MLA TP{Num.S(b.ChosenTp)}", b.Batch, b.TotalOverlap, b.TpsOverlap, limit, null);
    }

    /// <summary>
    /// The seed's best decode batch: the one with the most tokens/s per GPU (with overlap) among those above
    /// <paramref name="minTps"/> per user that fit EP144's memory budget at the row's TP; the larger batch among equals.
    /// </summary>
    public static (DecodeRow? Best, bool CappedByMemory) SeedBestBatch(MlaMoeArchitecture m, GpuSpec gpu, DecodeScenario decode, double minTps, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(policy);
        var ep = EpStrategy.For(m, 144, policy.Options.MinRedundantExperts);
        var context = SeedDecode.Prepare(gpu, policy);
        DecodeRow? best = null;
        var cappedByMemory = false;
        for (var bs = 1; bs <= 4096; bs++)
        {
            var row = SeedDecode.Evaluate(m, context, decode, bs, policy.Options);
            if (!(row.TpsOverlap > minTps))
            {
                break;
            }

            var max = SeedCapacity.MaxBatch(m, gpu, decode, row.ChosenTp, ep.ExpertsPerGpu, true, Precision.Fp8, policy.Options);
            if (bs > max)
            {
                cappedByMemory = true;
                continue;
            }

            // The seed reads no weights, so tokens/s per GPU is nearly flat in the batch: among equals take the larger batch.
            if (best is null || row.TotalOverlap >= best.Value.TotalOverlap * (1 - 1e-9))
            {
                best = row;
            }
        }

        return (best, cappedByMemory);
    }

    /// <summary>The roofline model (the default preset): searches TP for prefill, and TP, deployment size and batch for decode.</summary>
    public static Headline Roofline(ModelSpec model, GpuSpec gpu, int seqLen, double cacheHit, int decodeLen, double minTps, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(inputs);
        var t = model.Transformer;
        var p = inputs.Precisions(t);
        var policy = new RooflinePolicy(gpu);
        var o = inputs.Options;

        (RooflineLayout Layout, RooflinePrefillResult Result)? prefill = null;
        foreach (var tp in AutomaticDeployment.TpsWithin(t, gpu))
        {
            var g = t.FeedForward.IsMoe ? AutomaticDeployment.MoePrefillGpusFor(t, gpu, tp, p, o) : tp;
            var layout = RooflineLayout.For(t, g, tp, inputs.Redundant, o.Imbalance) with { LoadSpread = o.ExpertLoadSpread };
            if (!Fits(model, gpu, layout, p, o))
            {
                continue;
            }

            var r = RooflinePhases.Prefill(t, policy, layout, p, seqLen, cacheHit, o);
            if (prefill is null || r.TokensPerSecondPerGpuOverlapped > prefill.Value.Result.TokensPerSecondPerGpuOverlapped)
            {
                prefill = (layout, r);
            }
        }

        (RooflineLayout Layout, RooflineDecodeResult Result, bool Capped)? decode = null;
        double? closest = null;
        foreach (var tp in AutomaticDeployment.TpsWithin(t, gpu))
        {
            IEnumerable<int> sizes = t.FeedForward.IsMoe
                ? DecodeGpuCandidates.Append(gpu.GpusPerNode).Append(AutomaticDeployment.MoeDecodeGpus(t, gpu, tp, p, o)).Distinct()
                    .Where(g => g % tp == 0 && g <= 2 * t.FeedForward.RoutedExperts + 64)
                : [tp];
            foreach (var g in sizes)
            {
                var layout = RooflineLayout.For(t, g, tp, inputs.Redundant, o.Imbalance) with { LoadSpread = o.ExpertLoadSpread };
                if (!Fits(model, gpu, layout, p, o))
                {
                    continue;
                }

                var found = BestBatch(t, policy, layout, p, seqLen, decodeLen, minTps, o);
                if (found is { } f && (decode is null || f.Result.TokensPerSecondPerGpuOverlapped > decode.Value.Result.TokensPerSecondPerGpuOverlapped))
                {
                    decode = (layout, f.Result, f.Capped);
                }
                else if (found is null)
                {
                    var single = RooflinePhases.Decode(t, policy, layout, p, 1, seqLen, decodeLen, o);
                    if (single.Fits)
                    {
                        closest = Math.Max(closest ?? 0, single.TokensPerSecondPerUserOverlapped);
                    }
                }
            }
        }

        var prefillText = prefill is { } pf ? RooflineReport.LayoutText(pf.Layout, pf.Result.PerLayers.TwoBatch) : "-";
        double? perNode = prefill is { } pr ? pr.Result.TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus : null;
        var prefillLimit = prefill is { } pl ? RooflineReport.LimitText(pl.Result.PerLayers.Limit) : "-";
        if (decode is not { } d)
        {
            return new Headline(prefillText, perNode, prefillLimit, "-", null, null, null, "-", prefill is null ? "the weights do not fit" : $"no batch reaches {minTps} tokens/s per user")
            {
                ClosestPerUser = closest,
            };
        }

        return new Headline(prefillText, perNode, prefillLimit, RooflineReport.LayoutText(d.Layout, d.Result.Step.TwoBatch), d.Result.Batch, d.Result.TokensPerSecondPerGpuOverlapped,
            d.Result.TokensPerSecondPerUserOverlapped, d.Capped ? "memory capacity" : RooflineReport.LimitText(d.Result.Step.Limit), null);
    }

    /// <summary>
    /// The largest batch that keeps every user above <paramref name="minTps"/> and fits in memory (TPOT grows with
    /// the batch, so the largest such batch gives the most tokens/s per GPU); null when even one request is too slow.
    /// </summary>
    public static (RooflineDecodeResult Result, bool Capped)? BestBatch(
        TransformerSpec t, RooflinePolicy policy, RooflineLayout layout, PrecisionSet p, int seqLen, int decodeLen, double minTps, RooflineOptions o)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(layout);
        var cap = (int)Math.Min(65536, Math.Floor(RooflineCapacity.MaxBatch(t, policy.Gpu, layout, p, seqLen + decodeLen, o)));
        if (cap < 1)
        {
            return null;
        }

        bool Fast(int bs) => RooflinePhases.Decode(t, policy, layout, p, bs, seqLen, decodeLen, o).TokensPerSecondPerUserOverlapped > minTps;
        if (!Fast(1))
        {
            return null;
        }

        int lo = 1, hi = cap;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (Fast(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return (RooflinePhases.Decode(t, policy, layout, p, lo, seqLen, decodeLen, o), lo == cap);
    }

    private static bool Fits(ModelSpec model, GpuSpec gpu, RooflineLayout layout, PrecisionSet p, RooflineOptions o)
    {
        try
        {
            layout.Validate(model.Transformer, gpu);
        }
        catch (InputException)
        {
            return false;
        }

        return RooflineCapacity.WeightsPerGpu(model.Transformer, layout, p, o.MlaDecodeForm, RooflineCapacity.MtpLayers(model.Transformer, o)) < RooflineCapacity.Usable(gpu, o);
    }
}

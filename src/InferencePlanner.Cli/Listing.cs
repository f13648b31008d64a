using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using InferencePlanner.Units;

namespace InferencePlanner.Cli;

/// <summary>The catalogues as documents.</summary>
internal static class Listing
{
    public static Document Gpus() => new("Built-in GPUs", [],
    [
        new Table("gpus", "GPUs (figures as the files give them; the seed preset discounts them)",
            ["name", "SMs", "comm SMs", "FP16 TFLOPS", "FP8 TFLOPS", "memory GB", "mem BW GB/s", "scale-up GB/s", "scale-out GB/s", "GPUs/node", "source"],
            GpuCatalog.SeedBuiltIn.Concat(GpuCatalog.BuiltIn).Select(g => (IReadOnlyList<Cell>)
            [
                g.Name, Cell.Of(g.Sms, 0), Cell.Of(g.CommSms, 0), Cell.Of(g.Fp16Tflops, 1), Cell.Of(g.Fp8Tflops, 1), Cell.Of(g.MemoryGB, 0),
                Cell.Of(g.MemoryBandwidthGBps, 0), Cell.Of(g.ScaleUpBandwidthGBps, 0), Cell.Of(g.ScaleOutBandwidthGBps, 1), Cell.Of(g.GpusPerNode, 0),
                g.Source,
            ]).ToList()),
    ]);

    public static Document Models() => new("Built-in models", [],
    [
        new Table("models", "Models (HuggingFace config.json under data/models)",
            ["name", "type", "attention", "layers", "hidden", "heads", "KV heads", "experts", "shared", "top-k", "weights", "context window", "total params (B)", "active params (B)"],
            ModelCatalog.BuiltIn.Select(m =>
            {
                var t = m.Transformer;
                var p = Work.PrecisionSet.NativeFor(t);
                return (IReadOnlyList<Cell>)
                [
                    m.Name, t.Family, AttentionKinds(t),
                    Cell.Of(t.Layers, 0), Cell.Of(t.Hidden, 0), Cell.Of(t.Attention.Heads, 0), Cell.Of(t.Attention.KvHeads, 0),
                    Cell.Of(t.FeedForward.RoutedExperts, 0), Cell.Of(t.FeedForward.SharedExperts, 0), Cell.Of(t.FeedForward.TopK, 0),
                    p.ExpertWeights == p.Weights || !t.FeedForward.IsMoe ? p.Weights.Name() : $"{p.Weights.Name()}, experts {p.ExpertWeights.Name()}",
                    t.ContextWindow is { } window ? Cell.Of(window, 0) : "-",
                    Cell.Of(Work.TransformerParameters.Total(t) / 1e9, 1), Cell.Of(Work.TransformerParameters.Active(t) / 1e9, 1),
                ];
            }).ToList(),
            ["Parameters as the checkpoint stores them, without multi-token-prediction modules; active = all but the routed experts a token is not sent to (input embedding included).",
                "Attention: the kind of the full-attention layers, with sliding-window, linear-attention (Gated DeltaNet) and sparse (DeepSeek Sparse Attention) layers named with their counts and sizes; weights: the checkpoint's formats.",
                "Context window: the longest request (prompt and output tokens) the config's positions cover, max_position_embeddings or a YaRN, linear or dynamic RoPE scaling's original window times its factor where longer; serve, plan, prefill, decode and batch refuse longer requests."]),
    ]);

    // A framework default that depends on the GPU's memory: "value below N GB" for each run of tiers that share a value,
    // then the framework's own for larger GPUs.
    private static string ByMemory(ServingFramework f, int own, Func<MemoryTier, string?> value)
    {
        var ownText = own.ToString(CultureInfo.InvariantCulture);
        var runs = new List<(string Text, double BelowGB)>();
        foreach (var t in f.MemoryTiers)
        {
            var text = value(t) ?? ownText;
            if (runs.Count > 0 && runs[^1].Text == text)
            {
                runs[^1] = (text, t.BelowMemoryGB);
            }
            else
            {
                runs.Add((text, t.BelowMemoryGB));
            }
        }

        return runs.Count == 0 || (runs.Count == 1 && runs[0].Text == ownText)
            ? ownText
            : string.Join(", ", runs.Select(r => $"{r.Text} below {r.BelowGB:0} GB")) + $", {ownText} from {runs[^1].BelowGB:0} GB";
    }

    // The attention kinds of a model's layers, with their counts and sizes.
    private static string AttentionKinds(TransformerSpec t)
    {
        var a = t.Attention;
        var parts = new List<string> { $"{a.Kind.ToString().ToUpperInvariant()} x {t.Layers - a.SlidingLayers - a.LinearLayers}" };
        if (a.Sparse is { } s)
        {
            parts[0] += $" (sparse: top-{s.TopK}, indexer {s.IndexerHeads} x {s.IndexerHeadDim})";
        }

        if (a.SlidingLayers > 0)
        {
            parts.Add($"sliding {a.SlidingWindow} x {a.SlidingLayers}");
        }

        if (a.Linear is { } l)
        {
            parts.Add($"linear (Gated DeltaNet, {l.ValueHeads} x {l.KeyHeadDim}x{l.ValueHeadDim} state) x {l.Layers}");
        }

        return string.Join(" + ", parts);
    }

    public static Document Frameworks() => new("Built-in serving frameworks", [],
    [
        new Table("frameworks", "Serving frameworks (data/frameworks; step overhead, host time per request and request overhead calibrated by validate --serving)",
            ["name", "framework", "step overhead (us)", "host time per running request (us)", "request overhead (ms)", "chunk budget (tokens)", "chunked prefill", "budget counts decode", "mixes prefill and decode",
                "max running requests", "CUDA-graph batch", "CUDA-graph prompt step (tokens)", "memory share", "reserve (GB)", "two-batch overlap flag", "kernel data"],
            FrameworkCatalog.BuiltIn.Select(f => (IReadOnlyList<Cell>)
            [
                f.Name, f.DisplayName, Cell.Of(f.StepOverheadUs, 0), Cell.Of(f.HostUsPerRequest, 0), Cell.Of(f.RequestOverheadMs, 1),
                ByMemory(f, f.ChunkTokens, t => t.ChunkTokens?.ToString(CultureInfo.InvariantCulture)),
                f.ChunkedPrefill ? "yes" : "no", f.BudgetIncludesDecode ? "yes" : "no", f.MixesPrefill ? "yes" : "no",
                Cell.Of(f.MaxRunningRequests, 0), ByMemory(f, f.CudaGraphMaxBatch, t => t.SmallEngineCudaGraphMaxBatch is { } small ? $"{t.CudaGraphMaxBatch ?? f.CudaGraphMaxBatch} ({small} below {f.SmallEngineGpus} GPUs)" : t.CudaGraphMaxBatch?.ToString(CultureInfo.InvariantCulture)), f.PiecewiseGraphTokens > 0 ? Cell.Of(f.PiecewiseGraphTokens, 0) : "none",
                $"{f.MemoryShare:0.##} of {(f.MemoryShareOf == MemoryShareOf.Total ? "all memory" : "the free memory")}",
                f.ReserveMBPerChunkToken > 0 ? $"{f.ReserveGB:0.#} + {f.ReserveMBPerChunkToken:0.#} MB per chunk token" : Cell.Of(f.ReserveGB, 1),
                f.TwoBatchOverlapFlag is { } flag ? flag + (f.TwoBatchOverlapNeedsAttentionDp ? " (with attention DP)" : "") : "none",
                f.KernelProfiles.Count == 0 ? "the GPU's" : string.Join(", ", f.KernelProfiles.Select(k => $"{k.Value} for {k.Key}")),
            ]).ToList(),
            ["Every figure's source is in its file's 'sources'."]),
    ]);
}

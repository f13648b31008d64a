using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Reporting;

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
            ["name", "layers", "dense layers", "hidden", "heads", "routed experts", "shared", "top-k", "kv_lora_rank", "params (B)"],
            ModelCatalog.BuiltIn.Select(m => (IReadOnlyList<Cell>)
            [
                m.Name, Cell.Of(m.Architecture.Layers, 0), Cell.Of(m.Architecture.DenseLayers, 0), Cell.Of(m.Architecture.Dim, 0),
                Cell.Of(m.Architecture.Heads, 0), Cell.Of(m.Architecture.RoutedExperts, 0), Cell.Of(m.Architecture.SharedExperts, 0),
                Cell.Of(m.Architecture.ActivatedExperts, 0), Cell.Of(m.Architecture.KvLoraRank, 0),
                Cell.Of(Work.ParameterSummary.Total(m.Architecture) / 1e9, 2),
            ]).ToList()),
    ]);
}

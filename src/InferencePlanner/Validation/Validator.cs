using InferencePlanner.Hardware;
using InferencePlanner.Kernels;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Planning;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Validation;

/// <summary>
/// Runs both presets on every measurement's configuration. End-to-end rows run the phases on the row's layout
/// and workload; kernel rows price the one kernel the row measured.
/// </summary>
public static class Validator
{
    /// <summary>Predictions for every measurement under both presets; with <paramref name="band"/>, low and high ends too.</summary>
    public static IReadOnlyList<ValidationRow> Run(IReadOnlyList<Measurement> measurements, RooflineOptions options, bool band)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        ArgumentNullException.ThrowIfNull(options);
        var rows = new List<ValidationRow>();
        foreach (var m in measurements)
        {
            var gpu = GpuCatalog.Resolve(m.Gpu);
            var mid = new RooflinePolicy(gpu);
            double? low = band ? Roofline(m, new RooflinePolicy(gpu, Band.Low), options) : null;
            double? high = band ? Roofline(m, new RooflinePolicy(gpu, Band.High), options) : null;

            // For a time (lower is better) the slow kernel end gives the high value.
            if (band && m.Metric == "alltoall-us")
            {
                (low, high) = (high, low);
            }

            var heldOut = m.Kind == "kernel" && mid.Kernels.Profile is { } profile && Without(profile, m) is { } reduced
                ? Roofline(m, new RooflinePolicy(gpu, new KernelModel(gpu, reduced)), options)
                : (double?)null;
            rows.Add(new ValidationRow(m, "default", Roofline(m, mid, options), low, high, mid.Kernels.Description) { HeldOut = heldOut });
        }

        foreach (var m in measurements)
        {
            var v = Seed(m, new SeedCostPolicy(new SeedOptions()));
            rows.Add(new ValidationRow(m, "seed", v, band ? v : null, band ? v : null, "one 0.85 discount"));
        }

        return rows;
    }

    // The profile without the measurement a kernel row compares with; null when that would leave its table empty.
    private static KernelProfile? Without(KernelProfile p, Measurement m)
    {
        static IReadOnlyList<T>? Drop<T>(IReadOnlyList<T> points, Func<T, bool> match)
        {
            var kept = points.Where(x => !match(x)).ToList();
            return kept.Count == points.Count || kept.Count == 0 ? null : kept;
        }

        switch (m.Metric)
        {
            case "gemm-tflops":
            {
                double g = m.Number("groups"), mm = m.Number("m"), n = m.Number("n"), k = m.Number("k");
                bool Same(GemmPoint x) => x.Groups == g && x.M == mm && x.N == n && x.K == k;
                return m.Text("table") switch
                {
                    "contiguous" => Drop(p.Contiguous, Same) is { } c ? p with { Contiguous = c } : null,
                    "masked" => Drop(p.Masked, Same) is { } c ? p with { Masked = c } : null,
                    _ => Drop(p.Dense, Same) is { } c ? p with { Dense = c } : null,
                };
            }

            case "alltoall-gbps" when m.Text("link") == "rdma":
                return Drop(p.Rdma, x => x.Ep == m.Number("ep")) is { } r ? p with { Rdma = r } : null;
            case "alltoall-us":
                return Drop(p.LowLatency, x => x.Ep == m.Number("ep")) is { } l ? p with { LowLatency = l } : null;
            default:
                return null; // a single measurement (FlashMLA, DeepEP over NVLink) has no neighbours
        }
    }

    private static ModelSpec Model(Measurement m) => ModelCatalog.Resolve(m.Settings.ContainsKey("model") ? m.Text("model") : "deepseek-v3");

    /// <summary>The roofline model's (the default preset's) value for a measurement.</summary>
    public static double Roofline(Measurement m, RooflinePolicy policy, RooflineOptions options)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        if (m.Kind == "kernel")
        {
            return Kernel(m, policy);
        }

        var t = Model(m).Transformer;
        var o = options with
        {
            TwoBatchOverlap = m.Flag("overlap", true),
            MtpDraftTokens = (int)m.Number("mtp", 0),
            MtpTokensPerStep = m.Settings.ContainsKey("mtpTokens") ? m.Number("mtpTokens") : null,
        };
        var layout = new RooflineLayout((int)m.Number("gpus"), (int)m.Number("tp"), (int)m.Number("redundant", 0), o.Imbalance) { LoadSpread = o.ExpertLoadSpread };
        var p = PrecisionSet.NativeFor(t);
        switch (m.Metric)
        {
            case "prefill-tokens-per-node":
                var prefill = RooflinePhases.Prefill(t, policy, layout, p, (int)m.Number("seqLen"), m.Number("cacheHit"), o, m.Number("promptsPerGroup", 1));
                return prefill.TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus;
            case "decode-tokens-per-gpu-at-rate":
                var best = Headline.BestBatch(t, policy, layout, p, (int)m.Number("context"), (int)m.Number("outputLen"), m.Number("minTps"), o);
                return best is { } b ? b.Result.TokensPerSecondPerGpuOverlapped : 0;
            case "decode-tokens-per-gpu":
            case "decode-tokens-per-node":
                var decode = RooflinePhases.Decode(t, policy, layout, p, (int)m.Number("batch"), (int)m.Number("context"), (int)m.Number("outputLen"), o);
                return decode.TokensPerSecondPerGpuOverlapped * (m.Metric == "decode-tokens-per-node" ? RooflinePhases.NodeGpus : 1);
            default:
                throw new InputException($"measurement {m.Id}: unknown metric '{m.Metric}'");
        }
    }

    private static double Kernel(Measurement m, RooflinePolicy policy)
    {
        var gpu = policy.Gpu;
        switch (m.Metric)
        {
            case "gemm-tflops":
            {
                double g = m.Number("groups"), mm = m.Number("m"), n = m.Number("n"), k = m.Number("k");
                var table = m.Text("table") switch { "contiguous" => GemmTable.Contiguous, "masked" => GemmTable.Masked, _ => GemmTable.Dense };
                var op = Operator.Kernel(OperatorKind.Gemm, Precision.Fp8, new Flops(GemmRoofline.Flops(g, mm, n, k)), Bytes.FromBytes(GemmRoofline.Bytes(g, mm, n, k)))
                    with { M = mm, N = n, K = k, Groups = g, Table = table, Launches = 0 }; // the benchmark times the kernel alone, not its launch
                return GemmRoofline.Flops(g, mm, n, k) / policy.Price(op).Time.Seconds / 1e12;
            }

            case "attention-gbps":
            {
                // A purely memory-bound attention read: 1 GB of KV cache, negligible FLOPs.
                var op = Operator.Kernel(OperatorKind.Attention, Precision.Bf16, Flops.Zero, Bytes.FromGB(1)) with { Launches = 0 };
                return 1 / policy.Price(op).Time.Seconds;
            }

            case "attention-tflops":
            {
                var op = Operator.Kernel(OperatorKind.Attention, Precision.Bf16, Flops.FromGiga(1000), Bytes.Zero) with { Launches = 0 };
                return 1 / policy.Price(op).Time.Seconds;
            }

            case "alltoall-gbps":
            case "alltoall-us":
            {
                var ep = (int)m.Number("ep");
                var tokens = m.Number("tokens");
                var combine = m.Text("direction") == "combine";
                var model = ModelCatalog.Resolve("deepseek-v3").Transformer; // the shapes DeepEP was measured with
                var f = model.FeedForward;
                var op = RooflineWork.Exchange(combine ? OperatorKind.Combine : OperatorKind.Dispatch, f, ep, Math.Min(gpu.GpusPerNode, ep),
                    m.Text("path") == "low-latency", tokens, model.Hidden, combine ? Precision.Bf16 : Precision.Fp8);
                var seconds = policy.Price(op).Time.Seconds;
                if (m.Metric == "alltoall-us")
                {
                    return seconds * 1e6;
                }

                // DeepEP's figure: the bytes on the measured link over the kernel's time.
                return (m.Text("link") == "rdma" ? op.ScaleOutBytes.Value : op.ScaleUpBytes.Value) / seconds / 1e9;
            }

            default:
                throw new InputException($"measurement {m.Id}: unknown metric '{m.Metric}'");
        }
    }

    /// <summary>The seed's value for a measurement: its own formulas and discount on the row's configuration.</summary>
    public static double Seed(Measurement m, SeedCostPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(policy);
        var gpu = GpuCatalog.Resolve(m.Gpu, seed: true);
        if (m.Kind == "kernel")
        {
            // The seed prices a kernel on its own at its decode rates (no SMs reserved): the discounted peaks, in its units.
            var r = policy.Rates(gpu, Phase.Decode);
            return m.Metric switch
            {
                "gemm-tflops" => r.Fp8.ToTeraFlops() * (m.Text("table") == "masked" ? r.ExpertEfficiency : 1),
                "attention-gbps" => r.Memory.BytesPerSecond / 1e9,
                "attention-tflops" => r.Bf16.ToTeraFlops(),
                "alltoall-gbps" => r.ScaleOut.BytesPerSecond / 1e9, // the seed sends all-to-all over the NIC only
                "alltoall-us" => SeedAllToAllMicroseconds(m, gpu, policy),
                _ => throw new InputException($"measurement {m.Id}: unknown metric '{m.Metric}'"),
            };
        }

        var arch = Model(m).RequireMla();
        var gpus = (int)m.Number("gpus");
        var tp = (int)m.Number("tp");
        var overlap = m.Flag("overlap", true);
        switch (m.Metric)
        {
            case "prefill-tokens-per-node":
            {
                var s = new PrefillScenario((int)m.Number("seqLen"), m.Number("cacheHit"), tp, gpus / tp, Math.Max(1, gpus / gpu.GpusPerNode));
                var r = SeedPrefill.Evaluate(arch, gpu, s, policy);
                return overlap ? r.TokensPerSecondPerNodeOverlap : r.TokensPerSecondPerNode;
            }

            case "decode-tokens-per-gpu-at-rate":
            {
                var (best, _) = Headline.SeedBestBatch(arch, gpu, new DecodeScenario((int)m.Number("context"), (int)m.Number("outputLen")), m.Number("minTps"), policy);
                return best is { } b ? b.TotalOverlap : 0;
            }

            default:
            {
                var row = SeedDecode.Evaluate(arch, gpu, new DecodeScenario((int)m.Number("context"), (int)m.Number("outputLen")), (int)m.Number("batch"), policy);
                var perGpu = overlap ? row.TotalOverlap : row.Total;
                return perGpu * (m.Metric == "decode-tokens-per-node" ? RooflinePhases.NodeGpus : 1);
            }
        }
    }

    private static double SeedAllToAllMicroseconds(Measurement m, GpuSpec gpu, SeedCostPolicy policy)
    {
        // The seed's decode all-to-all: batch x dim x top-k bytes over the NIC, combine twice that.
        var arch = MlaMoeArchitecture.DeepSeekV3;
        var work = SeedWork.Decode(arch, 1, (int)m.Number("tokens"), Precision.Fp8, policy.Options);
        var op = m.Text("direction") == "combine" ? work.Combine : work.Dispatch;
        return SeedCostPolicy.Price(op, policy.Rates(gpu, Phase.Decode)).Seconds * 1e6;
    }
}

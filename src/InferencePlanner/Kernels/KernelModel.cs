using InferencePlanner.Hardware;

namespace InferencePlanner.Kernels;

/// <summary>
/// Kernel efficiencies for one GPU: interpolated by shape from its profile's measurements, as shares of the
/// roofline; or, without a profile, the named defaults of its datasheet (<see cref="GpuEfficiency"/>).
/// </summary>
public sealed class KernelModel
{
    /// <summary>Relative spread of the named defaults: DeepGEMM's shares run from 0.45 to 0.80 around their median 0.63.</summary>
    public const double DefaultLowFactor = 0.45 / 0.63, DefaultHighFactor = 0.80 / 0.63;

    /// <summary>Named defaults for attention kernels: FlashMLA's 3,000 of 3,350 GB/s and 660 of 989.5 TFLOPS on H800.</summary>
    public const double DefaultAttentionMemoryShare = 3000 / 3350.0, DefaultAttentionComputeShare = 660 / 989.5;

    /// <summary>
    /// Compute throughput per SM of a weight-only GEMM (4-bit weights, BF16 activations) where the dequantisation,
    /// not the tensor cores, sets the pace, TFLOPS: every weight is unpacked and scaled on the SM's ALUs once per tile
    /// of tokens, so the rate grows with the SMs, not with the tensor cores' peak. From one published measurement: the
    /// W4A16 MoE GEMMs of a live SGLang server on H100 (Marlin, MXFP4 experts, 16,384-token chunked-prefill forwards)
    /// ran 1.237 TFLOP per layer in 4.863 ms, 254 TFLOPS, 25.7% of the BF16 peak, issue-bound on the dequantisation
    /// (sgl-project/sglang PR #38884): 254 / 132 SMs.
    /// </summary>
    public const double WeightOnlyTflopsPerSm = 254.0 / 132;

    private readonly GpuSpec _gpu;

    // Link measurements sorted by EP size, resolved once so that pricing allocates nothing.
    private readonly (double X, double Value)[] _rdmaDispatch, _rdmaCombine, _llDispatch, _llCombine;

    // Causal prefill attention shares by sequence length.
    private readonly (double X, double Value)[] _prefillAttention;

    // GEMM measurements with their shapes in log2, for the interpolation.
    private readonly (double LogM, double LogN, double LogK, double M, double Share)[] _dense, _contiguous, _masked, _denseBf16;

    // log2 of the rows of the smallest GEMM tile.
    private const double TileLogM = 6;

    // The least log2 M each table prices at: its smallest measured M, up to one tile (see Floor).
    private readonly double _denseFloor, _contiguousFloor, _maskedFloor, _denseBf16Floor;

    /// <summary>Kernel efficiencies of <paramref name="gpu"/> at one end of the band.</summary>
    public KernelModel(GpuSpec gpu, Band band = Band.Mid)
        : this(gpu, KernelCatalog.For(gpu), band)
    {
    }

    /// <summary>Kernel efficiencies of <paramref name="gpu"/> from <paramref name="profile"/> (null: named defaults), as when holding data out.</summary>
    public KernelModel(GpuSpec gpu, KernelProfile? profile, Band band = Band.Mid)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        _gpu = gpu;
        Band = band;
        Profile = profile;
        var rdma = Profile?.Rdma ?? [];
        var ll = Profile?.LowLatency ?? [];
        _rdmaDispatch = [.. rdma.Select(r => (r.Ep, r.DispatchGBps)).OrderBy(r => r.Ep)];
        _rdmaCombine = [.. rdma.Select(r => (r.Ep, r.CombineGBps)).OrderBy(r => r.Ep)];
        _llDispatch = [.. ll.Select(l => (l.Ep, l.DispatchUs)).OrderBy(l => l.Ep)];
        _llCombine = [.. ll.Select(l => (l.Ep, l.CombineUs)).OrderBy(l => l.Ep)];
        _prefillAttention = [.. (Profile?.PrefillAttention ?? []).Select(p => (p.SeqLen, p.Share))];
        _dense = Logs(Profile?.Dense ?? []);
        // Grouped GEMMs are priced from grouped measurements alone: a dense table measures other kernels (vLLM's dense
        // CUTLASS FP8 GEMMs on SM100 beside the fused MoE it runs from FlashInfer), so without one the named default.
        _contiguous = Logs(Profile?.Contiguous ?? []);
        _masked = Logs(Profile?.Masked ?? []);
        _denseBf16 = Logs(Profile?.DenseBf16 ?? []);
        _denseFloor = Floor(_dense);
        _denseBf16Floor = Floor(_denseBf16);
        _contiguousFloor = Floor(_contiguous);
        _maskedFloor = Floor(_masked);
    }

    // A GEMM of fewer rows than one tile pads them to it and streams the same weights: below the smallest measured M,
    // up to a 64-row tile (Hopper's warpgroup MMA takes 64 rows; DeepGEMM's dense table starts there), it takes the
    // share measured at that M. Without this the weighting in GemmShare, far from every measured M, flattens to the
    // mean of all shapes and loses the shape's N and K.
    private static double Floor((double LogM, double LogN, double LogK, double M, double Share)[] points) =>
        points.Length == 0 ? 0 : Math.Min(points.Min(p => p.LogM), TileLogM);

    private static (double, double, double, double, double)[] Logs(IReadOnlyList<GemmPoint> points) =>
        [.. points.Select(p => (Math.Log2(p.M), Math.Log2(p.N), Math.Log2(p.K), p.M, p.Share))];

    /// <summary>The profile in use, or null for named defaults.</summary>
    public KernelProfile? Profile { get; }

    /// <summary>The band end priced.</summary>
    public Band Band { get; }

    /// <summary>What the model uses for this GPU, for the output.</summary>
    public string Description => Profile is { } p
        ? $"{p.Name} kernel data measured on {p.MeasuredOn.Name}" + (p.GqaDecodeAssumption is { } assumed ? FormattableString.Invariant($", grouped-query decode attention assumed at {p.GqaDecodeMemoryShare:0.00} of HBM: {assumed}") : "")
        : "named datasheet defaults (no kernel data)";

    /// <summary>Scales a share by the band for named defaults.</summary>
    private double DefaultBand(double share) => Band switch
    {
        Band.Low => share * DefaultLowFactor,
        Band.High => Math.Min(1, share * DefaultHighFactor),
        _ => share,
    };

    /// <summary>
    /// Share of the GEMM roofline (peaks) a GEMM of this shape reaches; null when there is no data. A dense BF16 GEMM
    /// (<paramref name="bf16"/>) takes the profile's BF16 measurements where it has them.
    /// </summary>
    public double? GemmShare(GemmTable table, double m, double n, double k, bool bf16 = false)
    {
        var ownBf16 = bf16 && table == GemmTable.Dense && _denseBf16.Length > 0;
        var points = ownBf16 ? _denseBf16 : table switch
        {
            GemmTable.Dense => _dense,
            GemmTable.Contiguous => _contiguous,
            _ => _masked,
        };
        if (points.Length == 0 || m <= 0 || n <= 0 || k <= 0)
        {
            return null;
        }

        double lm = Math.Log2(m), ln = Math.Log2(n), lk = Math.Log2(k);
        lm = Math.Max(lm, ownBf16 ? _denseBf16Floor : table switch
        {
            GemmTable.Dense => _denseFloor,
            GemmTable.Contiguous => _contiguousFloor,
            _ => _maskedFloor,
        });
        if (Band != Band.Mid)
        {
            // The spread of the measurements at the nearest M.
            var nearest = points[0].LogM;
            foreach (var p in points)
            {
                if (Math.Abs(p.LogM - lm) < Math.Abs(nearest - lm))
                {
                    nearest = p.LogM;
                }
            }

            double low = double.MaxValue, high = double.MinValue;
            foreach (var p in points)
            {
                if (p.LogM == nearest)
                {
                    low = Math.Min(low, p.Share);
                    high = Math.Max(high, p.Share);
                }
            }

            return Band == Band.Low ? low : high;
        }

        // Inverse-distance weighting in log space, M counted four times as heavily: efficiency follows M first.
        double sum = 0, weights = 0;
        foreach (var p in points)
        {
            double dm = p.LogM - lm, dn = p.LogN - ln, dk = p.LogK - lk;
            var d2 = 4 * dm * dm + dn * dn + dk * dk;
            if (d2 < 1e-12)
            {
                return p.Share;
            }

            var w = 1 / (d2 * d2);
            sum += w * p.Share;
            weights += w;
        }

        return sum / weights;
    }

    /// <summary>Attention kernel shares (memory, compute), from data or the named defaults.</summary>
    public (double Memory, double Compute) AttentionShares()
    {
        // Each share from data where the profile measured it, otherwise the named default.
        return (Profile?.AttentionMemoryShare ?? DefaultBand(DefaultAttentionMemoryShare), Profile?.AttentionComputeShare ?? DefaultBand(DefaultAttentionComputeShare));
    }

    /// <summary>
    /// Share of HBM bandwidth the decode attention of grouped-query or multi-head attention reaches when memory-bound:
    /// the profile's own measurement of those kernels, otherwise the attention kernel's share of <see cref="AttentionShares"/>.
    /// </summary>
    public double GqaDecodeMemoryShare() => Profile?.GqaDecodeMemoryShare ?? AttentionShares().Memory;

    /// <summary>
    /// Share of the BF16 peak a causal prefill attention over <paramref name="keys"/> keys per prompt reaches:
    /// interpolated in log length between the measured sequence lengths (held at the ends); at the band's ends the
    /// slower or faster of the two neighbouring measurements. Null without data (the caller then uses the
    /// attention kernel's compute share).
    /// </summary>
    public double? PrefillAttentionShare(double keys)
    {
        var points = _prefillAttention;
        if (points.Length == 0 || !(keys > 0))
        {
            return null;
        }

        if (Band == Band.Mid)
        {
            return InterpolateLog(points, keys);
        }

        var i = 1;
        while (i < points.Length - 1 && points[i].X < keys)
        {
            i++;
        }

        var (a, b) = (points[i - 1].Value, points[i].Value);
        return Band == Band.Low ? Math.Min(a, b) : Math.Max(a, b);
    }

    /// <summary>Share of the roofline a GEMM without kernel data reaches (the GPU's named factor).</summary>
    public double DefaultGemmShare => DefaultBand(_gpu.Efficiency.Compute);

    /// <summary>
    /// The most a weight-only GEMM (weights the tensor cores cannot take as they are: FP4 without FP4 units, INT4) reaches
    /// of the BF16 peak while compute-bound: its dequantisation rate, <see cref="WeightOnlyTflopsPerSm"/> per SM,
    /// over that peak (0.257 on H100 and H200; on GPUs whose tensor cores are slow beside their SMs, as H20's, the
    /// GEMM's own share is the lower).
    /// </summary>
    public double WeightOnlyComputeShare => Math.Min(1, WeightOnlyTflopsPerSm * _gpu.Sms / _gpu.Fp16Tflops);

    /// <summary>Share of HBM bandwidth a streaming kernel reaches (the GPU's named factor).</summary>
    public double StreamingShare => _gpu.Efficiency.Memory;

    /// <summary>Achieved NVLink bandwidth of a normal-mode all-to-all, GB/s per GPU.</summary>
    public double NvLinkGBps(bool combine)
    {
        if (Profile is { NvLink: { } nv })
        {
            var measured = combine ? nv.CombineGBps : nv.DispatchGBps;
            return measured / Profile.AllToAllMeasuredOn.ScaleUpBandwidthGBps * _gpu.ScaleUpBandwidthGBps;
        }

        return DefaultBand(_gpu.Efficiency.ScaleUp) * _gpu.ScaleUpBandwidthGBps;
    }

    /// <summary>Achieved RDMA bandwidth of a normal-mode all-to-all at an EP size, GB/s per GPU.</summary>
    public double RdmaGBps(double ep, bool combine)
    {
        if (Profile is { Rdma.Count: > 0 } p)
        {
            var values = combine ? _rdmaCombine : _rdmaDispatch;
            var measured = Band switch
            {
                Band.Low => Min(values),
                Band.High => Max(values),
                _ => InterpolateLog(values, ep),
            };
            return measured / p.AllToAllMeasuredOn.ScaleOutBandwidthGBps * _gpu.ScaleOutBandwidthGBps;
        }

        return DefaultBand(_gpu.Efficiency.ScaleOut) * _gpu.ScaleOutBandwidthGBps;
    }

    /// <summary>
    /// Achieved RDMA bandwidth of a low-latency all-to-all at an EP size, GB/s per GPU: the measured bytes over the
    /// measured time less the fixed latency the model adds back; null without data.
    /// </summary>
    public double? LowLatencyGBps(double ep, bool combine, double latencyUs)
    {
        if (Profile is not { LowLatency.Count: > 0 } p)
        {
            return null;
        }

        var points = combine ? _llCombine : _llDispatch;
        var us = Band switch
        {
            Band.Low => Max(points),
            Band.High => Min(points),
            _ => InterpolateLog(points, ep),
        };
        // DeepEP's formats: FP8 dispatch, BF16 combine.
        var perToken = Work.RooflineWork.PayloadBytesPerToken(p.LowLatencyHidden, combine ? Units.Precision.Bf16 : Units.Precision.Fp8);
        var bytes = p.LowLatencyTokens * p.LowLatencyTopK * (ep - 1) / ep * perToken;
        var measured = bytes / ((us - latencyUs) * 1e-6) / 1e9;
        return measured / p.LowLatencyMeasuredOn.ScaleOutBandwidthGBps * _gpu.ScaleOutBandwidthGBps;
    }

    private static double Min((double X, double Value)[] points)
    {
        var m = double.MaxValue;
        foreach (var p in points)
        {
            m = Math.Min(m, p.Value);
        }

        return m;
    }

    private static double Max((double X, double Value)[] points)
    {
        var m = double.MinValue;
        foreach (var p in points)
        {
            m = Math.Max(m, p.Value);
        }

        return m;
    }

    /// <summary>Whether the profile measured the normal-mode all-to-all over RDMA.</summary>
    public bool HasRdmaData => Profile is { Rdma.Count: > 0 };

    /// <summary>Share of the SMs a normal-mode all-to-all takes while overlapping prefill compute.</summary>
    public double CommSmShare => Profile?.CommSmShare ?? DefaultCommSmShare;

    /// <summary>Named default: DeepSeek reserves 24 of H800's 132 SMs for DeepEP in prefill.</summary>
    public const double DefaultCommSmShare = 24.0 / 132;

    private static double InterpolateLog((double X, double Value)[] points, double x)
    {
        if (x <= points[0].X)
        {
            return points[0].Value;
        }

        if (x >= points[^1].X)
        {
            return points[^1].Value;
        }

        for (var i = 1; i < points.Length; i++)
        {
            if (x <= points[i].X)
            {
                var t = Math.Log(x / points[i - 1].X) / Math.Log(points[i].X / points[i - 1].X);
                return points[i - 1].Value + t * (points[i].Value - points[i - 1].Value);
            }
        }

        return points[^1].Value;
    }
}

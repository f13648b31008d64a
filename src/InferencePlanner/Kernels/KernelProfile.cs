using InferencePlanner.Hardware;
using InferencePlanner.Json;
using InferencePlanner.Units;

namespace InferencePlanner.Kernels;

/// <summary>A measured GEMM: its shape and its share of the roofline of the GPU it was measured on.</summary>
/// <param name="Groups">Groups (1 for a dense GEMM).</param>
/// <param name="M">Rows per group (tokens, or tokens per expert).</param>
/// <param name="N">Output columns.</param>
/// <param name="K">Reduction depth.</param>
/// <param name="Share">Time at the peaks over the measured time.</param>
public readonly record struct GemmPoint(double Groups, double M, double N, double K, double Share);

/// <summary>Measured low-latency all-to-all times at one EP size, for a fixed token count.</summary>
/// <param name="Ep">EP size.</param>
/// <param name="DispatchUs">Dispatch time, microseconds.</param>
/// <param name="CombineUs">Combine time, microseconds.</param>
public readonly record struct LowLatencyPoint(double Ep, double DispatchUs, double CombineUs);

/// <summary>Measured normal-mode RDMA bandwidth at one EP size.</summary>
/// <param name="Ep">EP size.</param>
/// <param name="DispatchGBps">Dispatch bottleneck bandwidth, GB/s.</param>
/// <param name="CombineGBps">Combine bottleneck bandwidth, GB/s.</param>
public readonly record struct RdmaPoint(double Ep, double DispatchGBps, double CombineGBps);

/// <summary>
/// Kernel measurements of one GPU architecture (data/kernels/*.json): GEMMs by shape, the attention kernel, the
/// all-to-all in its two modes. Throughputs are kept as measured and as shares of the measuring GPU's peaks.
/// </summary>
public sealed record KernelProfile
{
    /// <summary>Profile name.</summary>
    public required string Name { get; init; }

    /// <summary>Where the data comes from.</summary>
    public required string Source { get; init; }

    /// <summary>The GPU the data was measured on (its peaks turn throughputs into shares).</summary>
    public required GpuSpec MeasuredOn { get; init; }

    /// <summary>Built-in GPUs this profile applies to.</summary>
    public required IReadOnlyList<string> AppliesTo { get; init; }

    /// <summary>Dense FP8 GEMMs.</summary>
    public IReadOnlyList<GemmPoint> Dense { get; init; } = [];

    /// <summary>
    /// Dense BF16 GEMMs, as shares of the BF16 roofline of the GPU they were measured on; empty where the profile has
    /// none (BF16 GEMMs then take the FP8 table's shares).
    /// </summary>
    public IReadOnlyList<GemmPoint> DenseBf16 { get; init; } = [];

    /// <summary>Grouped GEMMs, contiguous layout (prefill experts); empty where the profile has none (they then take the named default, not the dense table's shares).</summary>
    public IReadOnlyList<GemmPoint> Contiguous { get; init; } = [];

    /// <summary>Grouped GEMMs, masked layout (decode experts); empty where the profile has none (as <see cref="Contiguous"/>).</summary>
    public IReadOnlyList<GemmPoint> Masked { get; init; } = [];

    /// <summary>Attention kernel: achieved share of HBM bandwidth when memory-bound; null without data.</summary>
    public double? AttentionMemoryShare { get; init; }

    /// <summary>Attention kernel: achieved share of BF16 peak when compute-bound; null without data.</summary>
    public double? AttentionComputeShare { get; init; }

    /// <summary>
    /// Decode attention of grouped-query or multi-head attention (per-head keys and values, not MLA's latent):
    /// achieved share of HBM bandwidth when memory-bound; null without data (the MLA kernel's share then applies).
    /// </summary>
    public double? GqaDecodeMemoryShare { get; init; }

    /// <summary>
    /// What <see cref="GqaDecodeMemoryShare"/> assumes where no benchmark measured the kernel (the table's
    /// <c>assumption</c>), for the outputs to name; null when it is measured.
    /// </summary>
    public string? GqaDecodeAssumption { get; init; }

    /// <summary>
    /// Causal prefill attention: (keys attended, share of the BF16 peak of the GPU it was measured on), by
    /// sequence length; empty without data.
    /// </summary>
    public IReadOnlyList<(double SeqLen, double Share)> PrefillAttention { get; init; } = [];

    /// <summary>Normal-mode all-to-all over NVLink inside a node: (EP, dispatch GB/s, combine GB/s); null without data.</summary>
    public (double Ep, double DispatchGBps, double CombineGBps)? NvLink { get; init; }

    /// <summary>Normal-mode all-to-all over RDMA by EP size.</summary>
    public IReadOnlyList<RdmaPoint> Rdma { get; init; } = [];

    /// <summary>Share of the SMs the normal-mode all-to-all takes while it overlaps compute.</summary>
    public double CommSmShare { get; init; }

    /// <summary>
    /// The GPU the normal-mode all-to-all (<see cref="NvLink"/>, <see cref="Rdma"/>) was measured on, whose link
    /// bandwidths turn its figures into shares: the file's own GPU, or, for a table a profile takes from the one it
    /// extends, that profile's (a table keeps the GPU it was measured on whichever file names it).
    /// </summary>
    public required GpuSpec AllToAllMeasuredOn { get; init; }

    /// <summary>The GPU the low-latency all-to-all (<see cref="LowLatency"/>) was measured on, as <see cref="AllToAllMeasuredOn"/>.</summary>
    public required GpuSpec LowLatencyMeasuredOn { get; init; }

    /// <summary>Token count of the low-latency measurements.</summary>
    public double LowLatencyTokens { get; init; }

    /// <summary>Hidden size of the low-latency measurements.</summary>
    public double LowLatencyHidden { get; init; }

    /// <summary>Copies per token (top-k) of the low-latency measurements.</summary>
    public double LowLatencyTopK { get; init; }

    /// <summary>Low-latency all-to-all times by EP size.</summary>
    public IReadOnlyList<LowLatencyPoint> LowLatency { get; init; } = [];

    // The keys a kernel file may hold at each level (data/kernels/README.md).
    private static readonly Dictionary<string, string[]> Keys = new(StringComparer.Ordinal)
    {
        [""] = ["name", "extends", "measuredOn", "appliesTo", "source", "notes", "gemmFp8", "gemmBf16", "groupedContiguous", "groupedMasked", "mlaDecode", "gqaDecode", "prefillAttention", "allToAllNormal", "allToAllLowLatency"],
        ["gemmFp8"] = ["source", "notes", "points"],
        ["gemmFp8.points[]"] = ["m", "n", "k", "tflops", "groups"],
        ["gemmBf16"] = ["source", "notes", "measuredOn", "points"],
        ["gemmBf16.points[]"] = ["m", "n", "k", "tflops"],
        ["groupedContiguous"] = ["source", "notes", "measuredOn", "precision", "points"],
        ["groupedContiguous.points[]"] = ["m", "n", "k", "tflops", "groups"],
        ["groupedMasked"] = ["source", "notes", "measuredOn", "precision", "points"],
        ["groupedMasked.points[]"] = ["m", "n", "k", "tflops", "groups"],
        ["mlaDecode"] = ["source", "notes", "memoryGBps", "tflops"],
        ["gqaDecode"] = ["source", "notes", "measuredOn", "memoryGBps", "assumption"],
        ["prefillAttention"] = ["source", "notes", "measuredOn", "points"],
        ["prefillAttention.points[]"] = ["seqLen", "tflops"],
        ["allToAllNormal"] = ["source", "notes", "commSms", "nvlink", "rdma"],
        ["allToAllNormal.nvlink"] = ["ep", "dispatchGBps", "combineGBps"],
        ["allToAllNormal.rdma[]"] = ["ep", "dispatchGBps", "combineGBps"],
        ["allToAllLowLatency"] = ["source", "notes", "tokens", "hidden", "topK", "points"],
        ["allToAllLowLatency.points[]"] = ["ep", "dispatchUs", "combineUs"],
    };

    /// <summary>
    /// Reads a profile; throughputs become shares of the measuring GPU's peaks. A profile that <c>extends</c> another
    /// (found by <paramref name="parent"/>) takes each table it does not hold from that one.
    /// </summary>
    internal static KernelProfile Parse(string json, string origin, Func<string, GpuSpec> resolve, Func<string, KernelProfile>? parent = null)
    {
        try
        {
            return ParseChecked(json, origin, resolve, parent);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{origin}: not a kernel profile ({e.Message})", e);
        }
    }

    private static KernelProfile ParseChecked(string json, string origin, Func<string, GpuSpec> resolve, Func<string, KernelProfile>? parent)
    {
        var f = JsonFields.Parse(json, origin);
        GpuSpec gpu;
        try
        {
            gpu = resolve(f.Text("measuredOn"));
        }
        catch (InputException e) when (!e.Message.StartsWith(origin, StringComparison.Ordinal))
        {
            throw new InputException($"{origin}: measuredOn: {e.Message}", e);
        }

        using var doc = System.Text.Json.JsonDocument.Parse(json, JsonFields.ReadOptions);
        var root = doc.RootElement;
        JsonSchemaKeys.Check(root, Keys, origin);
        // A GEMM table's points as shares of the roofline of the GPU it was measured on: FP8, BF16 (gemmBf16), or FP4 where
        // a grouped table says its kernels ran FP4 inputs and weights ("precision": "fp4").
        IReadOnlyList<GemmPoint> Gemms(string table, bool bf16 = false)
        {
            if (!root.TryGetProperty(table, out var t))
            {
                return [];
            }

            var on = MeasuredOn(t, table);
            var fp4 = Fp4Table(t, table, on);
            return [.. t.GetProperty("points").EnumerateArray().Select(p =>
            {
                var groups = p.TryGetProperty("groups", out var g) ? g.GetDouble() : 1;
                var (m, n, k, tflops) = (Positive(p, "m", origin), Positive(p, "n", origin), Positive(p, "k", origin), Positive(p, "tflops", origin));
                return new GemmPoint(groups, m, n, k, GemmRoofline.Share(on, groups, m, n, k, tflops, bf16 ? Precision.Bf16 : fp4 ? Precision.Fp4 : Precision.Fp8));
            })];
        }

        // Whether a table's kernels ran in FP4 (its "precision"; FP8 when absent), on a GPU with FP4 tensor cores.
        bool Fp4Table(System.Text.Json.JsonElement t, string table, GpuSpec on)
        {
            if (!t.TryGetProperty("precision", out var precision))
            {
                return false;
            }

            var text = precision.ValueKind == System.Text.Json.JsonValueKind.String ? precision.GetString() : null;
            if (text is not ("fp8" or "fp4"))
            {
                throw new InputException($"{origin}: {table}.precision must be \"fp8\" or \"fp4\", got {precision.GetRawText()}");
            }

            var fp4 = text == "fp4";
            if (fp4 && on.Fp4Tflops is null)
            {
                throw new InputException($"{origin}: {table} is FP4 but {on.Name}, the GPU it was measured on, has no FP4 peak (fp4Tflops)");
            }

            return fp4;
        }

        double? memShare = null, computeShare = null;
        if (root.TryGetProperty("mlaDecode", out var mla))
        {
            // Either figure may be missing: a kernel measured only where it is memory-bound, say.
            if (!mla.TryGetProperty("memoryGBps", out _) && !mla.TryGetProperty("tflops", out _))
            {
                throw new InputException($"{origin}: mlaDecode needs 'memoryGBps', 'tflops' or both");
            }

            memShare = mla.TryGetProperty("memoryGBps", out _) ? Positive(mla, "memoryGBps", origin) / gpu.MemoryBandwidthGBps : null;
            computeShare = mla.TryGetProperty("tflops", out _) ? Positive(mla, "tflops", origin) / gpu.Fp16Tflops : null;
        }

        // A table may be measured on another GPU of the architecture than the rest of the profile.
        GpuSpec MeasuredOn(System.Text.Json.JsonElement table, string name)
        {
            if (!table.TryGetProperty("measuredOn", out var o) || o.ValueKind != System.Text.Json.JsonValueKind.String)
            {
                return gpu;
            }

            try
            {
                return resolve(o.GetString()!);
            }
            catch (InputException e) when (!e.Message.StartsWith(origin, StringComparison.Ordinal))
            {
                throw new InputException($"{origin}: {name}.measuredOn: {e.Message}", e);
            }
        }

        double? gqaShare = null;
        string? gqaAssumption = null;
        if (root.TryGetProperty("gqaDecode", out var gqa))
        {
            if (gqa.TryGetProperty("assumption", out var a))
            {
                gqaAssumption = a.ValueKind == System.Text.Json.JsonValueKind.String && !string.IsNullOrWhiteSpace(a.GetString())
                    ? a.GetString()
                    : throw new InputException($"{origin}: gqaDecode.assumption must be a non-empty string saying what the share assumes");
            }

            gqaShare = Positive(gqa, "memoryGBps", origin) / MeasuredOn(gqa, "gqaDecode").MemoryBandwidthGBps;
        }

        IReadOnlyList<(double, double)> prefill = [];
        if (root.TryGetProperty("prefillAttention", out var pa))
        {
            var on = MeasuredOn(pa, "prefillAttention");

            prefill = [.. pa.GetProperty("points").EnumerateArray()
                .Select(p => (Positive(p, "seqLen", origin), Positive(p, "tflops", origin) / on.Fp16Tflops))
                .OrderBy(p => p.Item1)];
        }

        (double, double, double)? nvlink = null;
        IReadOnlyList<RdmaPoint> rdma = [];
        double commShare = 0;
        if (root.TryGetProperty("allToAllNormal", out var normal))
        {
            var nv = normal.GetProperty("nvlink");
            nvlink = (Positive(nv, "ep", origin), Positive(nv, "dispatchGBps", origin), Positive(nv, "combineGBps", origin));
            rdma = [.. normal.GetProperty("rdma").EnumerateArray().Select(p => new RdmaPoint(Positive(p, "ep", origin), Positive(p, "dispatchGBps", origin), Positive(p, "combineGBps", origin)))];
            commShare = normal.TryGetProperty("commSms", out var sms) ? sms.GetDouble() / gpu.Sms : 0;
        }

        double llTokens = 0, llHidden = 0, llTopK = 0;
        IReadOnlyList<LowLatencyPoint> ll = [];
        if (root.TryGetProperty("allToAllLowLatency", out var low))
        {
            llTokens = Positive(low, "tokens", origin);
            llHidden = Positive(low, "hidden", origin);
            llTopK = Positive(low, "topK", origin);
            ll = [.. low.GetProperty("points").EnumerateArray().Select(p => new LowLatencyPoint(Positive(p, "ep", origin), Positive(p, "dispatchUs", origin), Positive(p, "combineUs", origin)))];
        }

        var own = new KernelProfile
        {
            Name = f.Text("name"),
            Source = f.Text("source"),
            MeasuredOn = gpu,
            AppliesTo = f.OptionalTextArray("appliesTo") ?? [],
            Dense = Gemms("gemmFp8"),
            DenseBf16 = Gemms("gemmBf16", bf16: true),
            Contiguous = Gemms("groupedContiguous"),
            Masked = Gemms("groupedMasked"),
            AttentionMemoryShare = memShare,
            AttentionComputeShare = computeShare,
            GqaDecodeMemoryShare = gqaShare,
            GqaDecodeAssumption = gqaAssumption,
            PrefillAttention = prefill,
            NvLink = nvlink,
            Rdma = rdma,
            CommSmShare = commShare,
            AllToAllMeasuredOn = gpu,
            LowLatencyMeasuredOn = gpu,
            LowLatencyTokens = llTokens,
            LowLatencyHidden = llHidden,
            LowLatencyTopK = llTopK,
            LowLatency = ll,
        };
        if (!root.TryGetProperty("extends", out var extends))
        {
            return own;
        }

        var name = extends.GetString() ?? throw new InputException($"{origin}: extends names no profile");
        KernelProfile from;
        try
        {
            from = parent is null ? throw new InputException($"no profile '{name}' to extend here") : parent(name);
        }
        catch (InputException e) when (!e.Message.StartsWith(origin, StringComparison.Ordinal))
        {
            throw new InputException($"{origin}: extends: {e.Message}", e);
        }

        bool Has(string table) => root.TryGetProperty(table, out _);
        return own with
        {
            Dense = Has("gemmFp8") ? own.Dense : from.Dense,
            DenseBf16 = Has("gemmBf16") ? own.DenseBf16 : from.DenseBf16,
            Contiguous = Has("groupedContiguous") ? own.Contiguous : from.Contiguous,
            Masked = Has("groupedMasked") ? own.Masked : from.Masked,
            AttentionMemoryShare = Has("mlaDecode") ? own.AttentionMemoryShare : from.AttentionMemoryShare,
            AttentionComputeShare = Has("mlaDecode") ? own.AttentionComputeShare : from.AttentionComputeShare,
            GqaDecodeMemoryShare = Has("gqaDecode") ? own.GqaDecodeMemoryShare : from.GqaDecodeMemoryShare,
            GqaDecodeAssumption = Has("gqaDecode") ? own.GqaDecodeAssumption : from.GqaDecodeAssumption,
            PrefillAttention = Has("prefillAttention") ? own.PrefillAttention : from.PrefillAttention,
            NvLink = Has("allToAllNormal") ? own.NvLink : from.NvLink,
            Rdma = Has("allToAllNormal") ? own.Rdma : from.Rdma,
            CommSmShare = Has("allToAllNormal") ? own.CommSmShare : from.CommSmShare,
            AllToAllMeasuredOn = Has("allToAllNormal") ? own.AllToAllMeasuredOn : from.AllToAllMeasuredOn,
            LowLatencyMeasuredOn = Has("allToAllLowLatency") ? own.LowLatencyMeasuredOn : from.LowLatencyMeasuredOn,
            LowLatencyTokens = Has("allToAllLowLatency") ? own.LowLatencyTokens : from.LowLatencyTokens,
            LowLatencyHidden = Has("allToAllLowLatency") ? own.LowLatencyHidden : from.LowLatencyHidden,
            LowLatencyTopK = Has("allToAllLowLatency") ? own.LowLatencyTopK : from.LowLatencyTopK,
            LowLatency = Has("allToAllLowLatency") ? own.LowLatency : from.LowLatency,
        };
    }

    private static double Positive(System.Text.Json.JsonElement e, string name, string origin)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != System.Text.Json.JsonValueKind.Number || !(v.GetDouble() > 0))
        {
            throw new InputException($"{origin}: every point needs a positive number '{name}'");
        }

        return v.GetDouble();
    }
}

/// <summary>
/// The roofline of a GEMM with BF16 output, the basis of the shares: its inputs and weights in FP8 unless a table says
/// otherwise (BF16, or FP4 with its scales), at the GPU's peak rate for that precision and its HBM bandwidth.
/// </summary>
public static class GemmRoofline
{
    /// <summary>FLOPs of a grouped GEMM.</summary>
    public static double Flops(double groups, double m, double n, double k) => 2 * groups * m * n * k;

    /// <summary>Bytes it moves: inputs and weights in <paramref name="inputs"/> (FP8 by default), BF16 output.</summary>
    public static double Bytes(double groups, double m, double n, double k, Precision inputs = Precision.Fp8) =>
        groups * ((inputs.BytesPerElement() * ((m * k) + (n * k))) + (Precision.Bf16.BytesPerElement() * m * n));

    /// <summary>Time at the GPU's peak rate for <paramref name="inputs"/> and its HBM peak, seconds.</summary>
    public static double PeakSeconds(GpuSpec gpu, double groups, double m, double n, double k, Precision inputs = Precision.Fp8)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return Math.Max(Flops(groups, m, n, k) / gpu.PeakRate(inputs).FlopsPerSecond, Bytes(groups, m, n, k, inputs) / (gpu.MemoryBandwidthGBps * 1e9));
    }

    /// <summary>Share of the roofline a measurement reached: time at the peaks over measured time.</summary>
    public static double Share(GpuSpec gpu, double groups, double m, double n, double k, double tflops, Precision inputs = Precision.Fp8) =>
        PeakSeconds(gpu, groups, m, n, k, inputs) / (Flops(groups, m, n, k) / (tflops * 1e12));
}

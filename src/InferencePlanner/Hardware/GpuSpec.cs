using InferencePlanner.Units;

namespace InferencePlanner.Hardware;

/// <summary>
/// Achievable share of each peak, for the default cost model: empirical factors, named as such, that a GPU
/// file may override.
/// </summary>
/// <param name="Compute">Share of its roofline a GEMM reaches (compute- or memory-bound alike).</param>
/// <param name="Memory">HBM bandwidth a streaming kernel (norms, activations, KV reads) reaches, over the peak.</param>
/// <param name="ScaleUp">NVLink bandwidth an all-to-all or all-reduce reaches, over the per-direction peak.</param>
/// <param name="ScaleOut">NIC bandwidth RDMA traffic reaches, over the line rate.</param>
public sealed record GpuEfficiency(double Compute, double Memory, double ScaleUp, double ScaleOut)
{
    /// <summary>
    /// Defaults derived from DeepSeek's published kernel results on H800 (data/kernels/hopper.json): DeepGEMM's
    /// GEMMs reach a median 0.63 of their roofline (0.45 to 0.80 over 26 shapes, dense and grouped); streaming
    /// kernels 0.85 of HBM bandwidth (FlashMLA reaches 0.9); DeepEP about 155 of 200 GB/s over NVLink (0.78) and
    /// about 45 of 50 GB/s over RDMA (0.9).
    /// </summary>
    public static GpuEfficiency Default { get; } = new(0.63, 0.85, 0.78, 0.90);
}

/// <summary>Fixed costs the default cost model adds to each operator, microseconds.</summary>
/// <param name="KernelUs">Prologue and tail of one kernel whose efficiency is not measured (a measured kernel's time includes them).</param>
/// <param name="ScaleUpUs">Start-up of one collective inside the scale-up domain.</param>
/// <param name="ScaleOutUs">Start-up of one collective over the NIC (RDMA round trip and synchronisation).</param>
/// <param name="LaunchUs">
/// Gap between two dependent kernels, paid by every kernel: kernel benchmarks time the kernel alone, not the launch
/// before it.
/// </param>
/// <param name="AllReduceScaleOutUs">
/// Start-up of one all-reduce whose group spans scale-up domains: a reduction inside each domain, the exchange over the
/// NICs and the broadcast back, each with its own synchronisation (NCCL runs these; the frameworks' one-shot all-reduce
/// kernels work inside one NVLink domain only).
/// </param>
/// <param name="AllReduceUs">A small all-reduce between two GPUs of one scale-up domain.</param>
/// <param name="AllReduceDoublingUs">
/// What a small all-reduce inside one scale-up domain adds each time its group doubles beyond two GPUs: every rank
/// waits on more peers, whether the algorithm steps through a tree or a ring or polls flags in one shot.
/// </param>
public sealed record GpuLatency(double KernelUs, double ScaleUpUs, double ScaleOutUs, double LaunchUs, double AllReduceScaleOutUs = GpuLatency.DefaultAllReduceScaleOutUs,
    double AllReduceUs = GpuLatency.DefaultAllReduceUs, double AllReduceDoublingUs = GpuLatency.CalibratedAllReduceDoublingUs)
{
    /// <summary>
    /// A small all-reduce between two H100 SXM GPUs over NVLink, replayed from a CUDA graph: about 6 us for 128 B to
    /// 64 KB (NVIDIA/nccl issue #1259, NCCL 2.20.5 NVLSTree, all_reduce_perf -g 2 on an HGX 8 x H100 node).
    /// </summary>
    public const double DefaultAllReduceUs = 6;

    /// <summary>
    /// <see cref="AllReduceDoublingUs"/> as the serving calibration chooses it, jointly with the prefill step factor, on a
    /// grid of 0 to 9 us in steps of 3 (see validate --serving): no published table gives a small all-reduce's latency
    /// against the GPUs of one node (NCCL issue #1259 asks why it grows, and reports 2 GPUs only). At 3 us per doubling
    /// eight GPUs take 12 us to start a one-shot all-reduce and twice that for a two-shot one (RooflinePolicy).
    /// </summary>
    public const double CalibratedAllReduceDoublingUs = 3;

    /// <summary>A small all-reduce's start-up among <paramref name="ranks"/> GPUs of one scale-up domain, microseconds.</summary>
    public double ScaleUpAllReduceUs(double ranks) => ranks <= 2 ? AllReduceUs : AllReduceUs + AllReduceDoublingUs * Math.Log2(ranks / 2);

    /// <summary>
    /// An all-reduce of a few bytes to 1 KB over 2 nodes of 8 Hopper GPUs (H20, one ConnectX-7 NDR NIC per GPU, NCCL
    /// 2.21.5, NVLSTree): 46 to 48 us (NVIDIA/nccl issue #1244, all_reduce_perf).
    /// </summary>
    public const double DefaultAllReduceScaleOutUs = 47;

    /// <summary>
    /// Defaults: a few microseconds of prologue and tail per unmeasured kernel; NVLink and RDMA collectives of about
    /// 10 and 20 us at small sizes (DeepEP low-latency kernels); 1.3 us per launch, as Hazy Research measured on
    /// H100 for kernels replayed from a CUDA graph ("Look Ma, No Bubbles", May 2025); an all-reduce across nodes of
    /// <see cref="DefaultAllReduceScaleOutUs"/>. Against the serving measurements (validate --serving, each GPU held out,
    /// the frameworks' overheads recalibrated) the held-out TPOT error is least at these two per-kernel figures: a launch
    /// of 0.8 / 1.3 / 2.5 us gives 10.22 / 10.20 / 11.35%, a prologue of 1.5 / 3 / 5 us 10.34 / 10.20 / 11.87% (1.5 us
    /// fits the rows themselves and the model folds better, 9.72 and 9.94% against 10.09 and 10.72%, and the planner
    /// check worse, 52 of 78 against 56).
    /// </summary>
    public static GpuLatency Default { get; } = new(3, 10, 20, 1.3);
}

/// <summary>
/// A GPU as its data file gives it. Figures are used as given; cost policies apply their own efficiency
/// factors on top.
/// </summary>
/// <param name="Name">Name used on the command line and in tables.</param>
/// <param name="Sms">Streaming multiprocessors (or compute units) on the chip.</param>
/// <param name="CommSms">SMs reserved for communication kernels during prefill (the seed's model; 0 in datasheet files).</param>
/// <param name="Fp16Tflops">Dense BF16/FP16 tensor throughput, TFLOPS.</param>
/// <param name="Fp8Tflops">Dense FP8 tensor throughput, TFLOPS.</param>
/// <param name="MemoryGB">HBM capacity, in the file's GB (the seed reads it as GiB; the default model as 10^9 bytes).</param>
/// <param name="MemoryBandwidthGBps">HBM bandwidth, GB/s.</param>
/// <param name="ScaleUpBandwidthGBps">Scale-up link (NVLink) bandwidth per direction per GPU, GB/s.</param>
/// <param name="ScaleOutBandwidthGBps">Scale-out NIC bandwidth per GPU, GB/s.</param>
/// <param name="GpusPerNode">GPUs in one scale-up domain: 8 for an HGX node, 72 for an NVL72 rack.</param>
/// <param name="Source">Where the figures come from.</param>
public sealed record GpuSpec(
    string Name,
    int Sms,
    int CommSms,
    double Fp16Tflops,
    double Fp8Tflops,
    double MemoryGB,
    double MemoryBandwidthGBps,
    double ScaleUpBandwidthGBps,
    double ScaleOutBandwidthGBps,
    int GpusPerNode,
    string Source)
{
    /// <summary>Dense FP4 tensor throughput, TFLOPS; null where the GPU has no FP4 tensor cores.</summary>
    public double? Fp4Tflops { get; init; }

    /// <summary>Achievable shares of the peaks (default model).</summary>
    public GpuEfficiency Efficiency { get; init; } = GpuEfficiency.Default;

    /// <summary>Whether <see cref="Efficiency"/> comes from the file rather than the named defaults.</summary>
    public bool EfficiencyFromFile { get; init; }

    /// <summary>Kernel profile named by the file (data/kernels); null to use the profile that lists this GPU, or none.</summary>
    public string? KernelProfile { get; init; }

    /// <summary>Fixed costs per operator (default model).</summary>
    public GpuLatency Latency { get; init; } = GpuLatency.Default;

    /// <summary>
    /// A large all-reduce's measured bus bandwidth inside one scale-up domain by group size (default model); null, or a
    /// group smaller than any listed, for the link's share <see cref="GpuEfficiency.ScaleUp"/>.
    /// </summary>
    public AllReduceBandwidth? AllReduceBus { get; init; }

    /// <summary>
    /// The message, in MiB, at which a large all-reduce inside one scale-up domain reaches half of
    /// <see cref="AllReduceBusGBps(double)"/>: the collective pipelines its message in chunks over channels, and a message of a
    /// few chunks leaves the pipeline filling and draining, so the bus bandwidth of a message m is the large-message
    /// figure times m / (m + this). 0: the large-message figure at every size.
    /// </summary>
    public double AllReduceHalfBandwidthMiB { get; init; }

    /// <summary>The link's share of its per-direction bandwidth (<see cref="GpuEfficiency.ScaleUp"/>), GB/s: what an all-reduce reaches without a measured figure.</summary>
    public double ScaleUpShareGBps => ScaleUpBandwidthGBps * Efficiency.ScaleUp;

    /// <summary>The bandwidth a large all-reduce of <paramref name="ranks"/> GPUs of one domain reaches, GB/s of bus bandwidth.</summary>
    public double AllReduceBusGBps(double ranks) => AllReduceBus?.BusGBps(ranks) ?? ScaleUpShareGBps;

    /// <summary>
    /// The bus bandwidth an all-reduce of a <paramref name="messageBytes"/> message among <paramref name="ranks"/> GPUs of
    /// one domain reaches, GB/s: <see cref="AllReduceBusGBps(double)"/> less the pipeline's fill and drain
    /// (<see cref="AllReduceHalfBandwidthMiB"/>).
    /// </summary>
    public double AllReduceBusGBps(double ranks, double messageBytes) =>
        AllReduceBusGBps(ranks) * (AllReduceHalfBandwidthMiB > 0 ? messageBytes / (messageBytes + Bytes.FromMiB(AllReduceHalfBandwidthMiB).Value) : 1);

    /// <summary>Peak rate for a compute precision, as the file gives it.</summary>
    public FlopRate PeakRate(Precision precision) => precision switch
    {
        Precision.Fp8 => FlopRate.FromTeraFlops(Fp8Tflops),
        Precision.Bf16 => FlopRate.FromTeraFlops(Fp16Tflops),
        Precision.Fp4 => FlopRate.FromTeraFlops(Fp4Tflops ?? Fp8Tflops),
        Precision.Int4 => FlopRate.FromTeraFlops(Fp16Tflops), // weight-only: dequantised and multiplied at BF16
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "no compute rate for this precision"),
    };

    /// <summary>
    /// The precision the tensor cores actually run a request for <paramref name="precision"/> at. FP4 weights on a GPU
    /// without FP4 units are dequantised and multiplied at BF16 (weight-only W4A16): vLLM falls back to its Marlin
    /// kernel ("weight-only FP4 compression will be used"), and TensorRT-LLM runs MXFP4 experts on H200 with BF16
    /// activations (its GPT-OSS deployment guide's MoE backend matrix: TRITON backend).
    /// </summary>
    public Precision ComputePrecision(Precision precision) => precision switch
    {
        Precision.Fp4 or Precision.Mxfp4 when Fp4Tflops is null => Precision.Bf16,
        Precision.Mxfp4 => Precision.Fp8,
        Precision.Int4 => Precision.Bf16,
        _ => precision,
    };

    /// <summary>
    /// Whether weights of <paramref name="precision"/> are dequantised on the SMs and multiplied at BF16 (weight-only):
    /// FP4 and MXFP4 without FP4 units, INT4 always.
    /// </summary>
    public bool WeightOnly(Precision precision) => precision != Precision.Bf16 && ComputePrecision(precision) == Precision.Bf16;
}

using InferencePlanner.Units;

namespace InferencePlanner.Hardware;

/// <summary>
/// A GPU as the figures of its data file give it. Figures are used as given; cost policies apply their
/// own efficiency factors on top.
/// </summary>
/// <param name="Name">Name used on the command line and in tables.</param>
/// <param name="Sms">Streaming multiprocessors on the chip.</param>
/// <param name="CommSms">SMs reserved for communication kernels during prefill (the seed's decode reserves none).</param>
/// <param name="Fp16Tflops">BF16/FP16 tensor throughput, TFLOPS, as the file states it.</param>
/// <param name="Fp8Tflops">FP8 tensor throughput, TFLOPS, as the file states it.</param>
/// <param name="MemoryGB">HBM capacity, in the file's "GB" (the seed reads it as GiB).</param>
/// <param name="MemoryBandwidthGBps">HBM bandwidth, GB/s.</param>
/// <param name="ScaleUpBandwidthGBps">Scale-up link (NVLink) bandwidth per direction, GB/s.</param>
/// <param name="ScaleOutBandwidthGBps">Scale-out NIC bandwidth per GPU, GB/s.</param>
/// <param name="GpusPerNode">GPUs sharing one scale-up domain (an HGX node).</param>
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
    /// <summary>Peak rate for a compute precision, as the file gives it.</summary>
    public FlopRate PeakRate(Precision precision) => precision switch
    {
        Precision.Fp8 => FlopRate.FromTeraFlops(Fp8Tflops),
        Precision.Bf16 => FlopRate.FromTeraFlops(Fp16Tflops),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "no compute rate for this precision"),
    };
}

using System.Globalization;

namespace InferencePlanner.Hardware;

/// <summary>
/// A large all-reduce's bus bandwidth inside one scale-up domain by the size of its group, as NCCL's all_reduce_perf
/// reports it (busbw = algbw x 2(n - 1)/n): measured figures a GPU file gives (<c>allReduceBusGBps</c>). With
/// NVLink SHARP (NCCL's NVLS algorithm) the switch reduces in flight, so a group of eight reaches more than a ring
/// could (H100 SXM: about 367 GB/s from two to four GPUs, 480 at eight, NVIDIA/nccl issue #1455), and more than the
/// one share of the link every other collective is priced at (<see cref="GpuEfficiency.ScaleUp"/>).
/// </summary>
public sealed class AllReduceBandwidth
{
    private readonly (int Ranks, double BusGBps)[] _points;

    /// <summary>Measured bus bandwidths by group size; at least one, group sizes of at least two, each listed once.</summary>
    public AllReduceBandwidth(IEnumerable<(int Ranks, double BusGBps)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        _points = [.. points.OrderBy(p => p.Ranks)];
        if (_points.Length == 0 || _points[0].Ranks < 2 || _points.Select(p => p.Ranks).Distinct().Count() != _points.Length || _points.Any(p => !(p.BusGBps > 0) || !double.IsFinite(p.BusGBps)))
        {
            throw new ArgumentException("an all-reduce bandwidth table needs distinct group sizes of at least 2, each with a positive finite bandwidth", nameof(points));
        }
    }

    /// <summary>The measured points, by group size.</summary>
    public IReadOnlyList<(int Ranks, double BusGBps)> Points => _points;

    /// <summary>
    /// The bus bandwidth of a group of <paramref name="ranks"/> GPUs: the figure measured at the largest listed group
    /// no larger (a bigger group is not slower per link, and the measurements stop at one node); null below the
    /// smallest listed group, where the link's own share applies.
    /// </summary>
    public double? BusGBps(double ranks)
    {
        double? found = null;
        foreach (var (r, gbps) in _points)
        {
            if (r > ranks)
            {
                break;
            }

            found = gbps;
        }

        return found;
    }

    /// <summary>The table as text, each group with its figure, e.g. "4: 367.5, 8: 480 GB/s", for a note.</summary>
    public override string ToString() =>
        string.Join(", ", _points.Select(p => p.Ranks.ToString(CultureInfo.InvariantCulture) + ": " + p.BusGBps.ToString("0.#", CultureInfo.InvariantCulture))) + " GB/s";
}

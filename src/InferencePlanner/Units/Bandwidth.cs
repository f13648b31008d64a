namespace InferencePlanner.Units;

/// <summary>A data rate, held in bytes per second.</summary>
public readonly record struct Bandwidth(double BytesPerSecond)
{
    /// <summary>From decimal gigabytes per second (10^9 B/s).</summary>
    public static Bandwidth FromGBps(double gbps) => new(gbps * Bytes.BytesPerGB);

    /// <summary>From gibibytes per second (2^30 B/s).</summary>
    public static Bandwidth FromGiBps(double gibps) => new(gibps * Bytes.BytesPerGiB);

    /// <summary>From mebibytes per millisecond (2^20 B/ms = 1000 x 2^20 B/s).</summary>
    public static Bandwidth FromMiBPerMillisecond(double mibPerMs) => new(mibPerMs * Bytes.BytesPerMiB * 1000.0);



    /// <summary>Scaled rate (an efficiency factor, or several links in parallel).</summary>
    public static Bandwidth operator *(Bandwidth a, double factor) => new(a.BytesPerSecond * factor);

    /// <summary>Scaled rate.</summary>
    public static Bandwidth operator *(double factor, Bandwidth a) => new(a.BytesPerSecond * factor);
}

namespace InferencePlanner.Units;

/// <summary>An amount of data, held in bytes. Decimal (GB) and binary (MiB, GiB) units are named apart.</summary>
public readonly record struct Bytes(double Value) : IComparable<Bytes>
{
    /// <summary>2^20 bytes.</summary>
    public const double BytesPerMiB = 1024.0 * 1024.0;

    /// <summary>2^30 bytes.</summary>
    public const double BytesPerGiB = 1024.0 * 1024.0 * 1024.0;

    /// <summary>10^9 bytes.</summary>
    public const double BytesPerGB = 1e9;

    /// <summary>No data.</summary>
    public static Bytes Zero => default;

    /// <summary>From a count of bytes.</summary>
    public static Bytes FromBytes(double bytes) => new(bytes);

    /// <summary>From mebibytes (2^20 bytes).</summary>
    public static Bytes FromMiB(double mib) => new(mib * BytesPerMiB);

    /// <summary>From gibibytes (2^30 bytes).</summary>
    public static Bytes FromGiB(double gib) => new(gib * BytesPerGiB);

    /// <summary>From decimal gigabytes (10^9 bytes).</summary>
    public static Bytes FromGB(double gb) => new(gb * BytesPerGB);

    /// <summary>In mebibytes (2^20 bytes).</summary>
    public double ToMiB() => Value / BytesPerMiB;

    /// <summary>In gibibytes (2^30 bytes).</summary>
    public double ToGiB() => Value / BytesPerGiB;

    /// <summary>In decimal gigabytes (10^9 bytes).</summary>
    public double ToGB() => Value / BytesPerGB;

    /// <inheritdoc />
    public int CompareTo(Bytes other) => Value.CompareTo(other.Value);

    /// <summary>Sum of two amounts.</summary>
    public static Bytes operator +(Bytes a, Bytes b) => new(a.Value + b.Value);

    /// <summary>Difference of two amounts.</summary>
    public static Bytes operator -(Bytes a, Bytes b) => new(a.Value - b.Value);

    /// <summary>Scaled amount.</summary>
    public static Bytes operator *(Bytes a, double factor) => new(a.Value * factor);

    /// <summary>Scaled amount.</summary>
    public static Bytes operator *(double factor, Bytes a) => new(a.Value * factor);

    /// <summary>Divided amount.</summary>
    public static Bytes operator /(Bytes a, double divisor) => new(a.Value / divisor);

    /// <summary>Ratio of two amounts.</summary>
    public static double operator /(Bytes a, Bytes b) => a.Value / b.Value;

    /// <summary>Time to move this amount at a bandwidth.</summary>
    public static Duration operator /(Bytes a, Bandwidth b) => Duration.FromSeconds(a.Value / b.BytesPerSecond);

    /// <summary>Comparison.</summary>
    public static bool operator <(Bytes a, Bytes b) => a.Value < b.Value;

    /// <summary>Comparison.</summary>
    public static bool operator >(Bytes a, Bytes b) => a.Value > b.Value;

    /// <summary>Comparison.</summary>
    public static bool operator <=(Bytes a, Bytes b) => a.Value <= b.Value;

    /// <summary>Comparison.</summary>
    public static bool operator >=(Bytes a, Bytes b) => a.Value >= b.Value;
}

namespace InferencePlanner.Units;

/// <summary>A span of time, held in seconds.</summary>
public readonly record struct Duration(double Seconds) : IComparable<Duration>
{
    /// <summary>No time.</summary>
    public static Duration Zero => default;

    /// <summary>From seconds.</summary>
    public static Duration FromSeconds(double seconds) => new(seconds);

    /// <summary>From milliseconds.</summary>
    public static Duration FromMilliseconds(double ms) => new(ms / 1000.0);

    /// <summary>In milliseconds.</summary>
    public double Milliseconds => Seconds * 1000.0;

    /// <inheritdoc />
    public int CompareTo(Duration other) => Seconds.CompareTo(other.Seconds);

    /// <summary>Sum.</summary>
    public static Duration operator +(Duration a, Duration b) => new(a.Seconds + b.Seconds);

    /// <summary>Difference.</summary>
    public static Duration operator -(Duration a, Duration b) => new(a.Seconds - b.Seconds);

    /// <summary>Scaled span (a layer count, a repetition).</summary>
    public static Duration operator *(Duration a, double factor) => new(a.Seconds * factor);

    /// <summary>Scaled span.</summary>
    public static Duration operator *(double factor, Duration a) => new(a.Seconds * factor);

    /// <summary>Divided span (work split over tensor-parallel ranks).</summary>
    public static Duration operator /(Duration a, double divisor) => new(a.Seconds / divisor);

    /// <summary>Ratio of two spans.</summary>
    public static double operator /(Duration a, Duration b) => a.Seconds / b.Seconds;

    /// <summary>Comparison.</summary>
    public static bool operator <(Duration a, Duration b) => a.Seconds < b.Seconds;

    /// <summary>Comparison.</summary>
    public static bool operator >(Duration a, Duration b) => a.Seconds > b.Seconds;

    /// <summary>Comparison.</summary>
    public static bool operator <=(Duration a, Duration b) => a.Seconds <= b.Seconds;

    /// <summary>Comparison.</summary>
    public static bool operator >=(Duration a, Duration b) => a.Seconds >= b.Seconds;
}

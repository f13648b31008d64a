namespace InferencePlanner.Units;

/// <summary>A count of floating-point operations (a multiply-add counts as two).</summary>
public readonly record struct Flops(double Value)
{
    /// <summary>No work.</summary>
    public static Flops Zero => default;

    /// <summary>From multiply-accumulate operations: FLOPs = 2 x MACs.</summary>
    public static Flops FromMacs(double macs) => new(2.0 * macs);

    /// <summary>From GFLOP (10^9 FLOP).</summary>
    public static Flops FromGiga(double gflop) => new(gflop * 1e9);

    /// <summary>In GFLOP (10^9 FLOP).</summary>
    public double ToGiga() => Value / 1e9;


    /// <summary>Sum.</summary>
    public static Flops operator +(Flops a, Flops b) => new(a.Value + b.Value);

    /// <summary>Scaled count.</summary>
    public static Flops operator *(Flops a, double factor) => new(a.Value * factor);

    /// <summary>Scaled count.</summary>
    public static Flops operator *(double factor, Flops a) => new(a.Value * factor);

    /// <summary>Divided count.</summary>
    public static Flops operator /(Flops a, double divisor) => new(a.Value / divisor);

    /// <summary>Ratio of two counts.</summary>
    public static double operator /(Flops a, Flops b) => a.Value / b.Value;

    /// <summary>Time to compute this work at a rate.</summary>
    public static Duration operator /(Flops a, FlopRate r) => Duration.FromSeconds(a.Value / r.FlopsPerSecond);
}

/// <summary>A compute rate, held in FLOP per second.</summary>
public readonly record struct FlopRate(double FlopsPerSecond)
{
    /// <summary>From TFLOPS (10^12 FLOP/s).</summary>
    public static FlopRate FromTeraFlops(double tflops) => new(tflops * 1e12);

    /// <summary>In TFLOPS.</summary>
    public double ToTeraFlops() => FlopsPerSecond / 1e12;


    /// <summary>Scaled rate (an efficiency factor).</summary>
    public static FlopRate operator *(FlopRate a, double factor) => new(a.FlopsPerSecond * factor);

    /// <summary>Scaled rate.</summary>
    public static FlopRate operator *(double factor, FlopRate a) => new(a.FlopsPerSecond * factor);
}

namespace InferencePlanner.Work;

/// <summary>
/// The largest of several random draws: what a step that waits for the slowest of its GPUs pays. Normal order
/// statistics, from the standard normal quantile.
/// </summary>
public static class OrderStatistics
{
    // Expected largest of n draws for n up to this, computed once.
    private const int Tabled = 4096;

    private static readonly double[] LargestOfNormalsTable = BuildTable();

    /// <summary>
    /// The expected largest of <paramref name="n"/> independent standard normal draws, by Blom's approximation: the
    /// normal quantile at (n - 0.375) / (n + 0.25) (G. Blom, Statistical Estimates and Transformed Beta-Variables,
    /// 1958): within 0.03 of the exact values up to 100 draws, closer the more draws (exact, as H. L. Harter's 1961
    /// tables give them: 2 draws 0.564, 8 draws 1.424, 100 draws 2.508; this approximation 0.590, 1.434, 2.499); 0 for
    /// one draw.
    /// </summary>
    public static double ExpectedLargestOfNormals(double n)
    {
        if (!(n > 1))
        {
            return 0;
        }

        var whole = (int)n;
        return whole == n && whole <= Tabled ? LargestOfNormalsTable[whole] : Blom(n);
    }

    /// <summary>
    /// sqrt(2 ln n): the bound the largest of <paramref name="n"/> standard normal draws approaches for many draws, above
    /// <see cref="ExpectedLargestOfNormals"/> for few (8 draws: 2.04 against 1.42). The busiest rank's token load
    /// (<see cref="RooflineLayout.EffectiveImbalance"/>) takes it, as the expert load spread was calibrated with it
    /// (the end-to-end validation fits worse with Blom's figure there: best spread 0.9, held-out error 6.3 -> 6.6%).
    /// </summary>
    public static double LargestOfNormalsBound(double n) => n > 1 ? Math.Sqrt(2 * Math.Log(n)) : 0;

    /// <summary>
    /// The standard normal quantile: the z with P(Z &lt;= z) = <paramref name="p"/>, by Acklam's rational approximation
    /// (relative error below 1.2e-9); p outside (0, 1) is an argument error.
    /// </summary>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "a probability strictly between 0 and 1");
        }

        return p < 0.5 ? -UpperQuantile(p) : UpperQuantile(1 - p);
    }

    // The z with P(Z > z) = upper, for upper in (0, 1): the tails' rational function of sqrt(-2 ln upper) beyond Acklam's
    // central region, the central one inside it. Taking the upper tail's probability itself keeps it from rounding to 1.
    private static double UpperQuantile(double upper)
    {
        const double tail = 0.02425;
        if (upper < tail)
        {
            var q = Math.Sqrt(-2 * Math.Log(upper));
            return -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1);
        }

        if (upper > 1 - tail)
        {
            return -UpperQuantile(1 - upper);
        }

        var r = 0.5 - upper;
        var t = r * r;
        return (((((-3.969683028665376e+01 * t + 2.209460984245205e+02) * t - 2.759285104469687e+02) * t + 1.383577518672690e+02) * t - 3.066479806614716e+01) * t + 2.506628277459239e+00) * r
            / (((((-5.447609879822406e+01 * t + 1.615858368580409e+02) * t - 1.556989798598866e+02) * t + 6.680131188771972e+01) * t - 1.328068155288572e+01) * t + 1);
    }

    // The quantile at (n - 0.375) / (n + 0.25), from its upper tail 0.625 / (n + 0.25).
    private static double Blom(double n) => UpperQuantile(0.625 / (n + 0.25));

    private static double[] BuildTable()
    {
        var table = new double[Tabled + 1];
        for (var n = 2; n <= Tabled; n++)
        {
            table[n] = Blom(n);
        }

        return table;
    }
}

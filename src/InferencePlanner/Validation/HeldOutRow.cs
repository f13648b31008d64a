namespace InferencePlanner.Validation;

/// <summary>One end-to-end row predicted with the spread calibrated on the other rows only.</summary>
/// <param name="Measurement">The held-out row.</param>
/// <param name="Spread">The spread that fits the other rows best.</param>
/// <param name="Predicted">The prediction for the held-out row at that spread.</param>
public readonly record struct HeldOutRow(Measurement Measurement, double Spread, double Predicted)
{
    /// <summary>Signed error, percent of the measured value.</summary>
    public double ErrorPercent => Measurement.ErrorPercent(Predicted);
}

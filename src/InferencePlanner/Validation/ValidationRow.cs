namespace InferencePlanner.Validation;

/// <summary>One prediction against one measurement.</summary>
/// <param name="Measurement">The measurement.</param>
/// <param name="Preset">"default" or "seed".</param>
/// <param name="Predicted">The model's value in the measurement's unit.</param>
/// <param name="Low">Low end of the prediction's band (the least efficient kernel data), when asked for.</param>
/// <param name="High">High end of the band, when asked for.</param>
/// <param name="Kernels">Which kernel data the prediction used.</param>
public sealed record ValidationRow(Measurement Measurement, string Preset, double Predicted, double? Low, double? High, string Kernels)
{
    /// <summary>Signed error, percent of the measured value: (predicted - measured) / measured x 100.</summary>
    public double ErrorPercent => Measurement.ErrorPercent(Predicted);

    /// <summary>
    /// For a default-model kernel row: the prediction with the row's own measurement removed from the kernel data,
    /// so the interpolation must reach it from its neighbours; null where the point has no neighbours.
    /// </summary>
    public double? HeldOut { get; init; }

    /// <summary>Signed error of <see cref="HeldOut"/>, percent.</summary>
    public double? HeldOutErrorPercent => HeldOut is { } h ? Measurement.ErrorPercent(h) : null;
}

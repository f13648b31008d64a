using InferencePlanner.Reporting;
using InferencePlanner.Validation;

namespace InferencePlanner.Tests;

/// <summary>The bundled serving rows predicted and calibrated once for every test class that reads them (the calibration prices the rows on its whole grid).</summary>
internal static class BundledServing
{
    /// <summary>validate --serving's outcome on the bundled rows.</summary>
    public static readonly Lazy<ServingValidationReport.Outcome> Outcome = new(() => ServingValidationReport.Run(ServingMeasurement.Bundled));
}

using System.Text.Json;
using InferencePlanner.Phases;
using InferencePlanner.Validation;

namespace InferencePlanner.Tests;

/// <summary>The validate command against the bundled measurements (data/measurements, from measurements.md).</summary>
public sealed class ValidationTests
{
    private static readonly Lazy<IReadOnlyList<ValidationRow>> Rows = new(() => Validator.Run(Measurement.BuiltIn, new RooflineOptions(), band: true));

    [Fact]
    public void Every_measurement_of_the_published_list_is_bundled()
    {
        string[] ids =
        [
            "ds-prefill", "ds-decode", "sgl-prefill-1k", "sgl-prefill-2k", "sgl-prefill-4k", "sgl-decode", "gb200-decode",
            "deepep-normal-intra", "deepep-normal-inter", "deepep-ll", "deepgemm-dense", "deepgemm-grouped-contiguous", "deepgemm-grouped-masked", "flashmla",
        ];
        Assert.Equal(ids.Order(StringComparer.Ordinal), Measurement.BuiltIn.Select(m => m.Id).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(55, Measurement.BuiltIn.Count);
    }

    [Fact]
    public void The_default_model_reproduces_the_kernel_data_within_10_percent()
    {
        var kernel = Rows.Value.Where(r => r.Preset == "default" && r.Measurement.Kind == "kernel").ToList();
        Assert.Equal(48, kernel.Count);
        Assert.All(kernel, r => Assert.True(Math.Abs(r.ErrorPercent) <= 10, $"{r.Measurement.Id} {r.Measurement.Case}: {r.ErrorPercent:F1}%"));
    }

    [Fact]
    public void The_default_model_meets_the_accuracy_bounds_on_the_deployments()
    {
        // The bounds of the validation requirement: median absolute error at most 15%, no row beyond 35%.
        var e2e = Reporting.ValidationReport.Summaries(Rows.Value).Single(s => s.Preset == "default" && s.Kind == "end-to-end");
        Assert.Equal(7, e2e.Rows);
        Assert.True(e2e.MedianAbsErrorPercent <= 15, $"median {e2e.MedianAbsErrorPercent:F1}%");
        Assert.True(e2e.MaxAbsErrorPercent <= 35, $"worst {e2e.MaxAbsErrorPercent:F1}%");
    }

    [Fact]
    public void The_calibrated_spread_is_what_the_calibration_finds_in_the_bundled_data()
    {
        var c = Calibration.Run(Measurement.BuiltIn, new RooflineOptions());
        Assert.Equal(Work.RooflineLayout.ExpertLoadSpread, c.Best);
        Assert.Equal(Calibration.Candidates.Count, c.Scan.Count);
        Assert.Equal(7, c.HeldOut.Count);

        // Held out, no deployment is predicted worse than the in-sample bound allows.
        Assert.All(c.HeldOut, h => Assert.True(Math.Abs(h.ErrorPercent) <= 35, $"{h.Measurement.Id}: {h.ErrorPercent:F1}%"));
    }

    [Fact]
    public void The_default_model_predicts_the_deployments_better_than_the_seed()
    {
        var summaries = Reporting.ValidationReport.Summaries(Rows.Value);
        var mine = summaries.Single(s => s.Preset == "default" && s.Kind == "end-to-end");
        var seed = summaries.Single(s => s.Preset == "seed" && s.Kind == "end-to-end");
        Assert.Equal(7, mine.Rows);
        Assert.True(mine.MedianAbsErrorPercent < seed.MedianAbsErrorPercent, $"default {mine.MedianAbsErrorPercent:F1}% vs seed {seed.MedianAbsErrorPercent:F1}%");
        Assert.True(mine.MaxAbsErrorPercent < seed.MaxAbsErrorPercent, $"default {mine.MaxAbsErrorPercent:F1}% vs seed {seed.MaxAbsErrorPercent:F1}%");
    }

    [Fact]
    public void Band_ends_bracket_every_prediction()
    {
        foreach (var r in Rows.Value.Where(r => r.Preset == "default"))
        {
            Assert.True(r.Low <= r.Predicted * (1 + 1e-9) && r.Predicted <= r.High * (1 + 1e-9), $"{r.Measurement.Id} {r.Measurement.Case}: {r.Low} {r.Predicted} {r.High}");
            Assert.True(double.IsFinite(r.Predicted) && r.Predicted > 0, r.Measurement.Id);
        }
    }

    [Fact]
    public void Validate_json_has_the_documented_shape()
    {
        var (exit, output, err) = Cli.Run("validate", "--format", "json", "--band");
        Assert.True(exit == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(110, rows.Count);
        foreach (var row in rows)
        {
            foreach (var field in new[] { "id", "preset", "measured", "predicted", "errorPercent", "low", "high" })
            {
                Assert.True(row.TryGetProperty(field, out _), field);
            }
        }

        Assert.True(root.GetProperty("medianAbsErrorPercent").GetDouble() >= 0);
        Assert.True(root.GetProperty("maxAbsErrorPercent").GetDouble() >= root.GetProperty("medianAbsErrorPercent").GetDouble());
        Assert.Equal(4, root.GetProperty("summary").GetArrayLength());
        var calibration = root.GetProperty("calibration");
        Assert.Equal(10, calibration.GetProperty("scan").GetArrayLength());
        Assert.Equal(7, calibration.GetProperty("heldOut").GetArrayLength());
        Assert.True(calibration.GetProperty("heldOutMaxAbsErrorPercent").GetDouble() >= calibration.GetProperty("heldOutMedianAbsErrorPercent").GetDouble());
    }

    [Fact]
    public void A_gpu_without_kernel_data_says_it_uses_named_defaults()
    {
        var (exit, output, err) = Cli.Run("decode", "--gpu", "MI300X", "--gpu", "H100-SXM", "--format", "json");
        Assert.True(exit == 0, err);
        var kernels = JsonDocument.Parse(output).RootElement.GetProperty("inputs").GetProperty("kernels").GetString()!;
        Assert.Contains("MI300X: named datasheet defaults", kernels, StringComparison.Ordinal);
        Assert.Contains("H100-SXM: hopper kernel data measured on H800", kernels, StringComparison.Ordinal);
    }
}

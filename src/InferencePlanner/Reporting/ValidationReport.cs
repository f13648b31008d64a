using System.Text;
using System.Text.Json;
using InferencePlanner.Validation;

namespace InferencePlanner.Reporting;

/// <summary>The validate command's output: predicted against measured for every row and preset, and the error summary.</summary>
public static class ValidationReport
{
    private static readonly string[] Presets = ["default", "seed"];
    private static readonly string[] Kinds = ["end-to-end", "kernel"];

    /// <summary>Error summaries by preset and kind of row.</summary>
    public static IReadOnlyList<ErrorSummary> Summaries(IReadOnlyList<ValidationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return [.. from preset in Presets
                   from kind in Kinds
                   let set = rows.Where(r => r.Preset == preset && r.Measurement.Kind == kind).ToList()
                   where set.Count > 0
                   select ErrorSummary.Of(preset, kind, set)];
    }

    /// <summary>The rows and summary as tables, and how the calibrated constant follows from the end-to-end rows.</summary>
    public static Document Document(IReadOnlyList<ValidationRow> rows, bool band, CalibrationResult calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(rows);
        List<string> columns = ["id", "case", "preset", "measured", "predicted", "error %"];
        if (band)
        {
            columns.AddRange(["low", "high"]);
        }

        columns.AddRange(["held out", "held-out error %", "unit", "kernel data"]);
        var table = rows.Select(r =>
        {
            var d = r.Measurement.Kind == "kernel" ? 1 : 0;
            List<Cell> cells = [r.Measurement.Id, r.Measurement.Case, r.Preset, Cell.Of(r.Measurement.Measured, d), Cell.Of(r.Predicted, d), Cell.Of(r.ErrorPercent, 1)];
            if (band)
            {
                cells.Add(Cell.Of(r.Low ?? r.Predicted, d));
                cells.Add(Cell.Of(r.High ?? r.Predicted, d));
            }

            cells.Add(r.HeldOut is { } h ? Cell.Of(h, d) : "");
            cells.Add(r.HeldOutErrorPercent is { } he ? Cell.Of(he, 1) : "");
            cells.Add(r.Measurement.Unit + (r.Measurement.Derived ? " (derived)" : ""));
            cells.Add(r.Kernels);
            return (IReadOnlyList<Cell>)cells;
        }).ToList();
        var heldOutKernels = ErrorSummary.Of("default", "kernel, held out", rows.Where(r => r.HeldOutErrorPercent is not null).Select(r => r.HeldOutErrorPercent!.Value));
        var summary = Summaries(rows).Append(calibration.HeldOutSummary).Append(heldOutKernels).Select(s => (IReadOnlyList<Cell>)
            [s.Preset, s.Kind, Cell.Of(s.Rows, 0), Cell.Of(s.MedianAbsErrorPercent, 1), Cell.Of(s.MaxAbsErrorPercent, 1)]).ToList();
        return new Document("Validation against published measurements", [new("measurements", "data/measurements (shared/docs/measurements.md)")],
        [
            new Table("validation", "Predicted against measured", columns, table,
                ["error % = (predicted - measured) / measured x 100. End-to-end rows run the model on the row's layout and workload; kernel rows price the kernel the row measured.",
                 "The default model's kernel rows reproduce the kernel data it is built from (a check of its interpolation); its end-to-end rows are predictions.",
                 "held out: the default model's prediction of a kernel row with that row's own measurement removed from the kernel data, reached from its neighbours (blank where it has none)."]),
            new Table("summary", "Absolute error by preset and kind of row", ["preset", "kind", "rows", "median |error| %", "worst |error| %"], summary),
            new Table("calibration", "Calibration of the expert load spread on the end-to-end rows", ["spread", "sum of ln(predicted / measured)^2", "chosen"],
                [.. calibration.Scan.Select(c => (IReadOnlyList<Cell>)[Cell.Of(c.Spread, 1), Cell.Of(c.SquaredLogError, 4), c.Spread == calibration.Best ? "yes" : ""])],
                [$"The spread of load across experts is the default model's one calibrated constant; the model uses {Num.S(Work.RooflineLayout.ExpertLoadSpread)}. The calibration ignores --imbalance."]),
            new Table("held-out", "Each end-to-end row predicted with the spread calibrated on the other rows", ["id", "spread", "measured", "predicted", "error %"],
                [.. calibration.HeldOut.Select(h => (IReadOnlyList<Cell>)[h.Measurement.Id, Cell.Of(h.Spread, 1), Cell.Of(h.Measurement.Measured, 0), Cell.Of(h.Predicted, 0), Cell.Of(h.ErrorPercent, 1)])],
                ["A row held out plays no part in choosing the spread it is predicted with: the error of a deployment the model was not fitted to."]),
        ]);
    }

    /// <summary>
    /// The JSON form: {"rows": [{"id", "case", "preset", "kind", "measured", "predicted", "errorPercent", ...}],
    /// "medianAbsErrorPercent", "maxAbsErrorPercent" (the default preset's end-to-end rows), "summary": [...]}.
    /// </summary>
    public static string Json(IReadOnlyList<ValidationRow> rows, CalibrationResult calibration)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(calibration);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("rows");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("id", r.Measurement.Id);
                json.WriteString("case", r.Measurement.Case);
                json.WriteString("preset", r.Preset);
                json.WriteString("kind", r.Measurement.Kind);
                json.WriteString("gpu", r.Measurement.Gpu);
                json.WriteString("metric", r.Measurement.Metric);
                json.WriteString("unit", r.Measurement.Unit);
                json.WriteNumber("measured", r.Measurement.Measured);
                json.WriteNumber("predicted", r.Predicted);
                json.WriteNumber("errorPercent", r.ErrorPercent);
                if (r.Low is { } low && r.High is { } high)
                {
                    json.WriteNumber("low", low);
                    json.WriteNumber("high", high);
                }

                if (r.HeldOut is { } held)
                {
                    json.WriteNumber("heldOutPredicted", held);
                    json.WriteNumber("heldOutErrorPercent", r.HeldOutErrorPercent!.Value);
                }

                json.WriteBoolean("derived", r.Measurement.Derived);
                json.WriteString("includes", r.Measurement.Includes);
                json.WriteString("source", r.Measurement.Source);
                json.WriteString("kernelData", r.Kernels);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            var summaries = Summaries(rows);
            var headline = summaries.First(s => s.Preset == "default" && s.Kind == "end-to-end");
            json.WriteNumber("medianAbsErrorPercent", headline.MedianAbsErrorPercent);
            json.WriteNumber("maxAbsErrorPercent", headline.MaxAbsErrorPercent);
            json.WriteStartArray("summary");
            foreach (var s in summaries)
            {
                json.WriteStartObject();
                json.WriteString("preset", s.Preset);
                json.WriteString("kind", s.Kind);
                json.WriteNumber("rows", s.Rows);
                json.WriteNumber("medianAbsErrorPercent", s.MedianAbsErrorPercent);
                json.WriteNumber("maxAbsErrorPercent", s.MaxAbsErrorPercent);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("calibration");
            json.WriteNumber("expertLoadSpread", Work.RooflineLayout.ExpertLoadSpread);
            json.WriteNumber("bestSpread", calibration.Best);
            json.WriteStartArray("scan");
            foreach (var c in calibration.Scan)
            {
                json.WriteStartObject();
                json.WriteNumber("spread", c.Spread);
                json.WriteNumber("squaredLogError", c.SquaredLogError);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("heldOut");
            foreach (var h in calibration.HeldOut)
            {
                json.WriteStartObject();
                json.WriteString("id", h.Measurement.Id);
                json.WriteNumber("spread", h.Spread);
                json.WriteNumber("measured", h.Measurement.Measured);
                json.WriteNumber("predicted", h.Predicted);
                json.WriteNumber("errorPercent", h.ErrorPercent);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("heldOutMedianAbsErrorPercent", calibration.HeldOutSummary.MedianAbsErrorPercent);
            json.WriteNumber("heldOutMaxAbsErrorPercent", calibration.HeldOutSummary.MaxAbsErrorPercent);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

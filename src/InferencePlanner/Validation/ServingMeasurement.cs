using System.Globalization;
using System.Text.RegularExpressions;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>
/// One measured serving point: a layout, a workload and a concurrency, with the mean TTFT and TPOT measured. The
/// columns are those of aiconfigurator's silicon_sample.csv (data/measurements/serving/README.md).
/// </summary>
/// <param name="Id">The row's id.</param>
/// <param name="Fields">Every column of the row by name, as text.</param>
public sealed partial record ServingMeasurement(string Id, IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>The columns a serving measurement file must have.</summary>
    public static IReadOnlyList<string> RequiredColumns { get; } =
    [
        "id", "silicon_data_source", "backend", "model_path", "system", "precision", "mode", "isl", "osl", "gemm_quant_mode", "moe_quant_mode",
        "batch_size", "tp_size", "pp_size", "attention_dp_size", "moe_tp_size", "moe_ep_size",
        "prefill_num_workers", "prefill_tp_size", "prefill_pp_size", "prefill_attention_dp_size", "prefill_moe_tp_size", "prefill_moe_ep_size",
        "decode_num_workers", "decode_tp_size", "decode_pp_size", "decode_attention_dp_size", "decode_moe_tp_size", "decode_moe_ep_size",
        "silicon_ttft_ms", "silicon_tpot_ms",
    ];

    /// <summary>A column's text, empty when absent.</summary>
    public string this[string column] => Fields.TryGetValue(column, out var v) ? v.Trim() : "";

    /// <summary>The measured mean time to first token, ms; null when not a positive number.</summary>
    public double? MeasuredTtftMs => Positive("silicon_ttft_ms");

    /// <summary>The measured mean time per output token, ms; null when not a positive number.</summary>
    public double? MeasuredTpotMs => Positive("silicon_tpot_ms");

    /// <summary>Aggregated or disaggregated; null when the mode is neither.</summary>
    public ServingMode? Mode => this["mode"] switch
    {
        "agg" => ServingMode.Aggregated,
        "disagg" => ServingMode.Disaggregated,
        _ => null,
    };

    /// <summary>The concurrency of the run: silicon_concurrency in the source column, else the aggregated batch size.</summary>
    public int? Concurrency
    {
        get
        {
            var m = ConcurrencyPattern().Match(this["silicon_data_source"]);
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0)
            {
                return c;
            }

            return Mode == ServingMode.Aggregated ? Whole("batch_size") : null;
        }
    }

    /// <summary>
    /// The batch of runs the row came in: its source's text before the concurrency (the source file and model, or the
    /// database dump and configuration). Two batches may hold runs of one deployment measured apart.
    /// </summary>
    public string SourceBatch
    {
        get
        {
            var source = this["silicon_data_source"];
            var concurrency = ConcurrencyPattern().Match(source);
            return (concurrency.Success ? source[..concurrency.Index] : source).Trim();
        }
    }

    /// <summary>A column as a whole number of at least 0; null when empty or not a whole number.</summary>
    public int? Whole(string column) =>
        int.TryParse(this[column], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private double? Positive(string column) =>
        double.TryParse(this[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v : null;

    [GeneratedRegex(@"silicon_concurrency=(\d+)")]
    private static partial Regex ConcurrencyPattern();

    /// <summary>Reads a serving measurement CSV (header row, comma-separated, double quotes around fields that hold commas).</summary>
    public static IReadOnlyList<ServingMeasurement> ParseCsv(string text, string origin)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = Csv.Parse(text, origin);
        if (rows.Count == 0)
        {
            throw new InputException($"{origin}: empty file; expected a header row with the columns {string.Join(", ", RequiredColumns)}");
        }

        var header = rows[0];
        var missing = RequiredColumns.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new InputException($"{origin}: missing column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}");
        }

        var result = new List<ServingMeasurement>(rows.Count - 1);
        for (var i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Count == 1 && row[0].Length == 0)
            {
                continue;
            }

            if (row.Count != header.Count)
            {
                throw new InputException($"{origin}: line {i + 1} has {row.Count} fields, the header {header.Count}");
            }

            var fields = new Dictionary<string, string>(header.Count, StringComparer.Ordinal);
            for (var j = 0; j < header.Count; j++)
            {
                fields[header[j]] = row[j];
            }

            result.Add(new ServingMeasurement(fields["id"], fields));
        }

        return result;
    }

    /// <summary>The bundled serving measurements (data/measurements/serving).</summary>
    public static IReadOnlyList<ServingMeasurement> Bundled => BundledRows.Value;

    private static readonly Lazy<IReadOnlyList<ServingMeasurement>> BundledRows = new(() =>
        [.. EmbeddedData.Under("serving/").SelectMany(f => ParseCsv(f.Text, "built-in " + f.Name))]);
}

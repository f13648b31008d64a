using System.Globalization;
using System.Text.Json;

namespace InferencePlanner.Serving;

/// <summary>
/// How far measured TTFT and TPOT lay from the serving model's predictions on the bundled serving rows of one framework
/// and mode, and where enough rows allow, one decode attention TP, each GPU held out of the calibration: the 10th and
/// 90th percentiles of measured over predicted. A prediction times the two ratios is the band 80% of those rows'
/// measurements fell in.
/// </summary>
/// <param name="Framework">The framework's name (sglang, vllm, trtllm).</param>
/// <param name="Mode">Aggregated or disaggregated.</param>
/// <param name="Tp">The decode engine's attention TP the rows share (1, 2, 4, or 8 for 8 and more); null: every TP.</param>
/// <param name="Rows">Rows the percentiles are read from.</param>
/// <param name="TtftLow">10th percentile of measured over predicted TTFT.</param>
/// <param name="TtftHigh">90th percentile of measured over predicted TTFT.</param>
/// <param name="TpotLow">10th percentile of measured over predicted TPOT.</param>
/// <param name="TpotHigh">90th percentile of measured over predicted TPOT.</param>
public sealed record ErrorBand(string Framework, ServingMode Mode, int? Tp, int Rows, double TtftLow, double TtftHigh, double TpotLow, double TpotHigh)
{
    /// <summary>The lower and upper percentile the band spans.</summary>
    public const double LowQuantile = 0.1, HighQuantile = 0.9;

    /// <summary>Fewest rows a band of one TP is read from; a TP with fewer takes the band of every TP.</summary>
    public const int MinRowsPerTp = 20;

    /// <summary>The file the shipped bands come from.</summary>
    public const string FileName = "data/measurements/serving/error-bands.json";

    private static readonly string[] Keys = ["framework", "mode", "tp", "rows", "ttftLow", "ttftHigh", "tpotLow", "tpotHigh"];

    private static readonly Lazy<IReadOnlyList<ErrorBand>> Shipped = new(() =>
        [.. EmbeddedData.Under("serving-error-bands/").SelectMany(f => Parse(f.Text, "built-in " + f.Name))]);

    /// <summary>The bands shipped with the tool, as validate --serving computes them.</summary>
    public static IReadOnlyList<ErrorBand> Bundled => Shipped.Value;

    /// <summary>
    /// The shipped band of a framework, mode and decode attention TP: the TP's own where the validation has enough rows
    /// of it, else the band of every TP; null where the validation has no rows of the framework and mode.
    /// </summary>
    public static ErrorBand? For(string framework, ServingMode mode, int tp)
    {
        var bucket = TpBucket(tp);
        var bands = Bundled.Where(b => b.Mode == mode && string.Equals(b.Framework, framework, StringComparison.OrdinalIgnoreCase)).ToList();
        return bands.FirstOrDefault(b => b.Tp == bucket) ?? bands.FirstOrDefault(b => b.Tp is null);
    }

    /// <summary>The TP a band groups a decode engine under: 1, 2, 4, or 8 for 8 and more (3 with 2, 5 to 7 with 4).</summary>
    public static int TpBucket(int tp) => tp >= WidestTp ? WidestTp : tp >= 4 ? 4 : tp >= 2 ? 2 : 1;

    /// <summary>The widest TP bucket, which takes every TP from it up.</summary>
    public const int WidestTp = 8;

    /// <summary>The band's TP as tables write it: all, 1, 2, 4, or 8+.</summary>
    public string TpText => Tp switch { null => "all", WidestTp => $"{WidestTp}+", var tp => tp.Value.ToString(CultureInfo.InvariantCulture) };

    /// <summary>The TTFT band around a predicted TTFT (ms): the prediction times the two percentiles.</summary>
    public (double Low, double High) Ttft(double predictedMs) => (predictedMs * TtftLow, predictedMs * TtftHigh);

    /// <summary>The TPOT band around a predicted TPOT (ms).</summary>
    public (double Low, double High) Tpot(double predictedMs) => (predictedMs * TpotLow, predictedMs * TpotHigh);

    /// <summary>Writes the band as one object of the file's "bands" (and of validate --serving's "errorBands").</summary>
    public void WriteTo(Utf8JsonWriter j)
    {
        ArgumentNullException.ThrowIfNull(j);
        j.WriteStartObject();
        j.WriteString("framework", Framework);
        j.WriteString("mode", Mode.ShortName());
        if (Tp is { } tp)
        {
            j.WriteNumber("tp", tp);
        }

        j.WriteNumber("rows", Rows);
        j.WriteNumber("ttftLow", TtftLow);
        j.WriteNumber("ttftHigh", TtftHigh);
        j.WriteNumber("tpotLow", TpotLow);
        j.WriteNumber("tpotHigh", TpotHigh);
        j.WriteEndObject();
    }

    /// <summary>The band's one-line reading, for notes.</summary>
    public string Describe(string displayName) => string.Create(CultureInfo.InvariantCulture,
        $"Band: 80% of the {Rows:N0} bundled {displayName} {Mode.Word()} serving rows{Tp switch { null => "", WidestTp => $" at decode TP{WidestTp} or more", var tp => $" at decode TP{tp}" }} measured between {TtftLow:0.00} and {TtftHigh:0.00} x the predicted TTFT and between {TpotLow:0.00} and {TpotHigh:0.00} x the predicted TPOT, each GPU held out of the calibration ({FileName}, from validate --serving); a tenth lay beyond each end.");

    private static List<ErrorBand> Parse(string json, string origin)
    {
        using var doc = JsonDocument.Parse(json, Json.JsonFields.ReadOptions);
        var bands = new List<ErrorBand>();
        foreach (var b in doc.RootElement.GetProperty("bands").EnumerateArray())
        {
            foreach (var p in b.EnumerateObject())
            {
                if (!Keys.Contains(p.Name))
                {
                    throw new InputException($"{origin}: unknown field '{p.Name}' in a band (known: {string.Join(", ", Keys)})");
                }
            }

            var mode = b.GetProperty("mode").GetString() switch
            {
                "agg" => ServingMode.Aggregated,
                "disagg" => ServingMode.Disaggregated,
                var other => throw new InputException($"{origin}: a band's mode is agg or disagg, got '{other}'"),
            };
            double Ratio(string name)
            {
                var v = b.GetProperty(name).GetDouble();
                return v is > 0 and < 100 ? v : throw new InputException($"{origin}: {name} is a ratio of measured over predicted in (0, 100), got {v.ToString(CultureInfo.InvariantCulture)}");
            }

            int? tp = b.TryGetProperty("tp", out var t) ? t.GetInt32() : null;
            if (tp is not null && TpBucket(tp.Value) != tp)
            {
                throw new InputException($"{origin}: a band's tp is 1, 2, 4 or 8 (8 and more), got {tp}");
            }

            var band = new ErrorBand(b.GetProperty("framework").GetString()!, mode, tp, b.GetProperty("rows").GetInt32(), Ratio("ttftLow"), Ratio("ttftHigh"), Ratio("tpotLow"), Ratio("tpotHigh"));
            if (band.TtftLow > band.TtftHigh || band.TpotLow > band.TpotHigh || band.Rows < 1)
            {
                throw new InputException($"{origin}: the band of {band.Framework} {mode.ShortName()} needs low <= high and at least one row");
            }

            bands.Add(band);
        }

        return bands;
    }
}

using System.Text.Json;

namespace InferencePlanner.Validation;

/// <summary>One published measurement (data/measurements/*.json): what was run, on what, and what was measured.</summary>
public sealed record Measurement
{
    /// <summary>Row id, as measurements.md names it.</summary>
    public required string Id { get; init; }

    /// <summary>The case within the row (a shape, an EP size, a direction), or empty.</summary>
    public string Case { get; init; } = "";

    /// <summary>"end-to-end" or "kernel".</summary>
    public required string Kind { get; init; }

    /// <summary>Source key (S1...) and its reference.</summary>
    public required string Source { get; init; }

    /// <summary>GPU name.</summary>
    public required string Gpu { get; init; }

    /// <summary>What is measured (see <see cref="Validator"/> for the metrics it knows).</summary>
    public required string Metric { get; init; }

    /// <summary>Unit of the value.</summary>
    public required string Unit { get; init; }

    /// <summary>The measured value.</summary>
    public required double Measured { get; init; }

    /// <summary>Whether the value is derived from the published ones.</summary>
    public bool Derived { get; init; }

    /// <summary>What the measurement includes.</summary>
    public string Includes { get; init; } = "";

    /// <summary>Numeric and boolean settings of the layout, workload and kernel, by name.</summary>
    public required IReadOnlyDictionary<string, JsonElement> Settings { get; init; }

    /// <summary>A numeric setting.</summary>
    public double Number(string name) =>
        Settings.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new InputException($"measurement {Id} {Case}: missing setting '{name}'");

    /// <summary>Signed error of a prediction, percent of the measured value: (predicted - measured) / measured x 100.</summary>
    public double ErrorPercent(double predicted) => (predicted - Measured) / Measured * 100;

    /// <summary>A numeric setting, or a fallback.</summary>
    public double Number(string name, double fallback) =>
        Settings.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    /// <summary>A text setting.</summary>
    public string Text(string name) =>
        Settings.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InputException($"measurement {Id} {Case}: missing setting '{name}'");

    /// <summary>A boolean setting, or a fallback.</summary>
    public bool Flag(string name, bool fallback) =>
        Settings.TryGetValue(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    // The keys a measurements file may hold at each level (data/measurements/README.md).
    private static readonly Dictionary<string, string[]> Keys = new(StringComparer.Ordinal)
    {
        [""] = ["description", "rows", "sources"],
        ["rows[]"] = ["id", "case", "kind", "source", "gpu", "model", "metric", "unit", "measured", "derived", "includes", "note", "layout", "workload", "kernel"],
        ["rows[].layout"] = ["gpus", "tp", "redundant", "overlap", "mtp", "mtpTokens"],
        ["rows[].workload"] = ["batch", "cacheHit", "context", "minTps", "outputLen", "promptsPerGroup", "seqLen", "mtp", "mtpTokens"],
        ["rows[].kernel"] = ["bound", "direction", "ep", "groups", "k", "link", "m", "n", "path", "table", "tokens"],
    };

    /// <summary>Reads a measurements file.</summary>
    public static IReadOnlyList<Measurement> Parse(string json, string origin)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, Json.JsonFields.ReadOptions);
        }
        catch (JsonException e)
        {
            throw new InputException($"{origin}: not valid JSON ({e.Message.Split('\n')[0]})", e);
        }

        try
        {
            Json.JsonSchemaKeys.Check(doc.RootElement, Keys, origin);
            return Rows(doc);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{origin}: not a measurements file ({e.Message})", e);
        }
        finally
        {
            doc.Dispose();
        }
    }

    private static List<Measurement> Rows(JsonDocument doc)
    {
        var sources = doc.RootElement.GetProperty("sources");
        var list = new List<Measurement>();
        foreach (var r in doc.RootElement.GetProperty("rows").EnumerateArray())
        {
            var settings = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var group in new[] { "layout", "workload", "kernel" })
            {
                if (r.TryGetProperty(group, out var g))
                {
                    foreach (var p in g.EnumerateObject())
                    {
                        settings[p.Name] = p.Value.Clone();
                    }
                }
            }

            var key = r.GetProperty("source").GetString()!;
            list.Add(new Measurement
            {
                Id = r.GetProperty("id").GetString()!,
                Case = r.TryGetProperty("case", out var c) ? c.GetString()! : "",
                Kind = r.GetProperty("kind").GetString()!,
                Source = sources.TryGetProperty(key, out var s) ? $"{key}: {s.GetString()}" : key,
                Gpu = r.GetProperty("gpu").GetString()!,
                Metric = r.GetProperty("metric").GetString()!,
                Unit = r.GetProperty("unit").GetString()!,
                Measured = r.GetProperty("measured").GetDouble(),
                Derived = r.TryGetProperty("derived", out var d) && d.GetBoolean(),
                Includes = r.TryGetProperty("includes", out var i) ? i.GetString()! : "",
                Settings = settings,
            });
        }

        return list;
    }

    /// <summary>The bundled measurements of DeepSeek-V3/R1.</summary>
    public static IReadOnlyList<Measurement> BuiltIn { get; } =
        EmbeddedData.Under("measurements/").SelectMany(r => Parse(r.Text, "built-in " + r.Name)).ToList();
}

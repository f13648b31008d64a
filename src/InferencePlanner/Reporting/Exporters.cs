using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InferencePlanner.Reporting;

/// <summary>Writes a document in one output format.</summary>
public interface IExporter
{
    /// <summary>Writes <paramref name="document"/> to <paramref name="writer"/>.</summary>
    void Write(Document document, TextWriter writer);
}

/// <summary>The output formats by name.</summary>
public static class Exporters
{
    /// <summary>The file formats by name; a terminal's aligned table is the command line's own.</summary>
    public static IReadOnlyList<string> Names { get; } = ["markdown", "json", "csv"];

    /// <summary>The exporter for a format name; every document it writes passes <see cref="DocumentGuard"/> first.</summary>
    public static IExporter For(string name) => Guard(name.ToLowerInvariant() switch
    {
        "markdown" or "md" => new MarkdownExporter(),
        "json" => new JsonExporter(),
        "csv" => new CsvExporter(),
        _ => throw new InputException($"unknown format '{name}': use one of {string.Join(", ", Names)}"),
    });

    /// <summary><paramref name="inner"/>, checking every document with <see cref="DocumentGuard"/> before it writes.</summary>
    public static IExporter Guard(IExporter inner) => new Guarded(inner);

    private sealed class Guarded(IExporter inner) : IExporter
    {
        public void Write(Document document, TextWriter writer)
        {
            DocumentGuard.Check(document);
            inner.Write(document, writer);
        }
    }
}

/// <summary>
/// The boundary between the library and what it prints: every figure of a document is finite and of a size a
/// physical quantity can have, or the command fails naming the inputs that led there. Inputs are range-checked
/// where they are read; this is the last line, for combinations of valid inputs no range anticipates.
/// </summary>
public static class DocumentGuard
{
    /// <summary>Largest magnitude a printed figure may have (no time, rate, count or size the model prices comes near).</summary>
    public const double MaxMagnitude = 1e15;

    /// <summary>Throws <see cref="InputException"/> when a figure of <paramref name="document"/> is not finite or out of range.</summary>
    public static void Check(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        foreach (var table in document.Tables)
        {
            foreach (var row in table.Rows)
            {
                for (var i = 0; i < row.Count; i++)
                {
                    if (row[i].Values is not { } values)
                    {
                        continue;
                    }

                    foreach (var v in values)
                    {
                        if (!double.IsFinite(v) || Math.Abs(v) > MaxMagnitude)
                        {
                            var column = i < table.Columns.Count ? table.Columns[i] : $"column {i + 1}";
                            var inputs = string.Join("; ", document.Inputs.Select(kv => $"{kv.Key}: {kv.Value}"));
                            throw new InputException(
                                $"the inputs lead outside what the model can price: '{column}' of '{table.Title}' would be {(double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "not a number")} (inputs: {inputs})");
                        }
                    }
                }
            }
        }
    }
}

/// <summary>GitHub-flavoured Markdown: a heading and a pipe table per table.</summary>
public sealed class MarkdownExporter : IExporter
{
    /// <inheritdoc />
    public void Write(Document document, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("# " + document.Title);
        if (document.Inputs.Count > 0)
        {
            writer.WriteLine();
            foreach (var kv in document.Inputs)
            {
                writer.WriteLine($"- {kv.Key}: {kv.Value}");
            }
        }

        foreach (var table in document.Tables)
        {
            writer.WriteLine();
            writer.WriteLine("### " + table.Title);
            writer.WriteLine("| " + string.Join(" | ", table.Columns) + " |");
            writer.WriteLine("|" + string.Concat(table.Columns.Select(_ => "---|")));
            foreach (var row in table.Rows)
            {
                writer.WriteLine("| " + string.Join(" | ", row.Select(c => c.Rounded())) + " |");
            }

            if (table.Notes.Count > 0)
            {
                writer.WriteLine();
                foreach (var note in table.Notes)
                {
                    writer.WriteLine("- " + note);
                }
            }
        }
    }
}

/// <summary>CSV with unrounded numbers: one table as plain CSV; several as blocks, each headed by a comment line with its title (--table picks one).</summary>
public sealed class CsvExporter : IExporter
{
    /// <inheritdoc />
    public void Write(Document document, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(writer);
        var first = true;
        foreach (var table in document.Tables)
        {
            if (!first)
            {
                writer.WriteLine();
            }

            first = false;

            // A document of one table is plain CSV, header first; several are told apart by a title line each.
            if (document.Tables.Count > 1)
            {
                writer.WriteLine("# " + table.Title);
            }

            writer.WriteLine(string.Join(",", table.Columns.Select(Quote)));
            foreach (var row in table.Rows)
            {
                writer.WriteLine(string.Join(",", row.Select(c => Quote(c.Exact()))));
            }
        }
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}

/// <summary>One JSON document with unrounded numbers; a cell of several numbers becomes an array.</summary>
public sealed class JsonExporter : IExporter
{
    /// <inheritdoc />
    public void Write(Document document, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(writer);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("title", document.Title);
            json.WriteStartObject("inputs");
            foreach (var kv in document.Inputs)
            {
                json.WriteString(kv.Key, kv.Value);
            }

            json.WriteEndObject();
            json.WriteStartArray("tables");
            foreach (var table in document.Tables)
            {
                WriteTable(json, table);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        writer.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteTable(Utf8JsonWriter json, Table table)
    {
        json.WriteStartObject();
        json.WriteString("key", table.Key);
        json.WriteString("title", table.Title);
        json.WriteStartArray("columns");
        foreach (var c in table.Columns)
        {
            json.WriteStringValue(c);
        }

        json.WriteEndArray();
        json.WriteStartArray("rows");
        foreach (var row in table.Rows)
        {
            json.WriteStartObject();
            for (var i = 0; i < table.Columns.Count; i++)
            {
                json.WritePropertyName(table.Columns[i]);
                var cell = row[i];
                if (cell.Text is not null)
                {
                    json.WriteStringValue(cell.Text);
                }
                else if (cell.Values!.Count == 1)
                {
                    json.WriteNumberValue(cell.Values[0]);
                }
                else
                {
                    json.WriteStartArray();
                    foreach (var v in cell.Values)
                    {
                        json.WriteNumberValue(v);
                    }

                    json.WriteEndArray();
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("notes");
        foreach (var n in table.Notes)
        {
            json.WriteStringValue(n);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>Formats numbers for titles and inputs.</summary>
public static class Num
{
    /// <summary>Shortest round-trip form with the invariant culture.</summary>
    public static string S(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Integer with the invariant culture.</summary>
    public static string S(int v) => v.ToString(CultureInfo.InvariantCulture);
}

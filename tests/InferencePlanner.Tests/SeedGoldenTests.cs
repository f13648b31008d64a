using System.Globalization;
using System.Text.Json;

namespace InferencePlanner.Tests;

/// <summary>
/// The report against every table of section 5 of the seed's restatement (data/reference/seed-tables.md,
/// copied from the document, never produced by the code): each printed cell identical, each JSON value
/// rounding to it.
/// </summary>
public sealed class SeedGoldenTests
{
    private static readonly List<MarkdownTable> Expected = MarkdownTable.ParseAll(File.ReadAllText(Files.Reference("seed-tables.md")));

    private static readonly Lazy<List<MarkdownTable>> ReportMarkdown = new(() =>
    {
        var (exit, output, err) = Cli.Run("report", "--preset", "seed");
        Assert.True(exit == 0, err);
        return MarkdownTable.ParseAll(output);
    });

    private static readonly Lazy<JsonDocument> ReportJson = new(() =>
    {
        var (exit, output, err) = Cli.Run("report", "--preset", "seed", "--format", "json");
        Assert.True(exit == 0, err);
        return JsonDocument.Parse(output);
    });

    public static TheoryData<string> Titles()
    {
        var data = new TheoryData<string>();
        foreach (var t in Expected)
        {
            data.Add(t.Title);
        }

        return data;
    }

    [Fact]
    public void The_reference_holds_every_table_of_section_5()
    {
        Assert.Equal(10, Expected.Count);
        Assert.Equal(72, Expected.Sum(t => t.Rows.Count));
    }

    [Theory]
    [MemberData(nameof(Titles))]
    public void Report_prints_every_cell_as_the_seed_does(string title)
    {
        var expected = Expected.Single(t => t.Title == title);
        var actual = ReportMarkdown.Value.SingleOrDefault(t => t.Title == title);
        Assert.True(actual is not null, $"the report has no table titled '{title}'");
        Assert.Equal(expected.Columns, actual.Columns);
        var keyWidth = KeyWidth(expected);
        foreach (var row in expected.Rows)
        {
            var match = actual.Rows.Where(r => r.Take(keyWidth).SequenceEqual(row.Take(keyWidth))).ToList();
            Assert.True(match.Count == 1, $"{title}: expected one row keyed '{string.Join(" | ", row.Take(keyWidth))}', found {match.Count}");
            for (var c = 0; c < row.Length; c++)
            {
                Assert.True(row[c] == match[0][c], $"{title}, row '{row[0]}', column '{expected.Columns[c]}': expected {row[c]}, printed {match[0][c]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Titles))]
    public void Report_json_holds_unrounded_values_that_round_to_the_seed(string title)
    {
        var expected = Expected.Single(t => t.Title == title);
        var table = ReportJson.Value.RootElement.GetProperty("tables").EnumerateArray()
            .Single(t => t.GetProperty("title").GetString() == title);
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        var keyWidth = KeyWidth(expected);
        foreach (var row in expected.Rows)
        {
            var match = rows.Single(r => Enumerable.Range(0, keyWidth).All(c => Text(r.GetProperty(expected.Columns[c])) == row[c]));
            for (var c = keyWidth; c < row.Length; c++)
            {
                var cell = match.GetProperty(expected.Columns[c]);
                var printed = row[c].Split(" / ");
                var values = cell.ValueKind == JsonValueKind.Array ? cell.EnumerateArray().Select(v => v.GetDouble()).ToArray() : [cell.GetDouble()];
                Assert.Equal(printed.Length, values.Length);
                for (var v = 0; v < printed.Length; v++)
                {
                    var decimals = printed[v].Contains('.', StringComparison.Ordinal) ? printed[v].Length - printed[v].IndexOf('.', StringComparison.Ordinal) - 1 : 0;
                    var want = double.Parse(printed[v], CultureInfo.InvariantCulture);
                    var tolerance = 0.5 * Math.Pow(10, -decimals) * (1 + 1e-9);
                    Assert.True(Math.Abs(values[v] - want) <= tolerance, $"{title}, row '{row[0]}', column '{expected.Columns[c]}': JSON {values[v]} does not round to {printed[v]}");
                }
            }
        }
    }

    [Fact]
    public void Report_json_values_are_not_rounded()
    {
        // The H800 prefill GEMM time prints as 0.536; its JSON value must carry more digits than that.
        var mla = ReportJson.Value.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "prefill-mla");
        var gemm = mla.GetProperty("rows")[0].GetProperty("GEMM_FP8").GetDouble();
        Assert.NotEqual(Math.Round(gemm, 3), gemm);
    }

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    // The fewest leading columns that tell the expected rows apart (the decode table needs GPU and batch).
    private static int KeyWidth(MarkdownTable t)
    {
        for (var k = 1; k < t.Columns.Length; k++)
        {
            if (t.Rows.Select(r => string.Join("|", r.Take(k))).Distinct().Count() == t.Rows.Count)
            {
                return k;
            }
        }

        return t.Columns.Length;
    }
}

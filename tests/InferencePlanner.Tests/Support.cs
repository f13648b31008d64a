using System.Text.Json;
using System.Globalization;
using InferencePlanner.Cli;

namespace InferencePlanner.Tests;

/// <summary>Runs the command line in-process and captures what it prints.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var exit = CommandLine.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A Markdown pipe table read back from text: its heading, header and rows of cell strings.</summary>
internal sealed record MarkdownTable(string Title, string[] Columns, List<string[]> Rows)
{
    /// <summary>Every "### heading" followed by a pipe table in <paramref name="markdown"/>.</summary>
    public static List<MarkdownTable> ParseAll(string markdown)
    {
        var tables = new List<MarkdownTable>();
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("### ", StringComparison.Ordinal))
            {
                continue;
            }

            var title = lines[i][4..].Trim();
            var j = i + 1;
            while (j < lines.Length && !lines[j].StartsWith('|'))
            {
                j++;
            }

            var header = Cells(lines[j]);
            var rows = new List<string[]>();
            for (var k = j + 2; k < lines.Length && lines[k].StartsWith('|'); k++)
            {
                rows.Add(Cells(lines[k]));
            }

            tables.Add(new MarkdownTable(title, header, rows));
        }

        return tables;
    }

    private static string[] Cells(string line) => line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
}

internal static class Files
{
    public static string Reference(string name) => Path.Combine(AppContext.BaseDirectory, "reference", name);

    /// <summary>The repository's root, found above the test binaries by its data/frameworks folder.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "data", "frameworks")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("the repository root (with data/frameworks) was not found above the test binaries");
        }
    }

    /// <summary>The repository's data folder.</summary>
    public static string DataDir => Path.Combine(RepositoryRoot, "data");
}

/// <summary>Checks on a command's JSON document.</summary>
internal static class JsonAssert
{
    /// <summary>Every number of every table is finite, and no NaN or infinity is printed.</summary>
    public static void Finite(string json, string what)
    {
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.DoesNotContain("∞", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", json, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        foreach (var table in doc.RootElement.GetProperty("tables").EnumerateArray())
        {
            foreach (var row in table.GetProperty("rows").EnumerateArray())
            {
                foreach (var cell in row.EnumerateObject())
                {
                    if (cell.Value.ValueKind == JsonValueKind.Number)
                    {
                        Assert.True(double.IsFinite(cell.Value.GetDouble()), $"{what}: {cell.Name}");
                    }
                }
            }
        }
    }
}

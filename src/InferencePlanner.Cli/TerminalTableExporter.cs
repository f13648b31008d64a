using InferencePlanner.Reporting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace InferencePlanner.Cli;

/// <summary>
/// A document as a person reads it in a terminal: its title and inputs, then each table laid out by Spectre.Console
/// with numbers right-aligned and the table's notes under it. The layout does not depend on the terminal: no colour, no
/// wrapping to its width, and ASCII rules, so the same bytes go to a pipe, a file or a log.
/// </summary>
internal sealed class TerminalTableExporter : IExporter
{
    // Wide enough that no table of the tool is ever folded; Spectre only uses what the columns need.
    private const int Width = 10_000;

    public void Write(Document document, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(writer);
        var rendered = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(rendered),
        });
        console.Profile.Width = Width;

        writer.WriteLine(document.Title);
        if (document.Inputs.Count > 0)
        {
            writer.WriteLine(string.Join("; ", document.Inputs.Select(kv => $"{kv.Key}: {kv.Value}")));
        }

        foreach (var table in document.Tables)
        {
            writer.WriteLine();
            writer.WriteLine(table.Title);
            console.Write(Render(table));
            WriteTrimmed(rendered, writer);
            foreach (var note in table.Notes)
            {
                writer.WriteLine("  * " + note);
            }
        }
    }

    // The border leaves lines of blanks where a boxed table has its top and bottom rules, and pads the last column.
    private static void WriteTrimmed(StringWriter rendered, TextWriter writer)
    {
        foreach (var line in rendered.ToString().Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length > 0)
            {
                writer.WriteLine(trimmed);
            }
        }

        rendered.GetStringBuilder().Clear();
    }

    private static Spectre.Console.Table Render(Reporting.Table table)
    {
        // Text cells, never markup: a cell such as "[1, 2]" is data, not a style.
        var layout = new Spectre.Console.Table().Border(RuleUnderHeader.Instance).ShowHeaders();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var numeric = table.Rows.Count > 0 && table.Rows.All(r => r[i].Text is null);
            var column = new TableColumn(new Text(table.Columns[i])).NoWrap().PadLeft(0).PadRight(0);
            layout.AddColumn(numeric ? column.RightAligned() : column.LeftAligned());
        }

        foreach (var row in table.Rows)
        {
            layout.AddRow(row.Select(c => (IRenderable)new Text(c.Rounded())).ToArray());
        }

        return layout;
    }

    /// <summary>Columns two spaces apart and a rule of hyphens under the header: nothing else is drawn.</summary>
    private sealed class RuleUnderHeader : TableBorder
    {
        public static readonly RuleUnderHeader Instance = new();

        public override string GetPart(TableBorderPart part) => part switch
        {
            TableBorderPart.HeaderBottom => "-",
            TableBorderPart.HeaderSeparator or TableBorderPart.CellSeparator or TableBorderPart.HeaderBottomSeparator
                or TableBorderPart.FooterTopSeparator or TableBorderPart.FooterBottomSeparator or TableBorderPart.HeaderTopSeparator
                or TableBorderPart.RowSeparator => "  ",
            _ => string.Empty,
        };
    }
}

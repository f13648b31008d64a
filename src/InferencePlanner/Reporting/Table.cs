using System.Globalization;

namespace InferencePlanner.Reporting;

/// <summary>A table cell: text, or one or more numbers shown with a fixed number of decimals.</summary>
public readonly record struct Cell
{
    private Cell(string? text, double[]? values, int decimals)
    {
        Text = text;
        Values = values;
        Decimals = decimals;
    }

    /// <summary>The text, when the cell is text.</summary>
    public string? Text { get; }

    /// <summary>The unrounded numbers, when the cell is numeric (several are shown joined by " / ").</summary>
    public IReadOnlyList<double>? Values { get; }

    /// <summary>Decimals shown in rounded formats.</summary>
    public int Decimals { get; }

    /// <summary>A text cell.</summary>
    public static Cell Of(string text) => new(text, null, 0);

    /// <summary>A numeric cell.</summary>
    public static Cell Of(double value, int decimals) => new(null, [value], decimals);

    /// <summary>A cell of several numbers shown together.</summary>
    public static Cell Many(int decimals, params double[] values) => new(null, values, decimals);

    /// <summary>A text cell.</summary>
    public static implicit operator Cell(string text) => Of(text);

    /// <summary>Rounded for people: numbers with the cell's decimals.</summary>
    public string Rounded()
    {
        var format = "F" + Decimals.ToString(CultureInfo.InvariantCulture);
        return Text ?? string.Join(" / ", Values!.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
    }

    /// <summary>Unrounded for machines: numbers in round-trip form.</summary>
    public string Exact() => Text ?? string.Join(" / ", Values!.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>A titled table of cells. Built only for output; the evaluation path never makes one.</summary>
/// <param name="Key">Stable identifier for JSON consumers and tests.</param>
/// <param name="Title">Heading, with the inputs that matter.</param>
/// <param name="Columns">Column headers.</param>
/// <param name="Rows">Rows, each with one cell per column.</param>
/// <param name="Notes">Assumptions a reader needs, one per line.</param>
public sealed record Table(string Key, string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<Cell>> Rows, IReadOnlyList<string> Notes)
{
    /// <summary>A table without notes.</summary>
    public Table(string key, string title, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<Cell>> rows)
        : this(key, title, columns, rows, []) { }
}

/// <summary>What a command prints: a title, the inputs it ran on, and its tables.</summary>
/// <param name="Title">Document title.</param>
/// <param name="Inputs">Named inputs (model, preset, GPUs, workload), in order.</param>
/// <param name="Tables">The tables.</param>
public sealed record Document(string Title, IReadOnlyList<KeyValuePair<string, string>> Inputs, IReadOnlyList<Table> Tables)
{
    /// <summary>
    /// The document with only the table of key <paramref name="key"/> (one table, as a plain CSV reader wants);
    /// the whole document when <paramref name="key"/> is null.
    /// </summary>
    public Document Only(string? key)
    {
        if (key is null)
        {
            return this;
        }

        var table = Tables.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase))
            ?? throw new InputException($"--table: this document has no table '{key}'; its tables are {string.Join(", ", Tables.Select(t => t.Key))}");
        return this with { Tables = [table] };
    }
}

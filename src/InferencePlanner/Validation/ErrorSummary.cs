namespace InferencePlanner.Validation;

/// <summary>Median and worst absolute error of a set of rows.</summary>
/// <param name="Preset">Preset.</param>
/// <param name="Kind">"end-to-end" or "kernel".</param>
/// <param name="Rows">Rows counted.</param>
/// <param name="MedianAbsErrorPercent">Median absolute error, percent.</param>
/// <param name="MaxAbsErrorPercent">Worst absolute error, percent.</param>
public sealed record ErrorSummary(string Preset, string Kind, int Rows, double MedianAbsErrorPercent, double MaxAbsErrorPercent)
{
    /// <summary>Summarises rows.</summary>
    public static ErrorSummary Of(string preset, string kind, IReadOnlyList<ValidationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return Of(preset, kind, rows.Select(r => r.ErrorPercent));
    }

    /// <summary>Summarises signed errors, percent.</summary>
    public static ErrorSummary Of(string preset, string kind, IEnumerable<double> errorPercents)
    {
        ArgumentNullException.ThrowIfNull(errorPercents);
        var errors = errorPercents.Select(Math.Abs).Order().ToList();
        var median = errors.Count == 0 ? 0 : errors.Count % 2 == 1 ? errors[errors.Count / 2] : (errors[errors.Count / 2 - 1] + errors[errors.Count / 2]) / 2;
        return new ErrorSummary(preset, kind, errors.Count, median, errors.Count == 0 ? 0 : errors[^1]);
    }
}

using System.CommandLine;
using System.Globalization;

namespace InferencePlanner.Cli;

/// <summary>
/// Physical ranges of numeric options, checked where the command line is read: a value outside its range is a
/// parse error naming the option, so no command computes with it.
/// </summary>
internal static class OptionRanges
{
    /// <summary>Largest token count an option takes (prompt and output lengths, chunks).</summary>
    public const int MaxTokens = 10_000_000;

    /// <summary>Largest GPU count an option takes: the largest clusters built hold tens of thousands.</summary>
    public const int MaxGpus = 65_536;

    public static Option<int> Within(this Option<int> option, int min, int max) => Add(option, v => v, min, max);

    public static Option<int?> Within(this Option<int?> option, int min, int max) => Add(option, v => v, min, max);

    public static Option<double> Within(this Option<double> option, double min, double max) => Add(option, v => v, min, max);

    public static Option<double?> Within(this Option<double?> option, double min, double max) => Add(option, v => v, min, max);

    private static Option<T> Add<T>(Option<T> option, Func<T, double?> value, double min, double max)
    {
        option.Validators.Add(result =>
        {
            T v;
            try
            {
                v = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not converted: the parser reports it
            }

            if (value(v) is { } x && !(x >= min && x <= max))
            {
                // Name the option as the user wrote it (--isl, not --seq-len).
                var typed = result.IdentifierToken?.Value ?? option.Name;
                result.AddError($"{typed} must lie in [{S(min)}, {S(max)}], got {S(x)}");
            }
        });
        return option;
    }

    private static string S(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace InferencePlanner.Input;

/// <summary>
/// The built-in names an unknown name most likely meant, for an error message: "H100" for the H100 SXM and PCIe
/// files, "deepseek-v4" for the DeepSeek-V3 releases, "sglan" for SGLang.
/// </summary>
public static class NameSuggestions
{
    /// <summary>Most names suggested.</summary>
    public const int MaxSuggestions = 3;

    /// <summary>
    /// The names of <paramref name="known"/> closest to <paramref name="given"/>, compared without case and
    /// separators: those that begin with it or contain it, else those within a small edit distance (a third of the
    /// longer name, at least one edit); none when nothing is that close. At most <see cref="MaxSuggestions"/>, nearest
    /// first.
    /// </summary>
    public static IReadOnlyList<string> For(string given, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return For(given, known.Select(n => (n, n)));
    }

    /// <summary>
    /// As <see cref="For(string, IEnumerable{string})"/>, matching each candidate's <c>Match</c> (a name or an alias)
    /// and suggesting its <c>Name</c>, each name once.
    /// </summary>
    public static IReadOnlyList<string> For(string given, IEnumerable<(string Match, string Name)> known)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(known);
        var g = Normal(given);
        if (g.Length == 0)
        {
            return [];
        }

        var candidates = known.Select(n => (n.Name, Key: Normal(n.Match))).Where(n => n.Key.Length > 0).ToList();
        var containing = candidates.Where(n => n.Key.Contains(g, StringComparison.Ordinal))
            .OrderBy(n => n.Key.StartsWith(g, StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n.Key.Length).ThenBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => n.Name).Distinct(StringComparer.Ordinal).Take(MaxSuggestions).ToList();
        if (containing.Count > 0)
        {
            return containing;
        }

        return [.. candidates.Select(n => (n.Name, Distance: Edits(g, n.Key), Longer: Math.Max(g.Length, n.Key.Length)))
            .Where(n => n.Distance <= Math.Max(1, n.Longer / 3))
            .OrderBy(n => n.Distance).ThenBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => n.Name).Distinct(StringComparer.Ordinal).Take(MaxSuggestions)];
    }

    /// <summary>" (did you mean A or B?)" for an error message, or "" when nothing is close.</summary>
    public static string Hint(string given, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return Hint(given, known.Select(n => (n, n)));
    }

    /// <summary>" (did you mean A or B?)" for an error message, matching names and aliases and suggesting names; "" when nothing is close.</summary>
    public static string Hint(string given, IEnumerable<(string Match, string Name)> known)
    {
        var names = For(given, known);
        return names.Count switch
        {
            0 => "",
            1 => $" (did you mean {names[0]}?)",
            _ => $" (did you mean {string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}?)",
        };
    }

    // Lower case, letters and digits only: "H100-SXM" and "h100_sxm" compare equal.
    private static string Normal(string s) =>
        string.Concat(s.ToLower(CultureInfo.InvariantCulture).Where(char.IsLetterOrDigit));

    // Levenshtein distance, two rows.
    private static int Edits(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

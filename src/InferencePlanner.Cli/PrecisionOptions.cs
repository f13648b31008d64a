using System.CommandLine;
using InferencePlanner.Units;

namespace InferencePlanner.Cli;

/// <summary>Reads a precision option (fp4, fp8, bf16, ...); an unknown name is an input error naming the option.</summary>
internal static class PrecisionOptions
{
    /// <summary>The precision given to <paramref name="option"/>, or null when it was not given.</summary>
    public static Precision? GetPrecision(this ParseResult p, Option<string?> option) =>
        p.GetValue(option) is { } text ? PrecisionExtensions.Parse(text, option.Name) : null;
}

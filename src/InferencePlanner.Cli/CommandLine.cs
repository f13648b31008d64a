using System.CommandLine;
using InferencePlanner.Input;

namespace InferencePlanner.Cli;

/// <summary>
/// The commands: options declared here, each action resolves its inputs, calls the library for a document
/// and hands it to an exporter. Exit codes: 0 success, 2 bad input (one line on stderr).
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code for input the tool cannot use.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a defect in the tool.</summary>
    public const int InternalError = 1;

    /// <summary>Parses and runs <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = Build(stdout, stderr);
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            // One line: System.CommandLine lists allowed values on separate lines.
            var message = string.Join("; ", parsed.Errors.Select(e =>
                Plain(string.Join(" ", e.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.'), parsed, args)));
            stderr.WriteLine($"error: {message} (see infer-plan --help)");
            return BadInput;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (InputException e)
        {
            stderr.WriteLine("error: " + e.Message);
            return BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect, not the user's input: one line, and a different exit code.
            stderr.WriteLine($"internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]} (please report it with the command line)");
            return InternalError;
        }
    }

    // Parse errors in words: System.CommandLine names the .NET type an argument did not convert to.
    private static string Plain(string message, ParseResult parsed, string[] args)
    {
        var unknown = System.Text.RegularExpressions.Regex.Match(message, @"^Unrecognized command or argument '(.*)'$");
        if (unknown.Success)
        {
            return message + Suggestion(unknown.Groups[1].Value, parsed.CommandResult.Command);
        }

        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'$");
        if (!m.Success)
        {
            return message;
        }

        var type = m.Groups[3].Value;
        var expected = type.Contains("Int32", StringComparison.Ordinal) ? "a whole number (at most 2147483647)"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number" : "a value of the right kind";
        // Name the option as the user wrote it, of its aliases.
        var name = m.Groups[2].Value;
        var option = parsed.CommandResult.Command.Options.FirstOrDefault(o => o.Name == name);
        var typed = option is null ? name : args.FirstOrDefault(a => a == option.Name || option.Aliases.Contains(a)) ?? name;
        return $"{typed} takes {expected}, got '{m.Groups[1].Value}'";
    }

    // The options of the command a mistyped option most likely meant, or the subcommands a mistyped command did.
    private static string Suggestion(string token, Command command)
    {
        if (token.StartsWith('-'))
        {
            var options = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name).Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => (a, o.Name)));
            return NameSuggestions.Hint(token, options);
        }

        return command.Subcommands.Count > 0 && command.Arguments.Count == 0 ? NameSuggestions.Hint(token, command.Subcommands.Select(c => c.Name)) : "";
    }

    private static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "InferencePlanner: prefill and decode performance of LLM inference (Mixture-of-Experts with expert parallelism, and dense models) from first principles.");
        root.Subcommands.Add(BlocksCommand.Build(stdout));
        root.Subcommands.Add(PrefillCommand.Build(stdout));
        root.Subcommands.Add(DecodeCommand.Build(stdout));
        root.Subcommands.Add(BatchCommand.Build(stdout));
        root.Subcommands.Add(CompareCommand.Build(stdout));
        root.Subcommands.Add(ServeCommand.Build(stdout));
        root.Subcommands.Add(PlanCommand.Build(stdout, stderr));
        root.Subcommands.Add(WebCommand.Build(stdout));
        root.Subcommands.Add(PlotCommand.Build(stdout));
        root.Subcommands.Add(ValidateCommand.Build(stdout));
        root.Subcommands.Add(ReportCommand.Build(stdout));
        root.Subcommands.Add(ListCommand.Build(stdout));
        return root;
    }
}

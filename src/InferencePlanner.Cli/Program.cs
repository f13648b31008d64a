namespace InferencePlanner.Cli;

/// <summary>Entry point of infer-plan.</summary>
public static class Program
{
    /// <summary>Runs the command line on the process's console.</summary>
    public static int Main(string[] args) => CommandLine.Run(args, Console.Out, Console.Error);
}

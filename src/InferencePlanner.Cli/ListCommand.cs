using System.CommandLine;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The list command: the built-in GPUs, models and serving frameworks.</summary>
internal static class ListCommand
{
    public static Command Build(TextWriter stdout)
    {
        var list = new Command("list", "List the built-in GPUs, models or serving frameworks.");
        var gpusFormat = new CommonOptions("table", withDiscount: false, withPreset: false);
        var gpus = new Command("gpus", "Built-in GPUs with their figures and sources.");
        gpusFormat.AddFormat(gpus);
        gpus.SetAction(p => Write(stdout, p, gpusFormat, Listing.Gpus()));
        var modelsFormat = new CommonOptions("table", withDiscount: false, withPreset: false);
        var models = new Command("models", "Built-in models with their shapes.");
        modelsFormat.AddFormat(models);
        models.SetAction(p => Write(stdout, p, modelsFormat, Listing.Models()));
        var frameworksFormat = new CommonOptions("table", withDiscount: false, withPreset: false);
        var frameworks = new Command("frameworks", "Built-in serving frameworks with their scheduler figures.");
        frameworksFormat.AddFormat(frameworks);
        frameworks.SetAction(p => Write(stdout, p, frameworksFormat, Listing.Frameworks()));
        list.Subcommands.Add(gpus);
        list.Subcommands.Add(models);
        list.Subcommands.Add(frameworks);
        return list;
    }
}

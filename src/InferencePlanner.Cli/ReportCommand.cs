using System.CommandLine;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The report command: the whole analysis as one document.</summary>
internal static class ReportCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("markdown", withDiscount: true);
        var model = new ModelOptions();
        var cmd = new Command("report", "The whole analysis in the seed article's order, as one document (Markdown, or one JSON document); --preset seed reproduces the article's tables.");
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
                return Write(stdout, p, common, SeedReport.Report(common.Model(p), common.Seed(p)));
            }

            return Write(stdout, p, common, RooflineReport.Report(common.Model(p), model.Inputs(p, common.Model(p), "report")));
        });
        return cmd;
    }
}

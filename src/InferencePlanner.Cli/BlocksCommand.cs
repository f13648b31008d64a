using System.CommandLine;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The blocks command: parameters, FLOPs per token and KV bytes per block.</summary>
internal static class BlocksCommand
{
    public static Command Build(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: false);
        var cmd = new Command("blocks", "Parameters, FLOPs per token and KV bytes per block, and the parameter summary by block and layer count.");
        common.AddTo(cmd);
        cmd.SetAction(p => Write(stdout, p, common, common.IsSeed(p) ? SeedReport.Blocks(common.Model(p)) : RooflineReport.Blocks(common.Model(p))));
        return cmd;
    }
}

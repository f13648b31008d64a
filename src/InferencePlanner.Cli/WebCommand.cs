using System.CommandLine;
using InferencePlanner.Web;

namespace InferencePlanner.Cli;

/// <summary>The web command: the local page, served on 127.0.0.1 until stopped.</summary>
internal static class WebCommand
{
    public static Command Build(TextWriter stdout)
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 5080 }.Within(0, 65535);
        var timeLimit = new Option<int>("--time-limit") { Description = "Seconds one plan may take before the page is told to narrow it.", DefaultValueFactory = _ => 30 }.Within(1, 3600);
        var cmd = new Command("web", "Serve the local page on 127.0.0.1: pick a model and a GPU (or paste their files), set the workload and the targets, see the frontier, the chosen layout, its parts and its launch commands.")
        {
            port, timeLimit,
        };
        cmd.SetAction(async (p, cancellationToken) =>
        {
            WebServer server;
            try
            {
                server = await WebServer.StartAsync(p.GetValue(port), TimeSpan.FromSeconds(p.GetValue(timeLimit)), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new InputException($"--port {p.GetValue(port)}: cannot listen on 127.0.0.1 ({e.Message.Split('\n')[0]})");
            }

            await using (server.ConfigureAwait(false))
            {
                await stdout.WriteLineAsync($"InferencePlanner's page: {server.Address} (Ctrl+C stops it)").ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                await server.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        });
        return cmd;
    }
}

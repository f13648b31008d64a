using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Planning;
using InferencePlanner.Reporting;
using InferencePlanner.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferencePlanner.Web;

/// <summary>
/// The local web page: one page where a person picks a model and a GPU (or pastes their files), sets the workload and
/// the targets, and sees the frontier, the chosen deployment's parts and its launch commands. It listens on 127.0.0.1
/// only and calls the same library as the command line. Limits hold it up: a size limit on request bodies and pasted
/// files, a time limit per plan, one plan at a time, no file-system access from the page, bad input answered with a 400
/// and the command line's one-line message, never a stack trace.
/// </summary>
public sealed class WebServer : IAsyncDisposable
{
    /// <summary>Most bytes of a request body: two pasted files and the fields.</summary>
    public const long MaxRequestBytes = 2 * PlanQuery.MaxPastedBytes + 16 * 1024;

    private readonly WebApplication _app;

    private WebServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address the page is served at.</summary>
    public Uri Address { get; }

    /// <summary>Starts the server on 127.0.0.1 at <paramref name="port"/> (0: any free port), each plan limited to <paramref name="timeLimit"/>.</summary>
    public static async Task<WebServer> StartAsync(int port, TimeSpan timeLimit, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = MaxRequestBytes;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var gate = new SemaphoreSlim(1, 1);
        // Request delegates throughout: nothing is bound by reflection, so the compiled-ahead tool serves the page too.
        app.MapGet("/", Serve(() => Asset("index.html", "text/html; charset=utf-8")));
        app.MapGet("/app.js", Serve(() => Asset("app.js", "text/javascript; charset=utf-8")));
        app.MapGet("/app.css", Serve(() => Asset("app.css", "text/css; charset=utf-8")));
        app.MapGet("/api/catalog", Serve(() => Results.Text(Catalog(), "application/json", Encoding.UTF8)));
        app.MapPost("/api/plan", async context => await (await Plan(context, gate, timeLimit).ConfigureAwait(false)).ExecuteAsync(context).ConfigureAwait(false));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WebServer(app, new Uri(bound.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled or the host stops.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var stopping = _app.Lifetime.ApplicationStopping;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<IResult> Plan(HttpContext context, SemaphoreSlim gate, TimeSpan timeLimit)
    {
        PlanQuery? query;
        try
        {
            query = await JsonSerializer.DeserializeAsync(context.Request.Body, WebJson.Default.PlanQuery, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Error(400, $"the request is not a valid plan query ({e.Message.Split('.')[0]})");
        }
        catch (BadHttpRequestException)
        {
            return Error(413, $"the request is larger than {MaxRequestBytes / 1024} KB");
        }

        if (query is null)
        {
            return Error(400, "the request is empty");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(timeLimit);
        try
        {
            var (request, prices) = query.ToRequest();
            await gate.WaitAsync(limit.Token).ConfigureAwait(false);
            try
            {
                var token = limit.Token;
                var result = await Task.Run(() => ServingPlanner.Plan(request, _ => token.ThrowIfCancellationRequested()), token).ConfigureAwait(false);
                using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
                Exporters.For("json").Write(PlanReport.Plan(result, prices), writer);
                var body = $"{{\"command\":\"{JsonEncodedText.Encode(query.CommandLine())}\",\"document\":{writer}}}";
                return Results.Text(body, "application/json", Encoding.UTF8);
            }
            finally
            {
                gate.Release();
            }
        }
        catch (InputException e)
        {
            return Error(400, e.Message);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Error(503, $"the search took longer than {timeLimit.TotalSeconds:0} s; plan one mode at a time or a smaller model");
        }
#pragma warning disable CA1031 // the page gets one line for any failure, never a stack trace
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return Error(500, $"internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    private static RequestDelegate Serve(Func<IResult> result) => context => result().ExecuteAsync(context);

    private static IResult Error(int status, string message) =>
        Results.Text($"{{\"error\":\"{JsonEncodedText.Encode(message)}\"}}", "application/json", Encoding.UTF8, status);

    // The built-in names the page offers, as JSON written without reflection.
    private static string Catalog()
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream))
        {
            j.WriteStartObject();
            Names(j, "models", ModelCatalog.BuiltIn.Select(m => m.Name));
            Names(j, "gpus", GpuCatalog.BuiltIn.Select(g => g.Name).Order(StringComparer.Ordinal));
            Names(j, "frameworks", FrameworkCatalog.BuiltIn.Select(f => f.Name));
            j.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());

        static void Names(Utf8JsonWriter j, string key, IEnumerable<string> names)
        {
            j.WriteStartArray(key);
            foreach (var n in names)
            {
                j.WriteStringValue(n);
            }

            j.WriteEndArray();
        }
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("www/" + name)!;
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType, Encoding.UTF8);
    }
}

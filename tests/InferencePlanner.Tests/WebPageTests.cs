using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using InferencePlanner.Web;
using PuppeteerSharp;

namespace InferencePlanner.Tests;

/// <summary>
/// The local page in a real browser: Debian's Chromium, headless, driven by PuppeteerSharp. Where no Chromium is
/// installed the tests say so and pass, unless INFERENCEPLANNER_REQUIRE_BROWSER=1 (as CI sets it, after installing it).
/// </summary>
public sealed class WebPageTests : IAsyncLifetime
{
    private const string Query = "model=llama-3.1-8b&gpu=H100-SXM&framework=vllm&mode=agg&isl=1024&osl=1024&minTps=20";
    private static readonly string[] Args = ["--model", "llama-3.1-8b", "--gpu", "H100-SXM", "--framework", "vllm", "--mode", "agg", "--isl", "1024", "--min-tps", "20"];
    private WebServer? _server;
    private IBrowser? _browser;

    private static string? ChromiumPath =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(p => p is not null && File.Exists(p));

    public async Task InitializeAsync()
    {
        _server = await WebServer.StartAsync(0, TimeSpan.FromSeconds(120));
        if (ChromiumPath is { } chromium)
        {
            _browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                Headless = true,
                ExecutablePath = chromium,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
        }
        else if (Environment.GetEnvironmentVariable("INFERENCEPLANNER_REQUIRE_BROWSER") == "1")
        {
            throw new InvalidOperationException("the browser tests need Debian's chromium (apt-get install chromium), and INFERENCEPLANNER_REQUIRE_BROWSER=1 requires them");
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
            _browser.Dispose();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_page_draws_the_frontier_and_the_choice_the_command_line_gives_for_the_same_inputs()
    {
        if (_browser is null)
        {
            return; // no Chromium here (see the class summary)
        }

        await using var page = await Open(Query);
        var (_, cli, _) = Cli.Run(["plan", .. Args, "--format", "json"]);
        var expected = Tables(cli);
        var drawn = await page.EvaluateExpressionAsync<double[][]>(
            "[...document.querySelectorAll('#frontier circle.point')].map(c => [Number(c.dataset.user), Number(c.dataset.gpu)])");
        var frontier = expected["frontier"].EnumerateArray().Select(r => new[] { r.GetProperty("tokens/s per user").GetDouble(), r.GetProperty("output tokens/s per GPU").GetDouble() }).ToList();
        Assert.Equal(frontier.Count, drawn.Length);
        foreach (var point in frontier)
        {
            Assert.Contains(drawn, d => Math.Abs(d[0] - point[0]) <= 1e-9 * point[0] && Math.Abs(d[1] - point[1]) <= 1e-9 * point[1]);
        }

        var chosen = expected["choice"][0];
        Assert.Equal(chosen.GetProperty("layout").GetString(), await page.EvaluateExpressionAsync<string>("document.getElementById('chosen').dataset.layout"));

        // The chosen deployment's TPOT comes with its held-out band where its framework and mode have one.
        var text = await page.EvaluateExpressionAsync<string>("document.getElementById('chosen').textContent");
        if (chosen.GetProperty("TPOT band, low / high (ms)").ValueKind == JsonValueKind.Array)
        {
            var low = chosen.GetProperty("TPOT band, low / high (ms)")[0].GetDouble().ToString("F2", CultureInfo.InvariantCulture);
            Assert.Contains($"(80% band {low} to ", text, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("80% band", text, StringComparison.Ordinal);
        }

        var commands = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#commands pre')].map(p => p.textContent)");
        Assert.Equal(expected["commands"].GetArrayLength(), commands.Length);
        Assert.Contains(commands, c => c.Contains("vllm serve meta-llama/Llama-3.1-8B-Instruct", StringComparison.Ordinal));
        Assert.True(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#breakdown rect.part').length") > 0);
        Assert.Equal(1, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#chosen-point').length"));

        var shot = Path.Combine(AppContext.BaseDirectory, "web-page.png");
        await page.ScreenshotAsync(shot, new ScreenshotOptions { FullPage = true });
        var bytes = await File.ReadAllBytesAsync(shot);
        Assert.True(bytes.Length > 10_000);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], bytes[..4]);
    }

    [Fact]
    public async Task Changing_an_input_replans_and_keeps_the_state_in_the_url()
    {
        if (_browser is null)
        {
            return;
        }

        await using var page = await Open(Query);
        await SetAndWait(page, "osl", "256");
        Assert.Contains("osl=256", page.Url, StringComparison.Ordinal);
        var (_, cli, _) = Cli.Run(["plan", .. Args, "--osl", "256", "--format", "json"]);
        var chosen = Tables(cli)["choice"][0];
        Assert.Equal(chosen.GetProperty("layout").GetString(), await page.EvaluateExpressionAsync<string>("document.getElementById('chosen').dataset.layout"));
        Assert.Equal(chosen.GetProperty("concurrency").GetDouble().ToString(CultureInfo.InvariantCulture),
            await page.EvaluateExpressionAsync<string>("window.__plan.tables.find(t => t.key === 'choice').rows[0].concurrency.toString()"));

        // The shared URL opens the same view.
        await using var shared = await Open(new Uri(page.Url).Query.TrimStart('?'));
        Assert.Equal("256", await shared.EvaluateExpressionAsync<string>("document.getElementById('osl').value"));
    }

    [Fact]
    public async Task Bad_input_shows_the_command_line_s_one_line_message()
    {
        if (_browser is null)
        {
            return;
        }

        await using var page = await Open(Query);
        await SetAndWait(page, "isl", "-5", "error");
        Assert.Equal("--isl must lie in [1, 10000000], got -5", await page.EvaluateExpressionAsync<string>("document.getElementById('error').textContent"));

        await SetAndWait(page, "isl", "1024", "ready");
        await SetAndWait(page, "mtp", "1", "error");
        Assert.Contains("needs a model with a multi-token-prediction module", await page.EvaluateExpressionAsync<string>("document.getElementById('error').textContent"), StringComparison.Ordinal);
        await SetAndWait(page, "mtp", "0", "ready");

        await page.EvaluateFunctionAsync("t => { const e = document.getElementById('gpuFile'); e.value = t; e.dispatchEvent(new Event('change')); }", "{\"name\": \"X\", \"sms\": -3}");
        await SetAndWait(page, "isl", "1024", "error");
        Assert.StartsWith("the pasted GPU file", await page.EvaluateExpressionAsync<string>("document.getElementById('error').textContent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_answers_bad_requests_with_a_400_and_one_line_and_refuses_paths_and_oversized_bodies()
    {
        using var http = new HttpClient { BaseAddress = _server!.Address };
        var bad = await http.PostAsync("/api/plan", new StringContent("{\"model\": \"../../etc/passwd\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var message = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("unknown model '../../etc/passwd'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", message, StringComparison.Ordinal);

        // A request longer than the model's context window gets the command line's line.
        var tooLong = await http.PostAsync("/api/plan", new StringContent("{\"model\": \"qwen3-32b\", \"isl\": 40000, \"osl\": 2000}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("is longer than qwen3-32b's context window of 40960 tokens", JsonDocument.Parse(await tooLong.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        var malformed = await http.PostAsync("/api/plan", new StringContent("{\"isl\": \"many\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.DoesNotContain(" at ", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A field given twice is refused rather than settled by whichever the reader keeps.
        var twice = await http.PostAsync("/api/plan", new StringContent("{\"isl\": 1024, \"isl\": 8192}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("not a valid plan query", await twice.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The body waits for the server's 100 Continue, so the refusal (sent before it) arrives without the server
        // closing a connection the client is still writing to.
        using var waiting = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = _server!.Address };
        using var hugeRequest = new HttpRequestMessage(HttpMethod.Post, "/api/plan")
        {
            Content = new StringContent($"{{\"modelConfig\": \"{new string('x', (int)WebServer.MaxRequestBytes)}\"}}", Encoding.UTF8, "application/json"),
        };
        hugeRequest.Headers.ExpectContinue = true;
        var huge = await waiting.SendAsync(hugeRequest);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        // Fields a request leaves out keep the command line's defaults.
        var minimal = await http.PostAsync("/api/plan", new StringContent("{\"model\": \"llama-3.1-8b\", \"gpu\": \"H100-SXM\", \"framework\": \"vllm\", \"mode\": \"agg\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, minimal.StatusCode);
        var answer = JsonDocument.Parse(await minimal.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("infer-plan plan --model llama-3.1-8b --gpu H100-SXM --framework vllm --mode agg --isl 1024 --osl 1024", answer.GetProperty("command").GetString());

        // Targets judged at the band's high end: the page's answer is the command line's for the same inputs.
        var banded = await http.PostAsync("/api/plan", new StringContent("{\"model\": \"llama-3.1-8b\", \"gpu\": \"H100-SXM\", \"framework\": \"vllm\", \"mode\": \"agg\", \"maxTpot\": 20, \"targetsOn\": \"band\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, banded.StatusCode);
        var bandedAnswer = JsonDocument.Parse(await banded.Content.ReadAsStringAsync()).RootElement;
        Assert.EndsWith("--max-tpot 20 --targets-on band", bandedAnswer.GetProperty("command").GetString(), StringComparison.Ordinal);
        var (_, cli, _) = Cli.Run("plan", "--model", "llama-3.1-8b", "--gpu", "H100-SXM", "--framework", "vllm", "--mode", "agg", "--max-tpot", "20", "--targets-on", "band", "--format", "json");
        string Chosen(JsonElement doc) => doc.GetProperty("tables").EnumerateArray().First(t => t.GetProperty("key").GetString() == "choice").GetProperty("rows")[0].GetProperty("layout").GetString()!;
        Assert.Equal(Chosen(JsonDocument.Parse(cli).RootElement), Chosen(bandedAnswer.GetProperty("document")));
        var wrong = await http.PostAsync("/api/plan", new StringContent("{\"targetsOn\": \"p90\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);

        var page = await http.GetStringAsync("/");
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
    }

    private async Task<IPage> Open(string query)
    {
        var page = await _browser!.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1100, Height = 900 });
        await page.GoToAsync(new Uri(_server!.Address, "/?" + query).ToString());
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'", new WaitForFunctionOptions { Timeout = 120_000 });
        return page;
    }

    private static async Task SetAndWait(IPage page, string id, string value, string state = "ready")
    {
        await page.EvaluateFunctionAsync("(id, v) => { document.body.dataset.state = 'loading'; const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); }", id, value);
        await page.WaitForFunctionAsync($"() => document.body.dataset.state === '{state}'", new WaitForFunctionOptions { Timeout = 120_000 });
    }

    private static Dictionary<string, JsonElement> Tables(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("rows"));
}

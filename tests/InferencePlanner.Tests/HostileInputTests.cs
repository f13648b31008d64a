using Xunit;

namespace InferencePlanner.Tests;

/// <summary>Input a hostile or careless user gives: each refused with one line naming the problem and exit code 2.</summary>
public sealed class HostileInputTests
{
    private static void Refused(string expected, params string[] args)
    {
        var (exit, output, err) = Cli.Run(args);
        Assert.True(exit == 2, $"`{string.Join(' ', args)}` exited {exit}: {output}{err}");
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("applies to models with experts", "decode", "--model", "llama-3.1-70b", "--expert-spread", "0.5")]
    [InlineData("applies to models with experts", "decode", "--model", "llama-3.1-70b", "--redundant", "4")]
    [InlineData("applies to models with experts", "prefill", "--model", "llama-3.1-70b", "--dispatch", "fp8")]
    [InlineData("multi-head latent attention", "decode", "--model", "llama-3.1-70b", "--mla-form", "absorbed")]
    [InlineData("prefill runs it in the standard form", "prefill", "--mla-form", "absorbed")]
    [InlineData("prefill computes no drafts", "prefill", "--mtp", "1")]
    [InlineData("num_nextn_predict_layers 0", "batch", "--model", "mixtral-8x7b", "--mtp", "1")]
    [InlineData("batch has no band", "batch", "--band")]
    [InlineData("does not divide the model's 128 attention heads", "batch", "--tp", "1000")]
    [InlineData("--ep must lie in [1, 65536]", "decode", "--ep", "100000")]
    [InlineData("extra copies of each", "decode", "--model", "mixtral-8x7b", "--ep", "8", "--redundant", "600")]
    [InlineData("--batch: '2147483648' is not a whole number", "decode", "--batch", "2147483648")]
    [InlineData("--isl takes a whole number", "prefill", "--isl", "2147483648")]
    [InlineData("--isl must lie in [1, 10000000]", "decode", "--isl", "0")]
    [InlineData("--prompts must lie in [1, 1000000]", "prefill", "--prompts", "1e300")]
    [InlineData("--nic must lie in [0.001, 100000]", "prefill", "--nic", "4.9e-324")]
    [InlineData("--imbalance must lie in [1, 1000]", "prefill", "--imbalance", "1e308")]
    [InlineData("no batch reaches 1000 tokens/s per user; the closest is", "decode", "--min-tps", "1000")]
    [InlineData("no row reaches 1000 tokens/s per user; the closest is", "decode", "--preset", "seed", "--min-tps", "1000")]
    [InlineData("the largest that fits is", "decode", "--batch", "100000")]
    [InlineData("no GPU and preset reaches 100000 tokens/s per user in decode; the closest is", "compare", "--min-tps", "100000")]
    [InlineData("a request of 131000 prompt and 100 output tokens (131100 in all) is longer than llama-3.1-8b's context window of 131072 tokens", "serve", "--model", "llama-3.1-8b", "--isl", "131000", "--osl", "100")]
    [InlineData("a request of 40000 prompt and 1024 output tokens (41024 in all) is longer than qwen3-32b's context window of 40960 tokens", "plan", "--model", "qwen3-32b", "--isl", "40000")]
    [InlineData("a prompt of 200000 tokens is longer than deepseek-v3's context window of 163840 tokens", "prefill", "--isl", "200000")]
    [InlineData("is longer than kimi-k2's context window of 131072 tokens", "batch", "--model", "kimi-k2", "--gpu", "H20", "--isl", "9000000")]
    [InlineData("is longer than gpt-oss-120b's context window of 131072 tokens", "decode", "--model", "gpt-oss-120b", "--isl", "131072")]
    [InlineData("is a directory, not a file", "prefill", "--gpu", "/")]
    [InlineData("is a device or other special file", "prefill", "--gpu", "/dev/zero")]
    [InlineData("is a device or other special file", "blocks", "--model", "/dev/null")]
    public void Is_refused_with_the_reason(string expected, params string[] args) => Refused(expected, args);

    [Fact]
    public void A_request_within_a_stretched_window_is_priced_and_one_no_layout_holds_is_refused()
    {
        // Qwen's documented YaRN setting stretches Qwen3's 32,768 trained positions four times: a 100,000-token prompt
        // then fits the window, where the stock config's 40,960 refuses it.
        var dir = Directory.CreateTempSubdirectory("window-");
        try
        {
            var qwen = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Files.DataDir, "models", "qwen3-32b", "config.json")))!.AsObject();
            qwen["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse("""{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}""");
            var stretched = Path.Combine(dir.FullName, "qwen3-yarn.json");
            File.WriteAllText(stretched, qwen.ToJsonString());
            Refused("context window of 40960 tokens", "serve", "--model", "qwen3-32b", "--gpu", "H200", "--isl", "100000", "--osl", "1000", "--concurrency", "1");
            var (exit, output, err) = Cli.Run("serve", "--model", stretched, "--gpu", "H200", "--isl", "100000", "--osl", "1000", "--concurrency", "1");
            Assert.True(exit == 0, output + err);
            Refused("context window of 131072 tokens (its config.json's max_position_embeddings, or the window a YaRN, linear or dynamic rope_scaling stretches it to)", "serve", "--model", stretched, "--gpu", "H200", "--isl", "131000", "--osl", "1000");

            // A window wider than any memory holds: the request is admitted and no layout holds it.
            var kimi = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Files.DataDir, "models", "kimi-k2", "config.json")))!.AsObject();
            kimi["max_position_embeddings"] = 10_000_000;
            kimi.Remove("rope_scaling");
            var wide = Path.Combine(dir.FullName, "kimi-wide.json");
            File.WriteAllText(wide, kimi.ToJsonString());
            Refused("no layout holds one request", "batch", "--model", wide, "--gpu", "H20", "--isl", "9000000");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void One_request_is_refused_only_when_its_own_kv_cache_does_not_fit()
    {
        // Llama-3.1-8B keeps 32 layers x 8 KV heads x 128 x (K and V) x 2 bytes = 131,072 bytes a token: a request of
        // 121,000 tokens needs 15.9 GB, more than one L4 holds beside the weights.
        Refused("one request of 120000 + 1000 tokens needs 15.9 GB of KV cache per TP group", "serve", "--model", "llama-3.1-8b", "--gpu", "L4", "--tp", "1", "--isl", "120000", "--osl", "1000", "--concurrency", "1");

        // DeepSeek-V3's latent, 61 layers x (512 + 64) x 2 bytes = 70,272 bytes a token, sits whole on each GPU of a TP
        // group: 163,000 tokens take 11.45 GB of each B200, well inside what the weights leave. The group's need is
        // eight times that, not sixty-four.
        var (exit, output, err) = Cli.Run("serve", "--model", "deepseek-v3", "--gpu", "B200", "--isl", "160000", "--osl", "3000", "--concurrency", "1", "--format", "json");
        Assert.True(exit == 0, output + err);
        var tables = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray().ToList();
        double Row(string table, string column, string name, string value) => tables.First(t => t.GetProperty("key").GetString() == table)
            .GetProperty("rows").EnumerateArray().First(r => r.GetProperty(column).GetString()!.StartsWith(name, StringComparison.Ordinal)).GetProperty(value).GetDouble();
        // SGLang holds a running request's KV for ISL + OSL / 2 tokens on average: each GPU holds as many requests as
        // its KV cache over one request's latent.
        var perRequestGB = (160_000 + 3_000 / 2.0) * 61 * (512 + 64) * 2 / 1e9;
        var held = Row("summary", "figure", "requests memory and the framework hold", "value");
        Assert.Equal(Row("memory", "part", "KV cache the memory share leaves", "GB") / perRequestGB, held, 0.01 * held);
    }

    [Fact]
    public void A_file_larger_than_the_limit_is_refused_unread()
    {
        var path = Path.Combine(Path.GetTempPath(), $"huge-{Guid.NewGuid():N}.json");
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            f.SetLength(Input.InputFile.MaxBytes + 1);
        }

        try
        {
            Refused("larger than the 64 MB an input file may be", "prefill", "--gpu", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("\"efficiency\": {\"compute\": 0.5, \"computee\": 0.6}", "unknown field 'computee'")]
    [InlineData("\"latencyUs\": {\"lanch\": 2}", "unknown field 'lanch'")]
    [InlineData("\"sources\": {\"memroy\": \"x\"}", "unknown field 'memroy'")]
    [InlineData("\"latencyUs\": {\"launch\": 1e300}", "field 'launch' must lie in [0, 1000000]")]
    [InlineData("\"allReduceBusGBps\": {\"1\": 300}", "keys are group sizes, whole numbers from 2 to the domain's 8 GPUs, got '1'")]
    [InlineData("\"allReduceBusGBps\": {\"16\": 300}", "got '16'")]
    [InlineData("\"allReduceBusGBps\": {\"eight\": 300}", "got 'eight'")]
    [InlineData("\"allReduceBusGBps\": {\"8\": -480}", "field '8' must lie in")]
    [InlineData("\"allReduceBusGBps\": {}", "give at least one group size")]
    [InlineData("\"allReduceBusGBps\": 480", "field 'allReduceBusGBps' must be an object")]
    [InlineData("\"allReduceBusGBps\": {\"8\": 367, \"8\": 480}", "not valid JSON (Duplicate")]
    [InlineData("\"sms\": 64", "not valid JSON (Duplicate")]
    public void Misspelled_or_absurd_keys_inside_a_gpu_file_are_refused(string nested, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"gpu-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"name\": \"X\", \"sms\": 132, \"bf16Tflops\": 989, \"fp8Tflops\": 1979, \"memoryGB\": 80, \"memoryBandwidthGBps\": 3350, " +
            "\"scaleUpBandwidthGBps\": 450, \"scaleOutBandwidthGBps\": 50, \"gpusPerNode\": 8, " + nested + "}");
        try
        {
            Refused(expected, "prefill", "--gpu", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Misspelled_keys_inside_kernel_and_measurement_files_are_refused()
    {
        var kernel = """{"name": "k", "measuredOn": "H800", "source": "s", "gemmFp8": {"source": "s", "points": [{"m": 64, "n": 2112, "k": 7168, "tflop": 206}]}}""";
        var e = Assert.Throws<InputException>(() => Kernels.KernelProfile.Parse(kernel, "k.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.Contains("unknown field 'tflop' in 'gemmFp8.points[]'", e.Message, StringComparison.Ordinal);

        var measurement = """{"description": "d", "sources": {}, "rows": [{"id": "x", "kind": "decode", "source": "S1", "gpu": "H800", "metric": "m", "unit": "u", "measured": 1, "layout": {"gpuz": 8}}]}""";
        e = Assert.Throws<InputException>(() => Validation.Measurement.Parse(measurement, "m.json"));
        Assert.Contains("unknown field 'gpuz' in 'rows[].layout'", e.Message, StringComparison.Ordinal);

        // A name given twice is refused, not settled by whichever the reader happens to keep.
        e = Assert.Throws<InputException>(() => Kernels.KernelProfile.Parse(kernel.Replace("\"tflop\": 206", "\"tflops\": 206, \"tflops\": 300", StringComparison.Ordinal), "k.json", n => Hardware.GpuCatalog.Resolve(n)));
        Assert.Contains("k.json", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InputException>(() => Validation.Measurement.Parse(measurement.Replace("\"gpuz\": 8", "\"gpus\": 8, \"gpus\": 16", StringComparison.Ordinal), "m.json"));
        Assert.Contains("Duplicate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_errors_name_no_dotnet_types()
    {
        var (exit, _, err) = Cli.Run("prefill", "--dp", "0.5");
        Assert.Equal(2, exit);
        Assert.DoesNotContain("System.", err, StringComparison.Ordinal);
        Assert.Contains("--dp takes a whole number", err, StringComparison.Ordinal);
    }
}

public sealed class HelpTextTests
{
    // A default is stated once: System.CommandLine prints [default: X] for options that have one.
    [Theory]
    [InlineData("blocks")]
    [InlineData("prefill")]
    [InlineData("decode")]
    [InlineData("batch")]
    [InlineData("compare")]
    [InlineData("serve")]
    [InlineData("validate")]
    [InlineData("report")]
    [InlineData("plot")]
    public void Help_states_each_default_once(string command)
    {
        var (exit, output, _) = Cli.Run(command, "--help");
        Assert.Equal(0, exit);
        foreach (var line in output.Split('\n').Where(l => l.Contains("[default:", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("(default:", line, StringComparison.Ordinal);
        }
    }
}

public sealed class CsvTableTests
{
    // --table gives one table as plain CSV: its header first, every row with as many fields.
    [Theory]
    [InlineData("decode", "decode")]
    [InlineData("serve", "summary")]
    [InlineData("prefill", "prefill-throughput")]
    public void One_table_is_plain_csv(string command, string table)
    {
        var (exit, output, err) = Cli.Run(command, "--format", "csv", "--table", table);
        Assert.True(exit == 0, err);
        var lines = output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.False(lines[0].StartsWith('#'), lines[0]);
        var header = Validation.Csv.Parse(output, "x")[0];
        Assert.All(Validation.Csv.Parse(output, "x").Where(r => r.Count > 1 || r[0].Length > 0), r => Assert.Equal(header.Count, r.Count));
    }

    [Fact]
    public void An_unknown_table_names_the_ones_there_are()
    {
        var (exit, _, err) = Cli.Run("decode", "--table", "nope");
        Assert.Equal(2, exit);
        Assert.Contains("its tables are decode", err, StringComparison.Ordinal);
    }
}

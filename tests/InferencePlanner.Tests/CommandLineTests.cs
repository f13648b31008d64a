using System.Globalization;
using System.Text.Json;
using InferencePlanner.Hardware;
using InferencePlanner.Input;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Tests;

/// <summary>The command line parsed from argument strings, with its output and exit code captured.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("infer-plan-tests").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string UserGpu = """
        {"name": "X", "sms": 132, "commSms": 24, "fp16Tflops": 791.6, "fp8Tflops": 1583.2, "memoryGB": 80,
         "memoryBandwidthGBps": 3350, "scaleUpBandwidthGBps": 200, "scaleOutBandwidthGBps": 50, "gpusPerNode": 8}
        """;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["prefill", "--gpu", "X100"], "unknown GPU 'X100': built-in GPUs are" },
        { ["blocks", "--model", "llama"], "unknown model 'llama' (did you mean llama-3.1-8b or llama-3.1-70b?): built-in models are" },
        { ["serve", "--gpu", "H100"], "unknown GPU 'H100' (did you mean H100-SXM or H100-PCIe?): built-in GPUs are" },
        { ["serve", "--framework", "tensorrt"], "unknown framework 'tensorrt' (did you mean trtllm?): built-in frameworks are" },
        { ["prefill", "--gpu", "/no/such/gpu.json"], "no such file" },
        { ["prefill", "--preset", "seed", "--tp", "3"], "TP 3 does not divide the model's 128 attention heads" },
        { ["prefill", "--preset", "seed", "--tp", "16"], "TP 16 does not divide the 8 GPUs per node of H800" },
        { ["prefill", "--tp", "3"], "TP 3 does not divide" },
        { ["prefill", "--tp", "16"], "TP 16 does not fit the scale-up domain of H800 (8 GPUs)" },
        { ["prefill", "--gpus", "12", "--tp", "8"], "TP 8 does not divide the deployment's 12 GPUs" },
        { ["prefill", "--nodes", "2", "--gpus", "16"], "give --nodes or --gpus, not both" },
        { ["decode", "--model", "kimi-k2", "--gpu", "H20", "--ep", "8"], "the weights need" },
        { ["decode", "--model", "llama-3.1-70b", "--ep", "8"], "--ep applies to Mixture-of-Experts models" },
        { ["decode", "--imbalance", "0.5"], "--imbalance" },
        { ["decode", "--redundant", "-1"], "--redundant must lie in [0, " },
        { ["decode", "--kv-cache", "int3"], "--kv-cache: unknown precision 'int3'" },
        { ["decode", "--kv-cache", "fp4"], "--kv-cache: fp4 is not supported" },
        { ["compare", "--min-tps", "0"], "--min-tps must be a positive number" },
        { ["blocks", "--preset", "seed", "--model", "mixtral-8x7b"], "the seed preset models MLA + MoE models of the DeepSeek-V2/V3 family only" },
        { ["prefill", "--cache-hit", "1.5"], "--cache-hit must lie in [0, 1]" },
        { ["prefill", "--cache-hit", "-0.1"], "--cache-hit must lie in [0, 1]" },
        { ["prefill", "--cache-hit", "NaN"], "--cache-hit must lie in [0, 1]" },
        { ["prefill", "--cache-hit", "half"], "'half'" },
        { ["prefill", "--seq-len", "0"], "--seq-len must lie in [1, " },
        { ["prefill", "--nodes", "-1"], "--nodes must lie in [1, " },
        { ["prefill", "--preset", "seed", "--dp", "3"], "TP x DP must use every GPU" },
        { ["prefill", "--nic", "-25"], "--nic must lie in [0.001, " },
        { ["prefill", "--preset", "seed", "--discount", "0"], "--discount must lie in (0, 1]" },
        { ["prefill", "--preset", "seed", "--discount", "1.5"], "--discount must lie in (0, 1]" },
        { ["prefill", "--discount", "0.9"], "--discount belongs to the seed preset" },
        { ["decode", "--preset", "seed", "--kv-cache", "fp8"], "--kv-cache belongs to the default preset" },
        { ["report", "--preset", "seed", "--imbalance", "1.5"], "--imbalance belongs to the default preset" },
        { ["prefill", "--preset", "fast"], "unknown preset 'fast'" },
        { ["prefill", "--format", "xml"], "'xml'" },
        { ["decode", "--batch", ""], "--batch needs at least one batch size" },
        { ["decode", "--batch", ","], "--batch needs at least one batch size" },
        { ["decode", "--batch", "32,-64"], "'-64' is not a whole number" },
        { ["decode", "--batch", "32,abc"], "'abc' is not a whole number" },
        { ["decode", "--ep", "0"], "--ep must lie in [1, " },
        { ["decode", "--preset", "seed", "--tp", "3"], "TP 3 does not divide" },
        { ["decode", "--decode-len", "0"], "--decode-len must lie in [1, " },
        { ["decode", "--min-tps", "-1"], "--min-tps must lie in [0, " },
        { ["batch", "--tp", "5"], "TP 5 does not divide" },
        { ["nonsense"], "nonsense" },
        { ["plann"], "Unrecognized command or argument 'plann' (did you mean plan?)" },
        { ["plan", "--max-tpo", "8"], "Unrecognized command or argument '--max-tpo' (did you mean --max-tpot?)" },
        { ["serve", "--concurency", "8"], "Unrecognized command or argument '--concurency' (did you mean --concurrency?)" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_gets_one_line_on_stderr_and_exit_code_2(string[] args, string expected)
    {
        var (exit, output, err) = Cli.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        var lines = err.TrimEnd().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_suggests_the_built_ins_it_most_likely_meant()
    {
        // Every built-in GPU, model and framework, written in another case and with other separators, suggests itself
        // first; a name that contains none and lies far from all suggests nothing.
        string[] gpus = [.. GpuCatalog.BuiltIn.Select(g => g.Name)];
        string[] models = [.. ModelCatalog.BuiltIn.Select(m => m.Name)];
        string[] frameworks = [.. FrameworkCatalog.BuiltIn.Select(f => f.Name)];
        foreach (var names in (string[][])[gpus, models, frameworks])
        {
            foreach (var name in names)
            {
                var respelled = name.ToUpperInvariant().Replace('-', '_').Replace('.', ' ');
                Assert.Equal(name, NameSuggestions.For(respelled, names)[0]);
            }
        }

        Assert.Equal(["H100-SXM", "H100-PCIe"], NameSuggestions.For("h100", gpus));
        Assert.Equal(["GB200"], NameSuggestions.For("GB-20", gpus));
        Assert.Equal(["H200"], NameSuggestions.For("h2000", gpus));
        Assert.Empty(NameSuggestions.For("xyz", gpus));
        Assert.Empty(NameSuggestions.For("--", gpus));
        Assert.Equal("", NameSuggestions.Hint("xyz", gpus));
        Assert.Equal(" (did you mean trtllm?)", NameSuggestions.Hint("TensorRT", FrameworkCatalog.NamesAndAliases));
        Assert.True(NameSuggestions.For("deepseek", models).Count <= NameSuggestions.MaxSuggestions);
    }

    public static TheoryData<string, string> BadGpuFiles() => new()
    {
        { "{ not json", "not valid JSON" },
        { "[1, 2]", "expected a JSON object" },
        { UserGpu.Replace("\"sms\": 132, ", "", StringComparison.Ordinal), "missing field 'sms'" },
        { UserGpu.Replace("\"fp8Tflops\": 1583.2", "\"fp8Tflops\": -1", StringComparison.Ordinal), "field 'fp8Tflops' must lie in" },
        { UserGpu.Replace("\"memoryGB\": 80", "\"memoryGB\": 0", StringComparison.Ordinal), "field 'memoryGB' must lie in" },
        { UserGpu.Replace("\"memoryBandwidthGBps\": 3350", "\"memoryBandwidthGBps\": \"fast\"", StringComparison.Ordinal), "field 'memoryBandwidthGBps' must be a number, got \"fast\"" },
        { UserGpu.Replace("\"gpusPerNode\": 8", "\"gpusPerNode\": 2.5", StringComparison.Ordinal), "field 'gpusPerNode' must be a whole number" },
        { UserGpu.Replace("\"commSms\": 24", "\"commSms\": 200", StringComparison.Ordinal), "'commSms' (200) must be less than 'sms' (132)" },
        { UserGpu.Replace("\"sms\"", "\"smz\"", StringComparison.Ordinal), "unknown field 'smz'" },
    };

    [Theory]
    [MemberData(nameof(BadGpuFiles))]
    public void A_bad_gpu_file_is_named_with_what_is_wrong(string json, string expected)
    {
        var path = Write("gpu.json", json);
        var (exit, _, err) = Cli.Run("prefill", "--gpu", path);
        Assert.Equal(2, exit);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains(path, err, StringComparison.Ordinal);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_json_missing_a_field_is_named()
    {
        var config = File.ReadAllText(Files.Reference("deepseek-v3-config.json")).Replace("\"kv_lora_rank\": 512,", "", StringComparison.Ordinal);
        var (exit, _, err) = Cli.Run("blocks", "--model", Write("config.json", config));
        Assert.Equal(2, exit);
        Assert.Contains("missing field 'kv_lora_rank'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Prefill_batches_prompts_per_group_and_refuses_none_or_the_seed()
    {
        static double PerGpu(string output) => JsonDocument.Parse(output).RootElement.GetProperty("tables").EnumerateArray()
            .Single(t => t.GetProperty("key").GetString() == "prefill-throughput").GetProperty("rows")[0].GetProperty("tokens/s per GPU").GetDouble();
        // Short prompts, where one prompt per step leaves the weights' reads unshared.
        var one = Cli.Run("prefill", "--gpu", "H20", "--tp", "8", "--gpus", "8", "--cache-hit", "0", "--seq-len", "512", "--format", "json");
        var four = Cli.Run("prefill", "--gpu", "H20", "--tp", "8", "--gpus", "8", "--cache-hit", "0", "--seq-len", "512", "--prompts", "4", "--format", "json");
        Assert.True(one.Exit == 0 && four.Exit == 0, one.Err + four.Err);

        // Four prompts share one read of the weights per layer and give the grouped GEMMs more rows.
        Assert.True(PerGpu(four.Out) > PerGpu(one.Out), $"{PerGpu(four.Out)} vs {PerGpu(one.Out)}");

        var (exit, _, err) = Cli.Run("prefill", "--prompts", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--prompts must lie in [1, ", err, StringComparison.Ordinal);
        (exit, _, err) = Cli.Run("prefill", "--preset", "seed", "--prompts", "2");
        Assert.Equal(2, exit);
        Assert.Contains("--prompts applies to the default preset only", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wider_expert_spread_slows_decode_and_bad_spreads_are_refused()
    {
        static double Step(string output) => JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows")[0].GetProperty("TPOT, one batch").GetDouble();
        var narrow = Cli.Run("decode", "--gpu", "H800", "--ep", "64", "--batch", "64", "--expert-spread", "0.2", "--format", "json");
        var wide = Cli.Run("decode", "--gpu", "H800", "--ep", "64", "--batch", "64", "--expert-spread", "1", "--format", "json");
        Assert.True(narrow.Exit == 0 && wide.Exit == 0, narrow.Err + wide.Err);
        Assert.True(Step(wide.Out) > Step(narrow.Out), $"{Step(wide.Out)} vs {Step(narrow.Out)}");

        var (exit, _, err) = Cli.Run("decode", "--expert-spread", "NaN");
        Assert.Equal(2, exit);
        Assert.Contains("--expert-spread", err, StringComparison.Ordinal);
        (exit, _, err) = Cli.Run("decode", "--expert-spread", "0.5", "--imbalance", "1.2");
        Assert.Equal(2, exit);
        Assert.Contains("not both", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_token_prediction_is_an_option_of_models_that_have_the_module()
    {
        var (exit, output, err) = Cli.Run("decode", "--gpu", "H800", "--batch", "32", "--mtp", "1", "--mtp-tokens", "1.8", "--format", "json");
        Assert.True(exit == 0, err);
        var row = JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows")[0];
        Assert.Equal(32 * 1.8 / (row.GetProperty("TPOT").GetDouble() / 1000), row.GetProperty("tokens/s per GPU").GetDouble(), 6);
        Assert.True(row.GetProperty("draft passes").GetDouble() > 0);

        foreach (var (args, message) in new[]
        {
            (new[] { "decode", "--model", "kimi-k2", "--mtp", "1" }, "num_nextn_predict_layers 0"),
            (new[] { "decode", "--mtp", "2", "--mtp-tokens", "3.5" }, "between 1 and 1 + 2 drafts"),
            (new[] { "decode", "--mtp-tokens", "1.5" }, "--mtp-tokens needs --mtp"),
            (new[] { "decode", "--preset", "seed", "--mtp", "1" }, "belongs to the default preset"),
        })
        {
            var r = Cli.Run(args);
            Assert.Equal(2, r.Exit);
            Assert.Contains(message, r.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_config_json_of_another_family_is_refused_by_name()
    {
        var (exit, _, err) = Cli.Run("blocks", "--model", Write("config.json", """{"model_type": "bert", "hidden_size": 4096}"""));
        Assert.Equal(2, exit);
        Assert.Contains("model_type 'bert' is not supported", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_gpu_file_in_the_short_format_runs_under_the_default_preset()
    {
        var (exit, output, err) = Cli.Run("decode", "--gpu", Write("x.json", UserGpu), "--format", "json");
        Assert.True(exit == 0, err);
        Assert.Contains("named defaults", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpus_separated_by_commas_are_the_gpus_given_one_by_one_and_a_file_with_a_comma_stays_whole()
    {
        var listed = Cli.Run("compare", "--gpu", "H800, H20", "--format", "csv");
        var repeated = Cli.Run("compare", "--gpu", "H800", "--gpu", "H20", "--format", "csv");
        Assert.True(listed.Exit == 0, listed.Err);
        Assert.Equal(repeated.Out, listed.Out);
        Assert.Contains("H20", listed.Out, StringComparison.Ordinal);

        var file = Cli.Run("decode", "--gpu", Write("x,y.json", UserGpu), "--gpu", "H800", "--format", "csv");
        Assert.True(file.Exit == 0, file.Err);
        Assert.Contains("X", file.Out, StringComparison.Ordinal);

        var none = Cli.Run("plan", "--gpu", ",");
        Assert.Equal(2, none.Exit);
        Assert.Contains("--gpu needs at least one GPU", none.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_gpu_file_with_the_H800_figures_gives_the_H800_prefill()
    {
        var file = Cli.Run("prefill", "--preset", "seed", "--gpu", Write("x.json", UserGpu), "--format", "csv");
        var builtIn = Cli.Run("prefill", "--preset", "seed", "--gpu", "H800", "--format", "csv");
        Assert.Equal(0, file.Exit);
        Assert.Equal(builtIn.Out.Replace("H800", "X", StringComparison.Ordinal), file.Out);
    }

    [Fact]
    public void The_readme_prints_the_sequel_tables_report_prints()
    {
        // The README quotes report's answer to the seed's sequel and its H20 comparison; a model change that moves
        // them must move the README too.
        var report = Cli.Run("report", "--format", "markdown");
        Assert.Equal(0, report.Exit);
        var readme = File.ReadAllText(Path.Combine(Files.RepositoryRoot, "README.md"));
        static string Table(string text, string heading)
        {
            var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
            var at = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
            Assert.True(at >= 0, $"no '{heading}'");
            return string.Join('\n', lines.Skip(at).TakeWhile(l => l.Length > 0));
        }

        Assert.Equal(Table(report.Out, "### Where the larger domain helps"), Table(readme, "### Where the larger domain helps"));
    }

    [Fact]
    public void The_readme_examples_print_what_their_commands_print()
    {
        // Each `$ infer-plan ...` block of the README shows real output: every line it quotes is a line its command
        // prints, in the order printed (a block may leave sections out). A model or data change that moves a figure must
        // move the README too.
        var lines = File.ReadAllText(Path.Combine(Files.RepositoryRoot, "README.md")).Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var examples = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("$ infer-plan ", StringComparison.Ordinal))
            {
                continue;
            }

            examples++;
            var run = Cli.Run(lines[i]["$ infer-plan ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.True(run.Exit == 0, $"{lines[i]}: exit {run.Exit}: {run.Err}");
            var printed = run.Out.Replace("\r", "", StringComparison.Ordinal).Split('\n');
            var at = 0;
            foreach (var quoted in lines.Skip(i + 1).TakeWhile(l => !l.StartsWith("```", StringComparison.Ordinal)).Where(l => l.Length > 0))
            {
                while (at < printed.Length && printed[at] != quoted)
                {
                    at++;
                }

                Assert.True(at < printed.Length, $"{lines[i]}: the README quotes a line the command does not print (in that order):\n{quoted}");
                at++;
            }
        }

        Assert.True(examples >= 2, "the README's serve and plan examples");
    }

    [Fact]
    public void The_shipped_config_json_gives_the_article_numbers_by_path()
    {
        var byName = Cli.Run("report", "--preset", "seed", "--format", "json");
        var byPath = Cli.Run("report", "--preset", "seed", "--format", "json", "--model", Files.Reference("deepseek-v3-config.json"));
        Assert.Equal(0, byPath.Exit);
        static string Tables(string json) => JsonDocument.Parse(json).RootElement.GetProperty("tables").GetRawText();
        Assert.Equal(Tables(byName.Out), Tables(byPath.Out));
    }

    [Fact]
    public void The_terminal_table_prints_cells_as_text_numbers_right_aligned_and_no_trailing_blanks()
    {
        Reporting.Cell[][] rows = [["[red]x[/]", Reporting.Cell.Of(1.5, 1)], ["long name", Reporting.Cell.Of(100.254, 2)]];
        var document = new Reporting.Document("Title", [new("model", "m")],
            [new Reporting.Table("k", "A table", ["name", "tokens/s per GPU"], rows, ["a note"])]);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        InferencePlanner.Cli.OutputFormats.For("table").Write(document, writer);
        const string Expected = """
            Title
            model: m

            A table
            name       tokens/s per GPU
            ---------  ----------------
            [red]x[/]               1.5
            long name            100.25
              * a note

            """;
        Assert.Equal(Expected.ReplaceLineEndings(), writer.ToString().ReplaceLineEndings());
    }

    [Theory]
    [InlineData("table")]
    [InlineData("markdown")]
    [InlineData("json")]
    [InlineData("csv")]
    public void Every_command_writes_every_format(string format)
    {
        string[][] commands =
        [
            ["blocks"], ["prefill"], ["decode"], ["batch"], ["report"], ["compare"], ["list", "gpus"], ["list", "models"], ["list", "frameworks"],
            ["serve"], ["serve", "--mode", "disagg", "--decode-tp", "1", "--decode-dp", "8", "--decode-moe-ep", "8"], ["serve", "--model", "qwen3-32b", "--framework", "vllm", "--tp", "2", "--waves", "10"],
            ["blocks", "--preset", "seed"], ["prefill", "--preset", "seed"], ["decode", "--preset", "seed"], ["batch", "--preset", "seed"], ["report", "--preset", "seed"],
            ["decode", "--preset", "seed", "--min-tps", "20", "--ep", "144"], ["prefill", "--preset", "seed", "--tp", "8", "--seq-len", "1000", "--cache-hit", "0"],
            ["decode", "--min-tps", "20", "--ep", "144"], ["prefill", "--tp", "8", "--seq-len", "1000", "--cache-hit", "0"],
        ];
        foreach (var command in commands)
        {
            var (exit, output, err) = Cli.Run([.. command, "--format", format]);
            Assert.True(exit == 0, $"{string.Join(' ', command)}: {err}");
            Assert.Equal("", err);
            Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
            Assert.DoesNotContain("∞", output, StringComparison.Ordinal);
            if (format == "json")
            {
                using var _ = JsonDocument.Parse(output);
            }
        }
    }

    [Fact]
    public void Min_tps_keeps_only_the_rows_a_user_accepts()
    {
        var (_, output, _) = Cli.Run("decode", "--preset", "seed", "--min-tps", "20", "--format", "json");
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.True(r.GetProperty("TPS_O").GetDouble() > 20));

        // The article: H800 needs batch <= 128, H20 batch 32, H20_3e batch <= 64 for more than 20 tokens/s.
        var kept = rows.Select(r => $"{r.GetProperty("GPU").GetString()}:{r.GetProperty("BatchSize").GetDouble()}").ToList();
        Assert.Equal(["H800(TP1):32", "H800(TP1):64", "H800(TP1):128", "H20(TP4):32", "H20_3e(TP8):32", "H20_3e(TP8):64"], kept);
    }

    [Fact]
    public void Ep_flags_the_rows_that_do_not_fit()
    {
        var (_, output, _) = Cli.Run("decode", "--preset", "seed", "--gpu", "H800", "--ep", "144", "--format", "json");
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("tables")[0].GetProperty("rows").EnumerateArray().ToList();

        // The seed's max-batch table: H800, FP8 KV, absorbed MLA, EP144 -> 141.9 requests at TP1.
        Assert.All(rows.Take(3), r => Assert.Equal(141, r.GetProperty("MaxBatch_EP144").GetDouble()));
        Assert.Equal(["yes", "yes", "yes", "NO"], rows.Select(r => r.GetProperty("Fits").GetString()));
    }
}

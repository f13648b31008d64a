using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using Xunit;

namespace InferencePlanner.Tests;

/// <summary>
/// The command line under hostile input: random commands, option mixes and numbers across the whole double and
/// int32 range. The contract: exit code 0 with finite output, or 2 with one line on stderr; never 1, never a stack
/// trace, never NaN or Infinity.
/// </summary>
public sealed partial class FuzzTests
{
    // GPU files whose figures are each valid JSON numbers but far outside what hardware has.
    private static readonly Lazy<string[]> ExtremeGpus = new(() =>
    {
        string[] fields = ["bf16Tflops", "fp8Tflops", "memoryGB", "memoryBandwidthGBps", "scaleUpBandwidthGBps", "scaleOutBandwidthGBps"];
        string[] values = ["1e-300", "1e300", "4.9e-324", "1.7976931348623157e308", "0.001", "1e9"];
        var dir = Path.Combine(Path.GetTempPath(), "infer-plan-fuzz-gpus");
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        foreach (var field in fields)
        {
            foreach (var value in values)
            {
                var figures = new Dictionary<string, string>
                {
                    ["bf16Tflops"] = "989", ["fp8Tflops"] = "1979", ["memoryGB"] = "80", ["memoryBandwidthGBps"] = "3350",
                    ["scaleUpBandwidthGBps"] = "450", ["scaleOutBandwidthGBps"] = "50",
                };
                figures[field] = value;
                var json = "{\"name\": \"X\", \"sms\": 132, \"gpusPerNode\": 8, " + string.Join(", ", figures.Select(kv => $"\"{kv.Key}\": {kv.Value}")) + "}";
                var path = Path.Combine(dir, $"{field}-{files.Count}.json");
                File.WriteAllText(path, json);
                files.Add(path);
            }
        }

        foreach (var nodes in (string[])["1", "2147483647", "3", "72"])
        {
            var path = Path.Combine(dir, $"nodes-{nodes}.json");
            File.WriteAllText(path, "{\"name\": \"X\", \"sms\": 132, \"bf16Tflops\": 989, \"fp8Tflops\": 1979, \"memoryGB\": 80, \"memoryBandwidthGBps\": 3350, \"scaleUpBandwidthGBps\": 450, \"scaleOutBandwidthGBps\": 50, \"gpusPerNode\": " + nodes + "}");
            files.Add(path);
        }

        return [.. files];
    });

    // Plausible values, so that random command lines reach the model and not only the parser.
    private static readonly string[] Plausible = ["1", "2", "4", "8", "16", "32", "64", "128", "256", "1024", "4096", "8192", "0.25", "0.5", "0.9"];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "2", "3", "7", "8", "16", "64", "0.5", "0.999", "1.5", "100", "1000", "4383", "65536", "1e6",
        "2147483647", "2147483648", "-2147483648", "4294967296", "1e15", "1e300", "-1e300", "1.7976931348623157e308",
        "4.9e-324", "1e-310", "2.2250738585072014e-308", "1e-9", "NaN", "Infinity", "-Infinity", "abc", "", "0x10", "1,5",
    ];

    private static readonly Dictionary<string, string[]> Choices = new(StringComparer.Ordinal)
    {
        ["--gpu"] = ["H800", "H20", "H200", "B200", "GB200", "MI300X", "H100-SXM", "nope", "/", "/dev/null", "/dev/zero", .. ExtremeGpus.Value],
        ["--model"] = ["deepseek-v3", "llama-3.1-70b", "gpt-oss-120b", "mixtral-8x7b", "qwen3-32b", "kimi-k2", "nope", "/", "/dev/null"],
        ["--framework"] = ["sglang", "vllm", "trtllm", "tgi", "/"],
        ["--format"] = ["table", "json", "csv", "markdown", "xml"],
        ["--preset"] = ["default", "seed", "other"],
        ["--mode"] = ["agg", "disagg", "both"],
        ["--weights"] = ["fp4", "fp8", "bf16", "int3"],
        ["--expert-weights"] = ["fp4", "fp8", "bf16"],
        ["--kv-cache"] = ["fp8", "bf16", "fp4"],
        ["--attention-precision"] = ["fp8", "bf16"],
        ["--dispatch"] = ["fp8", "bf16"],
        ["--combine"] = ["fp8", "bf16"],
        ["--mla-form"] = ["on-the-fly", "absorbed", "standard", "x"],
        ["--batch"] = ["1", "32,64", "0", "-1", "2147483647", "1,,2", "abc", "1e3", "65536"],
        ["--band"] = [],
    };

    private static readonly Dictionary<string, string[]> CommandOptions = new(StringComparer.Ordinal)
    {
        ["blocks"] = ["--model", "--preset", "--format"],
        ["prefill"] = ["--gpu", "--tp", "--dp", "--nodes", "--gpus", "--isl", "--cache-hit", "--prompts", "--nic", "--model", "--preset", "--discount", "--format",
            "--weights", "--expert-weights", "--kv-cache", "--attention-precision", "--dispatch", "--combine", "--imbalance", "--expert-spread", "--redundant", "--mla-form", "--band"],
        ["decode"] = ["--gpu", "--batch", "--isl", "--osl", "--min-tps", "--ep", "--tp", "--nic", "--model", "--preset", "--discount", "--format", "--weights", "--expert-weights",
            "--kv-cache", "--imbalance", "--expert-spread", "--mtp", "--mtp-tokens", "--redundant", "--mla-form", "--band"],
        ["batch"] = ["--gpu", "--tp", "--isl", "--osl", "--model", "--preset", "--discount", "--format", "--weights", "--kv-cache", "--redundant"],
        ["serve"] = ["--model", "--gpu", "--framework", "--mode", "--isl", "--osl", "--concurrency", "--cache-hit", "--waves", "--chunk", "--tp", "--dp", "--moe-tp", "--moe-ep",
            "--prefill-tp", "--prefill-dp", "--prefill-moe-ep", "--decode-tp", "--decode-dp", "--decode-moe-ep", "--prefill-workers", "--decode-workers", "--weights", "--kv-cache", "--format"],
        ["list"] = [],
    };

    // The slower commands, sampled less often.
    private static readonly Dictionary<string, string[]> SlowCommandOptions = new(StringComparer.Ordinal)
    {
        ["compare"] = ["--gpu", "--isl", "--cache-hit", "--osl", "--min-tps", "--model", "--format", "--weights", "--kv-cache", "--redundant", "--expert-spread", "--mtp"],
    };

    private static readonly string[] Commands = [.. CommandOptions.Keys];

    private static Gen<string[]> Args =>
        from command in Gen.Int[0, Commands.Length - 1].Select(i => Commands[i])
        from picks in Gen.Int[0, 5].SelectMany(n => Gen.Int[0, 1000].Array[n])
        from values in Gen.Int[0, 1000].Array[5]
        select Build(command, picks, values, CommandOptions);

    private static Gen<string[]> SlowArgs =>
        from picks in Gen.Int[0, 4].SelectMany(n => Gen.Int[0, 1000].Array[n])
        from values in Gen.Int[0, 1000].Array[4]
        select Build("compare", picks, values, SlowCommandOptions);

    private static string[] Build(string command, int[] picks, int[] values, Dictionary<string, string[]> commandOptions)
    {
        var args = new List<string>();
        if (command == "list")
        {
            args.Add("list");
            args.Add((picks.Length % 4) switch { 0 => "gpus", 1 => "models", 2 => "frameworks", _ => "things" });
            return [.. args];
        }

        args.Add(command);
        var options = commandOptions[command];
        for (var i = 0; i < picks.Length; i++)
        {
            var option = options[picks[i] % options.Length];
            args.Add(option);
            if (Choices.TryGetValue(option, out var choices))
            {
                if (choices.Length > 0)
                {
                    args.Add(choices[values[i] % choices.Length]);
                }
            }
            else
            {
                args.Add(values[i] % 2 == 0 ? Plausible[values[i] / 2 % Plausible.Length] : Numbers[values[i] / 2 % Numbers.Length]);
            }
        }

        return [.. args];
    }

    [GeneratedRegex(@"\bNaN\b|-?Infinity(?! Fabric)|∞|\d{25,}")]
    private static partial Regex NotFinite();

    private static void Contract(string[] args)
    {
        var line = string.Join(' ', args);
        var (exit, output, err) = Cli.Run(args);
        Assert.True(exit is 0 or 2, $"exit {exit} for `{line}`: {err}");
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        if (exit == 2)
        {
            Assert.True(err.TrimEnd().Split('\n').Length == 1, $"`{line}` printed more than one line: {err}");
            Assert.DoesNotContain("System.", err, StringComparison.Ordinal);
        }
        else
        {
            Assert.False(NotFinite().IsMatch(output), $"`{line}` printed a number that is not finite or absurd: {NotFinite().Match(output).Value}");
        }
    }

    // Loaders fed random and truncated JSON throw input errors only.
    [Fact]
    public void Loaders_refuse_random_and_truncated_json_with_input_errors()
    {
        var texts = new List<string>();
        foreach (var dir in (string[])["gpus", "frameworks", "models/deepseek-v3", "models/gpt-oss-120b", "kernels", "measurements"])
        {
            foreach (var f in Directory.GetFiles(Path.Combine(DataDir, dir), "*.json"))
            {
                texts.Add(File.ReadAllText(f));
            }
        }

        var gen = from i in Gen.Int[0, texts.Count - 1]
                  from cut in Gen.Double[0, 1]
                  from mutate in Gen.Int[0, 3]
                  from ch in Gen.Char["{}[]\",:0123456789.eE-+ntfalsrue"]
                  select Mutate(texts[i], cut, mutate, ch);
        gen.Sample(text =>
        {
            foreach (var parse in Parsers)
            {
                try
                {
                    parse(text);
                }
                catch (InputException)
                {
                }
            }
        }, iter: 2_000, threads: 2);
    }

    private static readonly Action<string>[] Parsers =
    [
        t => Hardware.GpuCatalog.Parse(t, "x.json"),
        t => Models.ModelCatalog.Parse(t, "x", "x.json"),
        t => Serving.FrameworkCatalog.Parse(t, "x.json"),
        t => Kernels.KernelProfile.Parse(t, "x.json", n => Hardware.GpuCatalog.Resolve(n)),
        t => Validation.Measurement.Parse(t, "x.json"),
        t => Validation.ServingMeasurement.ParseCsv(t, "x.csv"),
    ];

    private static string Mutate(string text, double cut, int mutate, char ch)
    {
        var at = (int)(cut * text.Length);
        return mutate switch
        {
            0 => text[..at],
            1 => text[..at] + ch + text[at..],
            2 => at < text.Length ? text[..at] + ch + text[(at + 1)..] : text + ch,
            _ => text[..at] + text[Math.Min(text.Length, at + 7)..],
        };
    }

    private static string DataDir => Files.DataDir;

    // Most cases must reach the model, or the fuzz tests only the parser.
    [Fact]
    public void Most_random_command_lines_reach_the_model()
    {
        var (ok, total) = (0, 0);
        Args.Sample(args =>
        {
            var exit = Cli.Run(args).Exit;
            Interlocked.Increment(ref total);
            if (exit == 0)
            {
                Interlocked.Increment(ref ok);
            }
        }, iter: 500, threads: 1);
        Assert.True(ok >= total / 5, $"{ok} of {total} random command lines ran");
    }

    [Fact]
    public void Random_comparisons_keep_the_contract() =>
        SlowArgs.Sample(Contract, iter: 150, threads: 2);

    [Fact]
    public void Random_command_lines_keep_the_contract() =>
        Args.Sample(Contract, iter: 10_000, threads: 2);
}

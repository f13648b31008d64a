using System.CommandLine;
using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Reporting;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Cli;

/// <summary>
/// The commands: options declared here, each action resolves its inputs, calls the library for a document
/// and hands it to an exporter. Exit codes: 0 success, 2 bad input (one line on stderr).
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code for input the tool cannot use.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a defect in the tool.</summary>
    public const int InternalError = 1;

    /// <summary>Parses and runs <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = Build(stdout, stderr);
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            // One line: System.CommandLine lists allowed values on separate lines.
            var message = string.Join("; ", parsed.Errors.Select(e =>
                Plain(string.Join(" ", e.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.'), parsed, args)));
            stderr.WriteLine($"error: {message} (see infer-plan --help)");
            return BadInput;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (InputException e)
        {
            stderr.WriteLine("error: " + e.Message);
            return BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect, not the user's input: one line, and a different exit code.
            stderr.WriteLine($"internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]} (please report it with the command line)");
            return InternalError;
        }
    }

    // Parse errors in words: System.CommandLine names the .NET type an argument did not convert to.
    private static string Plain(string message, ParseResult parsed, string[] args)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'$");
        if (!m.Success)
        {
            return message;
        }

        var type = m.Groups[3].Value;
        var expected = type.Contains("Int32", StringComparison.Ordinal) ? "a whole number (at most 2147483647)"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number" : "a value of the right kind";
        // Name the option as the user wrote it, of its aliases.
        var name = m.Groups[2].Value;
        var option = parsed.CommandResult.Command.Options.FirstOrDefault(o => o.Name == name);
        var typed = option is null ? name : args.FirstOrDefault(a => a == option.Name || option.Aliases.Contains(a)) ?? name;
        return $"{typed} takes {expected}, got '{m.Groups[1].Value}'";
    }

    private static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "InferencePlanner: prefill and decode performance of LLM inference (Mixture-of-Experts with expert parallelism, and dense models) from first principles.");
        root.Subcommands.Add(Blocks(stdout));
        root.Subcommands.Add(Prefill(stdout));
        root.Subcommands.Add(Decode(stdout));
        root.Subcommands.Add(Batch(stdout));
        root.Subcommands.Add(Compare(stdout));
        root.Subcommands.Add(ServeCommand.Build(stdout));
        root.Subcommands.Add(PlanCommand.Build(stdout, stderr));
        root.Subcommands.Add(WebCommand.Build(stdout));
        root.Subcommands.Add(PlotCommand.Build(stdout));
        root.Subcommands.Add(Validate(stdout));
        root.Subcommands.Add(Report(stdout));
        root.Subcommands.Add(List(stdout));
        return root;
    }

    private static Command Blocks(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: false);
        var cmd = new Command("blocks", "Parameters, FLOPs per token and KV bytes per block, and the parameter summary by block and layer count.");
        common.AddTo(cmd);
        cmd.SetAction(p => Write(stdout, p, common, common.IsSeed(p) ? SeedReport.Blocks(common.Model(p)) : DefaultReport.Blocks(common.Model(p))));
        return cmd;
    }

    private static Command Prefill(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20");
        var tp = new Option<int?>("--tp") { Description = "Tensor parallelism of attention (default: 4; default preset, dense models: the smallest of 4 and 8 whose weights fit, for each GPU)." }.Within(1, 1024);
        var dp = new Option<int?>("--dp") { Description = "seed: data-parallel attention groups (default: all GPUs / TP)." }.Within(1, 100_000);
        var nodes = new Option<int?>("--nodes") { Description = "Nodes (scale-up domains) in the deployment (seed default: 4)." }.Within(1, 100_000);
        var gpuCount = new Option<int?>("--gpus") { Description = "default: GPUs in the deployment (default: 32 for MoE models, one TP group for dense ones)." }.Within(1, OptionRanges.MaxGpus);
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the KV cache, in [0, 1].", DefaultValueFactory = _ => 0.563 }.Within(0, 1);
        var prompts = new Option<double?>("--prompts") { Description = "default: prompts per data-parallel group in one prefill step, as a server batches them (default: 1)." }.Within(1, 1e6);
        var nic = NicOption();
        var cmd = new Command("prefill", "Per-layer prefill times, totals with and without overlap, tokens/s per GPU and per node, and what limits them.")
        {
            gpus, tp, dp, nodes, gpuCount, seq, hit, prompts, nic,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            var gpuList = ResolveGpus(p, common, gpus, nic);
            var given = p.GetValue(tp);
            var t = given ?? DefaultDeployment.SeedPrefillTp;
            Check.Positive(t, "--tp");
            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
                if (p.GetValue(prompts) is not null)
                {
                    throw new InputException("--prompts applies to the default preset only: the seed prefills one prompt per group");
                }

                var n = p.GetValue(nodes) ?? 4;
                Check.Positive(n, "--nodes");
                var scenario = new PrefillScenario(p.GetValue(seq), p.GetValue(hit), t, p.GetValue(dp) ?? Math.Max(1, n * gpuList[0].GpusPerNode / t), n);
                return Write(stdout, p, common, SeedReport.Prefill(m, gpuList, scenario, common.Seed(p)));
            }

            var count = GpuCount(p, nodes, gpuCount, gpuList[0]);
            return Write(stdout, p, common, DefaultReport.Prefill(m, gpuList, p.GetValue(seq), p.GetValue(hit), given, count, model.Inputs(p, m, "prefill"), p.GetValue(prompts) ?? 1));
        });
        return cmd;
    }

    private static Command Decode(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var batch = new Option<string>("--batch") { Description = "Batch sizes per GPU, comma-separated.", DefaultValueFactory = _ => "32,64,128,256" };
        var seq = new Option<int>("--seq-len", "--isl") { Description = "KV length attended per output token.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request (they occupy KV cache too).", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var minTps = new Option<double?>("--min-tps") { Description = "Keep only rows above this many tokens/s per user (with overlap)." }.Within(0, 1e7);
        var ep = new Option<int?>("--ep") { Description = "seed: add the largest batch that fits for this EP strategy and flag rows that do not. default: GPUs the experts are spread over (default: the smallest deployment leaving room for KV cache)." }.Within(1, OptionRanges.MaxGpus);
        var tp = new Option<int?>("--tp") { Description = "MLA/attention tensor parallelism. seed: forces it for every row instead of the seed's per-row choice; default: for MoE models 1 (data-parallel attention) where a replica fits on each GPU, for dense models the smallest TP whose weights leave room for KV cache, chosen for each GPU." }.Within(1, 1024);
        var nic = NicOption();
        var cmd = new Command("decode", "Decode per batch size: attention, KV reads, experts, dispatch/combine, TPOT, tokens/s per user and per GPU, memory limit.")
        {
            gpus, batch, seq, decodeLen, minTps, ep, tp, nic,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            var gpuList = ResolveGpus(p, common, gpus, nic);
            var batches = ParseBatches(p.GetValue(batch)!);
            var min = p.GetValue(minTps);
            if (min is { } v && !(v >= 0 && double.IsFinite(v)))
            {
                throw new InputException($"--min-tps must be a non-negative number, got {v.ToString(CultureInfo.InvariantCulture)}");
            }

            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
                var options = new SeedReport.DecodeOptions(batches, min, p.GetValue(ep), p.GetValue(tp));
                return Write(stdout, p, common, SeedReport.Decode(m, gpuList, new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen)), options, common.Seed(p)));
            }

            if (p.GetValue(tp) is { } given)
            {
                Check.Positive(given, "--tp");
            }

            var count = p.GetValue(ep);
            if (count is { } e)
            {
                Check.Positive(e, "--ep");
            }

            if (!m.Transformer.FeedForward.IsMoe && count is not null)
            {
                throw new InputException($"--ep applies to Mixture-of-Experts models; {m.Name} is dense (use --tp)");
            }

            return Write(stdout, p, common, DefaultReport.Decode(m, gpuList, batches, p.GetValue(seq), p.GetValue(decodeLen),
                p.GetValue(tp),
                count, min, model.Inputs(p, m, "decode")));
        });
        return cmd;
    }

    private static Command Batch(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var tp = new Option<int>("--tp") { Description = "Tensor parallelism of attention (the KV cache of MLA is replicated on each rank).", DefaultValueFactory = _ => 1 }.Within(1, 1024);
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var cmd = new Command("batch", "Largest decode batch per GPU that fits in memory, for EP320/144/72/34 and each KV-cache precision (seed: also absorbed or not).")
        {
            gpus, tp, seq, decodeLen,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var m = common.Model(p);
            var gpuList = ResolveGpus(p, common, gpus, null);
            if (common.IsSeed(p))
            {
                model.RejectUnderSeed(p);
            }

            return common.IsSeed(p)
                ? Write(stdout, p, common, SeedReport.Batch(m, gpuList, new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen)), p.GetValue(tp), common.Seed(p)))
                : Write(stdout, p, common, DefaultReport.Batch(m, gpuList, p.GetValue(seq), p.GetValue(decodeLen), p.GetValue(tp), model.Inputs(p, m, "batch")));
        });
        return cmd;
    }

    private static Command Compare(TextWriter stdout)
    {
        var common = new CommonOptions("table", withDiscount: true, withPreset: false);
        var model = new ModelOptions();
        var gpus = GpuOption("H800", "H20", "B200", "GB200");
        var seq = new Option<int>("--seq-len", "--isl") { Description = "Prompt length, and decode context, in tokens.", DefaultValueFactory = _ => 4383 }.Within(1, OptionRanges.MaxTokens);
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the KV cache, in [0, 1].", DefaultValueFactory = _ => 0.563 }.Within(0, 1);
        var decodeLen = new Option<int>("--decode-len", "--osl") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1210 }.Within(1, OptionRanges.MaxTokens);
        var minTps = new Option<double>("--min-tps") { Description = "Tokens/s every user must get.", DefaultValueFactory = _ => 20 }.Within(0, 1e7);
        var cmd = new Command("compare", "Headline figures side by side under both presets: prefill tokens/s per node; decode tokens/s per GPU and per user at the best batch for a per-user rate; what limits each.")
        {
            gpus, seq, hit, decodeLen, minTps,
        };
        common.AddTo(cmd);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var min = p.GetValue(minTps);
            if (!(min > 0) || !double.IsFinite(min))
            {
                throw new InputException($"--min-tps must be a positive number, got {min.ToString(CultureInfo.InvariantCulture)}");
            }

            Check.Positive(p.GetValue(seq), "--seq-len");
            Check.Positive(p.GetValue(decodeLen), "--decode-len");
            Check.CacheHit(p.GetValue(hit));
            var names = p.GetValue(gpus) ?? [];
            if (names.Length == 0)
            {
                throw new InputException("--gpu needs at least one GPU");
            }

            return Write(stdout, p, common, DefaultReport.Compare(common.Model(p), names, p.GetValue(seq), p.GetValue(hit), p.GetValue(decodeLen), min, model.Inputs(p, common.Model(p), "compare"), common.Seed(p)));
        });
        return cmd;
    }

    private static Command Validate(TextWriter stdout)
    {
        var format = new Option<string>("--format") { Description = $"Output format: {string.Join(", ", OutputFormats.Names)}.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var band = new Option<bool>("--band") { Description = "Add a low and a high prediction from the spread of the kernel data." };
        var imbalance = new Option<double?>("--imbalance") { Description = "Expert load imbalance before redundancy, busiest GPU over the mean (default: derived from the expert load spread, the slots per GPU and the batch)." }.Within(1, 1000);
        var serving = new Option<string?>("--serving")
        {
            Description = "Score the serving level instead: the bundled serving measurements, or the CSV at this path (aiconfigurator's silicon_sample.csv columns).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cmd = new Command("validate", "Predicted against measured for the bundled measurements of DeepSeek-V3/R1 deployments and kernels, under both presets, with the median and worst error; --serving scores TTFT and TPOT on measured serving points.")
        {
            format, band, imbalance, serving,
        };
        cmd.SetAction(p =>
        {
            if (p.GetResult(serving) is not null)
            {
                if (p.GetValue(band) || p.GetValue(imbalance) is not null)
                {
                    throw new InputException("--band and --imbalance apply to the deployment validation, not to --serving");
                }

                var path = p.GetValue(serving);
                var servingRows = path is null ? Validation.ServingMeasurement.Bundled : Validation.ServingMeasurement.ParseCsv(Input.InputFile.ReadText(path), path);
                var outcome = ServingValidationReport.Run(servingRows);
                if (p.GetValue(format) == "json")
                {
                    stdout.WriteLine(ServingValidationReport.Json(outcome));
                    return 0;
                }

                OutputFormats.For(p.GetValue(format)!).Write(ServingValidationReport.Document(outcome, path ?? "bundled data/measurements/serving/silicon-sample.csv"), stdout);
                return 0;
            }

            var options = WithImbalance(new DefaultOptions(), p.GetValue(imbalance));

            var rows = Validation.Validator.Run(Validation.Measurement.BuiltIn, options, p.GetValue(band));
            var calibration = Validation.Calibration.Run(Validation.Measurement.BuiltIn, options);
            if (p.GetValue(format) == "json")
            {
                stdout.WriteLine(ValidationReport.Json(rows, calibration));
                return 0;
            }

            OutputFormats.For(p.GetValue(format)!).Write(ValidationReport.Document(rows, p.GetValue(band), calibration), stdout);
            return 0;
        });
        return cmd;
    }

    private static Command Report(TextWriter stdout)
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

            return Write(stdout, p, common, DefaultReport.Report(common.Model(p), model.Inputs(p, common.Model(p), "report")));
        });
        return cmd;
    }

    private static Command List(TextWriter stdout)
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

    private static Option<string[]> GpuOption(params string[] defaults) => new("--gpu")
    {
        Description = "A built-in GPU name or the path of a GPU JSON file; repeat for several (H20_3e is H20-3e outside the seed preset).",
        DefaultValueFactory = _ => defaults,
        Arity = ArgumentArity.OneOrMore,
    };

    private static Option<double?> NicOption() => new Option<double?>("--nic")
    {
        Description = "Override every GPU's scale-out (NIC) bandwidth per GPU, GB/s.",
    }.Within(0.001, 100_000);

    private static int? GpuCount(ParseResult p, Option<int?> nodes, Option<int?> gpuCount, GpuSpec gpu)
    {
        var n = p.GetValue(nodes);
        var g = p.GetValue(gpuCount);
        if (n is not null && g is not null)
        {
            throw new InputException("give --nodes or --gpus, not both");
        }

        if (n is { } nn)
        {
            Check.Positive(nn, "--nodes");
            return nn * gpu.GpusPerNode;
        }

        if (g is { } gg)
        {
            Check.Positive(gg, "--gpus");
        }

        return g;
    }

    private static List<GpuSpec> ResolveGpus(ParseResult p, CommonOptions common, Option<string[]> option, Option<double?>? nic)
    {
        var names = p.GetValue(option) ?? [];
        if (names.Length == 0)
        {
            throw new InputException("--gpu needs at least one GPU");
        }

        var seed = common.IsSeed(p);

        var gpus = names.Select(n => GpuCatalog.Resolve(n, seed)).ToList();
        if (nic is not null && p.GetValue(nic) is { } bw)
        {
            if (!(bw > 0) || !double.IsFinite(bw))
            {
                throw new InputException($"--nic must be a positive bandwidth in GB/s, got {bw.ToString(CultureInfo.InvariantCulture)}");
            }

            gpus = [.. gpus.Select(g => g with { ScaleOutBandwidthGBps = bw })];
        }

        return gpus;
    }

    private static DefaultOptions WithImbalance(DefaultOptions options, double? imbalance)
    {
        if (imbalance is not { } i)
        {
            return options;
        }

        if (!(i >= 1) || !double.IsFinite(i))
        {
            throw new InputException($"--imbalance is the busiest GPU's load over the mean and must be at least 1, got {i.ToString(CultureInfo.InvariantCulture)}");
        }

        return options with { Imbalance = i };
    }

    /// <summary>Parses "32,64,128" into batch sizes; anything else is an input error.</summary>
    /// <summary>Largest batch per GPU a --batch list takes.</summary>
    public const int MaxBatch = 1_000_000;

    internal static List<int> ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.All(string.IsNullOrEmpty))
        {
            throw new InputException("--batch needs at least one batch size, e.g. --batch 32,64,128");
        }

        var list = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) || b <= 0 || b > MaxBatch)
            {
                throw new InputException($"--batch: '{part}' is not a whole number from 1 to {MaxBatch} (give sizes like 32,64,128)");
            }

            list.Add(b);
        }

        return list;
    }

    private static int Write(TextWriter stdout, ParseResult p, CommonOptions common, Document doc)
    {
        OutputFormats.For(p.GetValue(common.Format)!).Write(doc.Only(p.GetValue(common.TableOption)), stdout);
        return 0;
    }

    /// <summary>Options every command shares: output format, preset, the seed's efficiency discount, model.</summary>
    private sealed class CommonOptions
    {
        private readonly bool _withDiscount;
        private readonly bool _withPreset;

        public CommonOptions(string defaultFormat, bool withDiscount, bool withPreset = true)
        {
            _withDiscount = withDiscount;
            _withPreset = withPreset;
            Format = new Option<string>("--format")
            {
                Description = $"Output format: {string.Join(", ", OutputFormats.Names)}.",
                DefaultValueFactory = _ => defaultFormat,
            };
            Format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        }

        public Option<string> Format { get; }

        public Option<string> Preset { get; } = new("--preset")
        {
            Description = "Cost model: default (the project's per-operator roofline) or seed (the article's model, reproducing its tables).",
            DefaultValueFactory = _ => "default",
        };

        public Option<double?> Discount { get; } = new Option<double?>("--discount")
        {
            Description = "seed: efficiency discount applied to every peak figure, in (0, 1] (the article: 0.85).",
        };

        public Option<string> ModelOption { get; } = new("--model")
        {
            Description = "A built-in model name or the path of a HuggingFace config.json.",
            DefaultValueFactory = _ => ModelCatalog.DefaultName,
        };

        public Option<string?> TableOption { get; } = new("--table")
        {
            Description = "Write only the table of this key (e.g. for a plain CSV reader); the keys are the JSON output's table keys.",
        };

        public void AddFormat(Command cmd)
        {
            cmd.Options.Add(Format);
            cmd.Options.Add(TableOption);
        }

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(ModelOption);
            if (_withPreset)
            {
                cmd.Options.Add(Preset);
            }

            if (_withDiscount)
            {
                cmd.Options.Add(Discount);
            }

            cmd.Options.Add(Format);
            cmd.Options.Add(TableOption);
        }

        public ModelSpec Model(ParseResult p) => ModelCatalog.Resolve(p.GetValue(ModelOption)!);

        public bool IsSeed(ParseResult p)
        {
            if (!_withPreset)
            {
                return false;
            }

            var preset = p.GetValue(Preset)!;
            if (string.Equals(preset, "seed", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (!string.Equals(preset, "default", StringComparison.OrdinalIgnoreCase))
            {
                throw new InputException($"unknown preset '{preset}': known presets are default, seed");
            }

            if (_withDiscount && p.GetValue(Discount) is not null)
            {
                throw new InputException("--discount belongs to the seed preset; the default model takes its efficiencies per GPU (the 'efficiency' object of a GPU file)");
            }

            return false;
        }

        public SeedCostPolicy Seed(ParseResult p)
        {
            var options = new SeedOptions();
            if (_withDiscount && p.GetValue(Discount) is { } d)
            {
                if (!(d > 0 && d <= 1))
                {
                    throw new InputException($"--discount must lie in (0, 1], got {d.ToString(CultureInfo.InvariantCulture)}");
                }

                options = options with { Discount = d };
            }

            return new SeedCostPolicy(options);
        }
    }

    /// <summary>The default model's inputs: precisions and expert balance.</summary>
    private sealed class ModelOptions
    {
        private readonly Option<string?> _weights = new("--weights") { Description = "default: weight precision, fp4|fp8|bf16 (default: the checkpoint's)." };
        private readonly Option<string?> _expertWeights = new("--expert-weights") { Description = "default: expert weight precision, fp4|mxfp4|fp8|bf16|int4 (default: as --weights, or the checkpoint's)." };
        private readonly Option<string?> _kv = new("--kv-cache") { Description = "default: KV-cache precision, fp8|bf16 (default: bf16)." };
        private readonly Option<string?> _attention = new("--attention-precision") { Description = "default: attention compute precision, fp8|bf16 (default: bf16)." };
        private readonly Option<string?> _dispatch = new("--dispatch") { Description = "default: dispatch payload precision (default: fp8)." };
        private readonly Option<string?> _combine = new("--combine") { Description = "default: combine payload precision (default: bf16)." };
        private readonly Option<double?> _imbalance = new Option<double?>("--imbalance") { Description = "default: expert load imbalance before redundancy, busiest GPU over the mean (default: derived from the expert load spread, the slots per GPU and the batch)." }.Within(1, 1000);
        private readonly Option<double?> _spread = new Option<double?>("--expert-spread") { Description = "default: spread of load across experts (coefficient of variation) the imbalance is derived from (default: 0.7, calibrated on the bundled measurements)." }.Within(0, 10);
        private readonly Option<int?> _mtp = new Option<int?>("--mtp") { Description = "default: multi-token prediction, draft tokens per request and decode step (default: 0, none; the model needs an MTP module)." }.Within(0, 16);
        private readonly Option<double?> _mtpTokens = new Option<double?>("--mtp-tokens") { Description = "default: tokens a request gains per step with --mtp, between 1 and 1 + drafts (default: DeepSeek-R1's measured acceptance with that many chained drafts: " + string.Join(", ", DefaultOptions.MtpMeasuredTokensPerStep.Skip(1).Select(x => x.ToString(CultureInfo.InvariantCulture))) + " for 1 to " + (DefaultOptions.MtpMeasuredTokensPerStep.Count - 1).ToString(CultureInfo.InvariantCulture) + ")." }.Within(1, 17);
        private readonly Option<int?> _redundant = new Option<int?>("--redundant") { Description = "default: redundant experts (default: the fewest that spread the experts evenly)." }.Within(0, 100_000);
        private readonly Option<bool> _band = new("--band") { Description = "default: add low and high predictions from the spread of the kernel data." };
        private readonly Option<string?> _mlaForm = new("--mla-form") { Description = "default: how MLA runs in decode: on-the-fly (absorbed, as FlashMLA; the default), absorbed (materialised weights) or standard." };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { _weights, _expertWeights, _kv, _attention, _dispatch, _combine, _imbalance, _spread, _mtp, _mtpTokens, _redundant, _mlaForm, _band })
            {
                cmd.Options.Add(o);
            }
        }

        /// <summary>Throws when an option of the default model is given under the seed preset, which would ignore it.</summary>
        public void RejectUnderSeed(ParseResult p)
        {
            foreach (var o in new Option[] { _weights, _expertWeights, _kv, _attention, _dispatch, _combine, _imbalance, _spread, _mtp, _mtpTokens, _redundant, _mlaForm, _band })
            {
                if (p.GetResult(o) is { Implicit: false })
                {
                    throw new InputException($"{o.Name} belongs to the default preset; the seed preset has its own fixed assumptions");
                }
            }
        }

        public DefaultInputs Inputs(ParseResult p, ModelSpec model, string command)
        {
            RejectMeaningless(p, model, command);
            var weights = p.GetPrecision(_weights);
            var experts = p.GetPrecision(_expertWeights);
            var kv = p.GetPrecision(_kv);
            var attention = p.GetPrecision(_attention);
            var dispatch = p.GetPrecision(_dispatch);
            var combine = p.GetPrecision(_combine);
            if (kv == Precision.Fp4)
            {
                throw new InputException("--kv-cache: fp4 is not supported; use fp8 or bf16");
            }

            PrecisionOptions.RejectWeightOnly((_kv, kv), (_attention, attention), (_dispatch, dispatch), (_combine, combine));
            var options = WithImbalance(new DefaultOptions(), p.GetValue(_imbalance));
            if (p.GetValue(_spread) is { } spread)
            {
                if (!(spread >= 0) || !double.IsFinite(spread))
                {
                    throw new InputException($"--expert-spread is a coefficient of variation and must be 0 or more, got {spread.ToString(CultureInfo.InvariantCulture)}");
                }

                if (options.Imbalance is not null)
                {
                    throw new InputException("give --imbalance or --expert-spread, not both: a fixed imbalance ignores the spread");
                }

                options = options with { ExpertLoadSpread = spread };
            }

            if (p.GetValue(_mtp) is { } drafts)
            {
                options = options with { MtpDraftTokens = drafts };
            }

            if (p.GetValue(_mtpTokens) is { } gained)
            {
                if (options.MtpDraftTokens <= 0)
                {
                    throw new InputException("--mtp-tokens needs --mtp (draft tokens per step)");
                }

                options = options with { MtpTokensPerStep = gained };
            }

            options.CheckMtp();

            if (p.GetValue(_mlaForm) is { } form)
            {
                options = options with
                {
                    MlaDecodeForm = form.ToLowerInvariant() switch
                    {
                        "on-the-fly" => MlaForm.OnTheFly,
                        "absorbed" => MlaForm.AbsorbedMaterialised,
                        "standard" => MlaForm.Standard,
                        _ => throw new InputException($"--mla-form: unknown form '{form}' (use on-the-fly, absorbed or standard)"),
                    },
                };
            }

            var redundant = p.GetValue(_redundant);
            if (redundant is < 0)
            {
                throw new InputException($"--redundant must not be negative, got {redundant}");
            }

            return new DefaultInputs(t =>
            {
                var n = PrecisionSet.NativeFor(t);
                return new PrecisionSet(weights ?? n.Weights, experts ?? weights ?? n.ExpertWeights, kv ?? n.KvCache, attention ?? n.Attention, dispatch ?? n.Dispatch, combine ?? n.Combine);
            }, options, redundant) { Band = p.GetValue(_band) };
        }

        // An option the model or the command has no use for is refused, not silently ignored.
        private void RejectMeaningless(ParseResult p, ModelSpec model, string command)
        {
            var t = model.Transformer;
            bool Given(Option o) => p.GetResult(o) is { Implicit: false };
            if (!t.FeedForward.IsMoe)
            {
                foreach (var o in new Option[] { _expertWeights, _dispatch, _combine, _imbalance, _spread, _redundant })
                {
                    if (Given(o))
                    {
                        throw new InputException($"{o.Name} applies to models with experts; {model.Name} is dense");
                    }
                }
            }

            if (Given(_mlaForm) && t.Attention.Kind != AttentionKind.Mla)
            {
                throw new InputException($"--mla-form applies to models with multi-head latent attention; {model.Name} has {t.Attention.Kind.ToString().ToUpperInvariant()} attention");
            }

            if (Given(_mlaForm) && command == "prefill")
            {
                throw new InputException("--mla-form sets how MLA runs in decode; prefill runs it in the standard form");
            }

            if ((Given(_mtp) || Given(_mtpTokens)) && command == "prefill")
            {
                throw new InputException("--mtp and --mtp-tokens apply to decode; prefill computes no drafts");
            }

            if (Given(_mtp) && p.GetValue(_mtp) is > 0 && t.MtpLayers == 0)
            {
                throw new InputException("--mtp needs a model with a multi-token-prediction module (its config.json has num_nextn_predict_layers 0)");
            }

            if (Given(_band) && command is "batch" or "blocks" or "compare" or "report")
            {
                throw new InputException($"--band adds low and high predictions to the prefill and decode tables; {command} has no band");
            }
        }
    }
}

using System.CommandLine;
using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Reporting;

namespace InferencePlanner.Cli;

/// <summary>
/// The commands: options declared here, each action resolves its inputs, calls the library for a document
/// and hands it to an exporter. Exit codes: 0 success, 2 bad input (one line on stderr).
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code for input the tool cannot use.</summary>
    public const int BadInput = 2;

    /// <summary>Parses and runs <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        var root = Build(stdout);
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            // One line: System.CommandLine lists allowed values on separate lines.
            var message = string.Join("; ", parsed.Errors.Select(e =>
                string.Join(" ", e.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.')));
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
    }

    private static RootCommand Build(TextWriter stdout)
    {
        var root = new RootCommand(
            "InferencePlanner: prefill and decode performance of Mixture-of-Experts LLM inference with expert parallelism, from first principles.");
        root.Subcommands.Add(Blocks(stdout));
        root.Subcommands.Add(Prefill(stdout));
        root.Subcommands.Add(Decode(stdout));
        root.Subcommands.Add(Batch(stdout));
        root.Subcommands.Add(Report(stdout));
        root.Subcommands.Add(List(stdout));
        return root;
    }

    private static Command Blocks(TextWriter stdout)
    {
        var common = new CommonOptions("table");
        var cmd = new Command("blocks", "Parameters, FLOPs per token and KV bytes per block, and the parameter summary by block and layer count.");
        common.AddTo(cmd, withPreset: false);
        cmd.SetAction(p => Write(stdout, p, common, SeedReport.Blocks(common.Model(p))));
        return cmd;
    }

    private static Command Prefill(TextWriter stdout)
    {
        var common = new CommonOptions("table");
        var gpus = GpuOption("H800", "H20");
        var tp = new Option<int>("--tp") { Description = "Tensor parallelism of attention.", DefaultValueFactory = _ => 4 };
        var dp = new Option<int?>("--dp") { Description = "Data-parallel attention groups (default: all GPUs / TP)." };
        var nodes = new Option<int>("--nodes") { Description = "Nodes in the deployment.", DefaultValueFactory = _ => 4 };
        var seq = new Option<int>("--seq-len") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 };
        var hit = new Option<double>("--cache-hit") { Description = "Share of prompt tokens found in the KV cache, in [0, 1].", DefaultValueFactory = _ => 0.563 };
        var nic = NicOption();
        var cmd = new Command("prefill", "Per-layer prefill times, totals with and without overlap, tokens/s per node and KV cache produced per node.")
        {
            gpus, tp, dp, nodes, seq, hit, nic,
        };
        common.AddTo(cmd, withPreset: true);
        cmd.SetAction(p =>
        {
            var model = common.Model(p);
            var gpuList = ResolveGpus(p, gpus, nic);
            var t = p.GetValue(tp);
            var n = p.GetValue(nodes);
            Check.Positive(t, "--tp");
            Check.Positive(n, "--nodes");
            var gpusPerNode = gpuList[0].GpusPerNode;
            var scenario = new PrefillScenario(p.GetValue(seq), p.GetValue(hit), t, p.GetValue(dp) ?? Math.Max(1, n * gpusPerNode / t), n);
            return Write(stdout, p, common, SeedReport.Prefill(model, gpuList, scenario, common.Policy(p)));
        });
        return cmd;
    }

    private static Command Decode(TextWriter stdout)
    {
        var common = new CommonOptions("table");
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var batch = new Option<string>("--batch") { Description = "Batch sizes per GPU, comma-separated.", DefaultValueFactory = _ => "32,64,128,256" };
        var seq = new Option<int>("--seq-len") { Description = "KV length attended per output token.", DefaultValueFactory = _ => 4383 };
        var decodeLen = new Option<int>("--decode-len") { Description = "Output tokens per request (for the memory check).", DefaultValueFactory = _ => 1210 };
        var minTps = new Option<double?>("--min-tps") { Description = "Keep only rows above this many tokens/s per user (with overlap)." };
        var ep = new Option<int?>("--ep") { Description = "EP size: add the largest batch that fits for this EP strategy and flag rows that do not fit." };
        var forcedTp = new Option<int?>("--decode-tp") { Description = "MLA tensor parallelism for every row, instead of the seed's per-row choice." };
        var nic = NicOption();
        var cmd = new Command("decode", "Decode per batch size: MLA at TP1/4/8, KV loads, experts, dispatch/combine, TPOT, tokens/s per user and per GPU, time budget.")
        {
            gpus, batch, seq, decodeLen, minTps, ep, forcedTp, nic,
        };
        common.AddTo(cmd, withPreset: true);
        cmd.SetAction(p =>
        {
            var model = common.Model(p);
            var gpuList = ResolveGpus(p, gpus, nic);
            var options = new SeedReport.DecodeOptions(ParseBatches(p.GetValue(batch)!), p.GetValue(minTps), p.GetValue(ep), p.GetValue(forcedTp));
            var scenario = new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen));
            return Write(stdout, p, common, SeedReport.Decode(model, gpuList, scenario, options, common.Policy(p)));
        });
        return cmd;
    }

    private static Command Batch(TextWriter stdout)
    {
        var common = new CommonOptions("table");
        var gpus = GpuOption("H800", "H20", "H20_3e");
        var tp = new Option<int>("--tp") { Description = "Tensor parallelism of MLA (the KV cache is replicated on each rank).", DefaultValueFactory = _ => 1 };
        var seq = new Option<int>("--seq-len") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 4383 };
        var decodeLen = new Option<int>("--decode-len") { Description = "Output tokens per request.", DefaultValueFactory = _ => 1210 };
        var cmd = new Command("batch", "Largest decode batch per GPU that fits in memory: EP320/144/72/34 x FP8/FP16 KV x absorbed or not.")
        {
            gpus, tp, seq, decodeLen,
        };
        common.AddTo(cmd, withPreset: true);
        cmd.SetAction(p => Write(stdout, p, common,
            SeedReport.Batch(common.Model(p), ResolveGpus(p, gpus, null), new DecodeScenario(p.GetValue(seq), p.GetValue(decodeLen)), p.GetValue(tp), common.Policy(p))));
        return cmd;
    }

    private static Command Report(TextWriter stdout)
    {
        var common = new CommonOptions("markdown");
        var cmd = new Command("report", "The whole seed analysis in the article's order, as one document (Markdown, or one JSON document).");
        common.AddTo(cmd, withPreset: true);
        cmd.SetAction(p => Write(stdout, p, common, SeedReport.Report(common.Model(p), common.Policy(p))));
        return cmd;
    }

    private static Command List(TextWriter stdout)
    {
        var list = new Command("list", "List the built-in GPUs or models.");
        var gpusFormat = new CommonOptions("table");
        var gpus = new Command("gpus", "Built-in GPUs with their figures and sources.");
        gpusFormat.AddFormat(gpus);
        gpus.SetAction(p => Write(stdout, p, gpusFormat, Listing.Gpus()));
        var modelsFormat = new CommonOptions("table");
        var models = new Command("models", "Built-in models with their shapes.");
        modelsFormat.AddFormat(models);
        models.SetAction(p => Write(stdout, p, modelsFormat, Listing.Models()));
        list.Subcommands.Add(gpus);
        list.Subcommands.Add(models);
        return list;
    }

    private static Option<string[]> GpuOption(params string[] defaults) => new("--gpu")
    {
        Description = $"A built-in GPU name or the path of a GPU JSON file; repeat for several (default: {string.Join(", ", defaults)}).",
        DefaultValueFactory = _ => defaults,
        Arity = ArgumentArity.OneOrMore,
    };

    private static Option<double?> NicOption() => new("--nic")
    {
        Description = "Override every GPU's scale-out (NIC) bandwidth per GPU, GB/s.",
    };

    private static List<GpuSpec> ResolveGpus(ParseResult p, Option<string[]> option, Option<double?>? nic)
    {
        var names = p.GetValue(option) ?? [];
        if (names.Length == 0)
        {
            throw new InputException("--gpu needs at least one GPU");
        }

        var gpus = names.Select(n => GpuCatalog.Resolve(n, seed: true)).ToList();
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

    /// <summary>Parses "32,64,128" into batch sizes; anything else is an input error.</summary>
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
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) || b <= 0)
            {
                throw new InputException($"--batch: '{part}' is not a positive whole number (give sizes like 32,64,128)");
            }

            list.Add(b);
        }

        return list;
    }

    private static int Write(TextWriter stdout, ParseResult p, CommonOptions common, Document doc)
    {
        Exporters.For(p.GetValue(common.Format)!).Write(doc, stdout);
        return 0;
    }

    /// <summary>Options every command shares: output format, preset, efficiency discount, model.</summary>
    private sealed class CommonOptions
    {
        public CommonOptions(string defaultFormat)
        {
            Format = new Option<string>("--format")
            {
                Description = $"Output format: {string.Join(", ", Exporters.Names)} (default: {defaultFormat}).",
                DefaultValueFactory = _ => defaultFormat,
            };
            Format.AcceptOnlyFromAmong([.. Exporters.Names]);
        }

        public Option<string> Format { get; }

        public Option<string> Preset { get; } = new("--preset")
        {
            Description = "Cost model: seed (the article's model).",
            DefaultValueFactory = _ => "seed",
        };

        public Option<double?> Discount { get; } = new("--discount")
        {
            Description = "Efficiency discount applied to every peak figure, in (0, 1] (seed: 0.85).",
        };

        public Option<string> ModelOption { get; } = new("--model")
        {
            Description = $"A built-in model name or the path of a HuggingFace config.json (default: {ModelCatalog.DefaultName}).",
            DefaultValueFactory = _ => ModelCatalog.DefaultName,
        };

        public void AddFormat(Command cmd) => cmd.Options.Add(Format);

        public void AddTo(Command cmd, bool withPreset)
        {
            cmd.Options.Add(ModelOption);
            if (withPreset)
            {
                cmd.Options.Add(Preset);
                cmd.Options.Add(Discount);
            }

            cmd.Options.Add(Format);
        }

        public ModelSpec Model(ParseResult p) => ModelCatalog.Resolve(p.GetValue(ModelOption)!);

        public SeedCostPolicy Policy(ParseResult p)
        {
            var preset = p.GetValue(Preset)!;
            if (!string.Equals(preset, "seed", StringComparison.OrdinalIgnoreCase))
            {
                throw new InputException($"unknown preset '{preset}': known presets are seed");
            }

            var options = new SeedOptions();
            if (p.GetValue(Discount) is { } d)
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
}

using System.CommandLine;
using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;

namespace InferencePlanner.Cli;

/// <summary>Options and input checks the seed-era commands share: GPUs, the NIC override, GPU counts, batch lists, and writing a document.</summary>
internal static class CommandOptions
{
    internal static Option<string[]> GpuOption(params string[] defaults) => new("--gpu")
    {
        Description = "A built-in GPU name or the path of a GPU JSON file; repeat, or separate by commas, for several (H20_3e is H20-3e outside the seed preset).",
        DefaultValueFactory = _ => defaults,
        Arity = ArgumentArity.OneOrMore,
    };

    internal static Option<double?> NicOption() => new Option<double?>("--nic")
    {
        Description = "Override every GPU's scale-out (NIC) bandwidth per GPU, GB/s.",
    }.Within(0.001, 100_000);

    internal static int? GpuCount(ParseResult p, Option<int?> nodes, Option<int?> gpuCount, GpuSpec gpu)
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

    /// <summary>
    /// The GPUs a repeatable --gpu names: each value one GPU, or several separated by commas ("H200,B200"); a value that
    /// is the path of an existing file stays whole, so a GPU file may carry a comma in its name.
    /// </summary>
    internal static string[] GpuNames(ParseResult p, Option<string[]> option)
    {
        var names = (p.GetValue(option) ?? [])
            .SelectMany(v => File.Exists(v) ? [v] : v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToArray();
        return names.Length == 0 ? throw new InputException($"{option.Name} needs at least one GPU") : names;
    }

    internal static List<GpuSpec> ResolveGpus(ParseResult p, CommonOptions common, Option<string[]> option, Option<double?>? nic)
    {
        var names = GpuNames(p, option);

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

    internal static RooflineOptions WithImbalance(RooflineOptions options, double? imbalance)
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

    /// <summary>Largest batch per GPU a --batch list takes.</summary>
    public const int MaxBatch = 1_000_000;

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
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) || b <= 0 || b > MaxBatch)
            {
                throw new InputException($"--batch: '{part}' is not a whole number from 1 to {MaxBatch} (give sizes like 32,64,128)");
            }

            list.Add(b);
        }

        return list;
    }

    internal static int Write(TextWriter stdout, ParseResult p, CommonOptions common, Document doc)
    {
        OutputFormats.For(p.GetValue(common.Format)!).Write(doc.Only(p.GetValue(common.TableOption)), stdout);
        return 0;
    }
}

using System.CommandLine;
using System.Globalization;
using InferencePlanner.Models;
using InferencePlanner.Pricing;

namespace InferencePlanner.Cli;

/// <summary>Options every command shares: output format, preset, the seed's efficiency discount, model.</summary>
internal sealed class CommonOptions
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

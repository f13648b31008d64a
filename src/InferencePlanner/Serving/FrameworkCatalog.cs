using InferencePlanner.Input;
using InferencePlanner.Json;

namespace InferencePlanner.Serving;

/// <summary>The built-in serving frameworks (data/frameworks, embedded at build time) and the loader for a framework file given by path.</summary>
public static class FrameworkCatalog
{
    private static readonly string[] Required =
    [
        "name", "displayName", "stepOverheadUs", "requestOverheadMs", "chunkTokens", "chunkedPrefill", "budgetIncludesDecode", "mixesPrefill", "maxRunningRequests",
        "cudaGraphMaxBatch", "eagerLaunchUs", "memoryShare", "memoryShareOf", "reserveGB", "kvTransferOverheadMs", "hostUsPerRequest",
    ];

    private static readonly string[] Optional = ["aliases", "sources", "notes", "version", "reserveMBPerChunkToken", "memoryTiers", "smallEngineGpus", "minReserveGB", "twoBatchOverlapFlag", "twoBatchOverlapNeedsAttentionDp", "kernelProfiles", "kvReservesWholeRequest", "piecewiseGraphTokens", "programmaticDependentLaunch", "prefillStepFactor", "requestOverheadWithPostprocessWorkersMs"];

    private static readonly Lazy<IReadOnlyList<ServingFramework>> BuiltInList = new(() =>
        [.. EmbeddedData.Under("frameworks/").Select(r => Parse(r.Text, "built-in " + r.Name))]);

    /// <summary>The built-in frameworks, in name order.</summary>
    public static IReadOnlyList<ServingFramework> BuiltIn => BuiltInList.Value;

    /// <summary>A built-in framework by name or alias (case-insensitive), or the framework file at that path.</summary>
    public static ServingFramework Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        var match = Find(nameOrPath);
        if (match is not null)
        {
            return match;
        }

        if (Hardware.Catalog.LooksLikePath(nameOrPath))
        {
            return Parse(JsonFields.ReadFile(nameOrPath));
        }

        throw new InputException($"unknown framework '{nameOrPath}'{NameSuggestions.Hint(nameOrPath, NamesAndAliases)}: built-in frameworks are {string.Join(", ", BuiltIn.Select(f => f.Name))}, or give the path of a framework JSON file");
    }

    /// <summary>Every name and alias a built-in framework answers to, each with the framework's name: what an unknown name is compared with.</summary>
    public static IEnumerable<(string Match, string Name)> NamesAndAliases => BuiltIn.SelectMany(f => f.Aliases.Prepend(f.Name).Select(a => (a, f.Name)));

    /// <summary>A built-in framework by name or alias, or null.</summary>
    public static ServingFramework? Find(string name) =>
        BuiltIn.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)
            || f.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Parses a framework file's text; <paramref name="origin"/> names it in errors.</summary>
    public static ServingFramework Parse(string json, string origin) => Parse(JsonFields.Parse(json, origin));

    // The defaults that depend on the GPU's memory, ascending, each tier's bound above the one below.
    private static List<MemoryTier> Tiers(JsonFields f)
    {
        var tiers = new List<MemoryTier>();
        if (!f.Has("memoryTiers"))
        {
            return tiers;
        }

        foreach (var o in f.ObjectArray("memoryTiers"))
        {
            o.RejectUnknown(["belowMemoryGB", "chunkTokens", "cudaGraphMaxBatch", "smallEngineCudaGraphMaxBatch"], "memoryTiers");
            var below = o.Positive("belowMemoryGB");
            if (tiers.Count > 0 && below <= tiers[^1].BelowMemoryGB)
            {
                throw new InputException($"{o.Origin}: memoryTiers ascend by belowMemoryGB, got {Reporting.Num.S(below)} after {Reporting.Num.S(tiers[^1].BelowMemoryGB)}");
            }

            tiers.Add(new MemoryTier(below, o.OptionalInteger("chunkTokens", 1), o.OptionalInteger("cudaGraphMaxBatch", 0), o.OptionalInteger("smallEngineCudaGraphMaxBatch", 0)));
        }

        if (tiers.Any(t => t.SmallEngineCudaGraphMaxBatch is not null) && !f.Has("smallEngineGpus"))
        {
            throw new InputException($"{f.Origin}: memoryTiers give smallEngineCudaGraphMaxBatch, so field 'smallEngineGpus' (engines of fewer GPUs take it) is needed");
        }

        return tiers;
    }

    // The kernel data the framework runs where it differs from a GPU's own: GPU profile name -> the profile to use instead.
    private static Dictionary<string, string> KernelProfiles(JsonFields f)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (f.OptionalObject("kernelProfiles") is { } o)
        {
            foreach (var key in o.Names())
            {
                var name = o.Text(key);
                if (!Kernels.KernelCatalog.BuiltIn.Any(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase))
                    || !Kernels.KernelCatalog.BuiltIn.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new InputException($"{o.Origin}: kernelProfiles maps a GPU's kernel profile to the one the framework runs instead, both built-in ({string.Join(", ", Kernels.KernelCatalog.BuiltIn.Select(p => p.Name))}); got '{key}' -> '{name}'");
                }

                map[key] = name;
            }
        }

        return map;
    }

    private static ServingFramework Parse(JsonFields f)
    {
        foreach (var name in f.Names())
        {
            if (!Required.Contains(name) && !Optional.Contains(name))
            {
                throw new InputException($"{f.Origin}: unknown field '{name}' (framework fields are {string.Join(", ", Required)}; optional: {string.Join(", ", Optional)})");
            }
        }

        foreach (var name in Required)
        {
            if (!f.Has(name))
            {
                throw new InputException($"{f.Origin}: missing field '{name}'");
            }
        }

        var share = f.Positive("memoryShare");
        if (share > 1)
        {
            throw new InputException($"{f.Origin}: field 'memoryShare' is a share of memory and must lie in (0, 1], got {Reporting.Num.S(share)}");
        }

        var of = f.Text("memoryShareOf") switch
        {
            "total" => MemoryShareOf.Total,
            "free" => MemoryShareOf.Free,
            var other => throw new InputException($"{f.Origin}: field 'memoryShareOf' must be \"total\" or \"free\", got \"{other}\""),
        };

        var budgetIncludesDecode = f.OptionalBool("budgetIncludesDecode")!.Value;
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (f.OptionalObject("sources") is { } s)
        {
            foreach (var key in s.Names())
            {
                if (!Required.Contains(key) && !Optional.Contains(key))
                {
                    throw new InputException($"{s.Origin}: unknown field '{key}' (sources name the fields they document: {string.Join(", ", Required)})");
                }

                sources[key] = s.Text(key);
            }
        }

        return new ServingFramework(
            Name: f.Text("name"),
            DisplayName: f.Text("displayName"),
            StepOverheadUs: f.NonNegative("stepOverheadUs"),
            RequestOverheadMs: f.NonNegative("requestOverheadMs"),
            ChunkTokens: f.Integer("chunkTokens", 1),
            ChunkedPrefill: f.OptionalBool("chunkedPrefill")!.Value,
            BudgetIncludesDecode: budgetIncludesDecode,
            MixesPrefill: f.OptionalBool("mixesPrefill")!.Value,
            MaxRunningRequests: f.Integer("maxRunningRequests", 1),
            CudaGraphMaxBatch: f.Integer("cudaGraphMaxBatch", 0),
            EagerLaunchUs: f.NonNegative("eagerLaunchUs"),
            MemoryShare: share,
            MemoryShareOf: of,
            ReserveGB: f.NonNegative("reserveGB"),
            KvTransferOverheadMs: f.NonNegative("kvTransferOverheadMs"),
            Sources: sources)
        {
            HostUsPerRequest = f.NonNegative("hostUsPerRequest"),
            PrefillStepFactor = f.Has("prefillStepFactor") ? f.Within("prefillStepFactor", 0.5, 5) : ServingFramework.CalibratedPrefillStepFactor,
            RequestOverheadWithPostprocessWorkersMs = f.Has("requestOverheadWithPostprocessWorkersMs") ? f.NonNegative("requestOverheadWithPostprocessWorkersMs") : null,
            Aliases = f.OptionalTextArray("aliases") ?? [],
            Origin = f.Origin,
            ReserveMBPerChunkToken = f.Has("reserveMBPerChunkToken") ? f.NonNegative("reserveMBPerChunkToken") : 0,
            MemoryTiers = Tiers(f),
            SmallEngineGpus = f.OptionalInteger("smallEngineGpus", 2) ?? 0,
            MinReserveGB = f.Has("minReserveGB") ? f.NonNegative("minReserveGB") : null,
            TwoBatchOverlapFlag = f.Has("twoBatchOverlapFlag") ? f.Text("twoBatchOverlapFlag") : null,
            TwoBatchOverlapNeedsAttentionDp = f.OptionalBool("twoBatchOverlapNeedsAttentionDp") ?? false,
            KernelProfiles = KernelProfiles(f),
            KvReservesWholeRequest = f.OptionalBool("kvReservesWholeRequest") ?? false,
            PiecewiseGraphTokens = f.Has("piecewiseGraphTokens") ? f.Integer("piecewiseGraphTokens", 0) : 0,
            ProgrammaticDependentLaunch = f.OptionalBool("programmaticDependentLaunch") ?? false,
        };
    }
}

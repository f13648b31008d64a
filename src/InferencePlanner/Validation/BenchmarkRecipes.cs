using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>
/// The deployments the InferenceMAX benchmark runs used, from their master configuration
/// (data/measurements/serving/inferencemax-recipes.json): what a measured row leaves out, the recipes that ran at its
/// concurrency give: a disaggregated row's workers, layouts and decode batch cap, and whether a row's decode steps
/// drafted tokens (MTP). Dates narrow the runs that can have measured a row: a run's notBefore (the day its
/// configuration existed from), and the file's sweeps (days on which the benchmark ran only the named runs, and none of
/// their siblings of the same mode, GPU, precision and framework).
/// </summary>
public static partial class BenchmarkRecipes
{
    /// <summary>One recipe read as a disaggregated deployment.</summary>
    /// <param name="Layout">Prefill and decode workers and their engines.</param>
    /// <param name="MtpDrafts">Draft tokens per decode step (0: none).</param>
    /// <param name="Config">The recipe's configuration file, as the source names it.</param>
    /// <param name="PrefillChunkTokens">Prompt tokens a prefill step carries per DP group, as the recipe's file sets it (null: the framework's budget).</param>
    public sealed record Reading(DisaggregatedLayout Layout, int MtpDrafts, string Config, int? PrefillChunkTokens = null);

    internal sealed record Side(int Workers, int Tp, int? Ep, bool? DpAttention);

    internal sealed record Recipe(bool Mtp, int[] Concurrencies, Side? Prefill, Side? Decode, Side? Engine, string Config)
    {
        /// <summary>The drafts the recipe's own file sets, where the restatement gives them.</summary>
        public int? Drafts { get; init; }

        /// <summary>The decode workers' running requests per DP group the recipe's own file allows, where the restatement gives it (null: the framework's default).</summary>
        public int? DecodeMaxBatch { get; init; }

        /// <summary>The prefill workers' prompt tokens per step and DP group the recipe's own file sets, where the restatement gives it (null: the framework's budget).</summary>
        public int? PrefillChunkTokens { get; init; }

        /// <summary>The prefill workers' requests per DP group the recipe's own file allows, where the restatement gives it (null: no cap but the budget).</summary>
        public int? PrefillMaxBatch { get; init; }
    }

    internal sealed record Run(bool Disaggregated, string Model, string Gpu, string Precision, string Framework, string Image, int DraftsWithDp, int DraftsWithout, int Isl, int Osl, Recipe[] Recipes)
    {
        /// <summary>The run's key in the benchmark's configuration (one key may have several versions).</summary>
        public string Key { get; init; } = "";

        /// <summary>The first day the run can have measured anything: its recipes entered the benchmark's configuration no earlier (null: not stated).</summary>
        public DateOnly? NotBefore { get; init; }
    }

    /// <summary>The recipes file read: its runs, and the days on which the benchmark swept only some of them.</summary>
    internal sealed record RecipeFile(List<Run> Runs, Dictionary<DateOnly, HashSet<string>> Sweeps);

    private static readonly Lazy<RecipeFile> Recipes = new(() =>
    {
        var files = EmbeddedData.Under("serving-benchmark-recipes/").Select(f => ParseFile(f.Text, "built-in " + f.Name)).ToList();
        var sweeps = new Dictionary<DateOnly, HashSet<string>>();
        foreach (var (day, keys) in files.SelectMany(f => f.Sweeps))
        {
            sweeps[day] = sweeps.TryGetValue(day, out var more) ? [.. more, .. keys] : keys;
        }

        return new RecipeFile([.. files.SelectMany(f => f.Runs)], sweeps);
    });

    /// <summary>Reads a recipe file's runs; a malformed or inconsistent file is an input error naming the file.</summary>
    internal static List<Run> Parse(string json, string origin) => ParseFile(json, origin).Runs;

    /// <summary>Reads a recipe file: its runs and its sweeps (days on which only the named runs ran).</summary>
    internal static RecipeFile ParseFile(string json, string origin)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, Json.JsonFields.ReadOptions);
            var sweeps = new Dictionary<DateOnly, HashSet<string>>();
            if (doc.RootElement.TryGetProperty("sweeps", out var sw))
            {
                foreach (var x in sw.EnumerateArray())
                {
                    var text = x.GetProperty("day").GetString();
                    var day = Day(text) ?? throw new InputException($"{origin}: sweep day '{text}' is not a date written yyyy-MM-dd");
                    HashSet<string> keys = [.. x.GetProperty("keys").EnumerateArray().Select(k => k.GetString() ?? throw new InputException($"{origin}: sweep {text}: a null key"))];
                    if (keys.Count == 0 || !sweeps.TryAdd(day, keys))
                    {
                        throw new InputException($"{origin}: sweep {text}: a sweep names at least one run, and each day once");
                    }
                }
            }

            var runs = new List<Run>();
            foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                string Text(string name) => r.GetProperty(name).GetString() ?? throw new InputException($"{origin}: '{name}' is null");
                var disaggregated = Text("mode") switch
                {
                    "disagg" => true,
                    "agg" => false,
                    var m => throw new InputException($"{origin}: run {Text("key")}: mode '{m}' is neither agg nor disagg"),
                };
                var (withDp, without) = r.TryGetProperty("mtpDrafts", out var d) ? (d.GetProperty("dpAttention").GetInt32(), d.GetProperty("otherwise").GetInt32()) : (0, 0);
                DateOnly? notBefore = null;
                if (r.TryGetProperty("notBefore", out var nb))
                {
                    notBefore = Day(nb.GetString()) ?? throw new InputException($"{origin}: run {Text("key")}: notBefore '{nb}' is not a date written yyyy-MM-dd");
                }

                foreach (var sl in r.GetProperty("seqLens").EnumerateArray())
                {
                    var recipes = sl.GetProperty("recipes").EnumerateArray().Select(x => new Recipe(
                        x.GetProperty("spec").GetString() switch
                        {
                            "mtp" => true,
                            "none" => false,
                            var spec => throw new InputException($"{origin}: spec '{spec}' is neither mtp nor none"),
                        },
                        [.. x.GetProperty("conc").EnumerateArray().Select(c => c.GetInt32())],
                        SideOf(x, "prefill"),
                        SideOf(x, "decode"),
                        SideOf(x, "engine"),
                        x.TryGetProperty("config", out var cfg) && cfg.ValueKind == JsonValueKind.String ? cfg.GetString()! : "")
                    {
                        Drafts = x.TryGetProperty("mtpDrafts", out var drafts) ? drafts.GetInt32() : null,
                        DecodeMaxBatch = x.TryGetProperty("decodeMaxBatch", out var batch) ? batch.GetInt32() : null,
                        PrefillChunkTokens = x.TryGetProperty("prefillChunkTokens", out var chunk) ? chunk.GetInt32() : null,
                        PrefillMaxBatch = x.TryGetProperty("prefillMaxBatch", out var prompts) ? prompts.GetInt32() : null,
                    }).ToArray();
                    foreach (var x in recipes)
                    {
                        Check(x, disaggregated, origin, Text("key"));
                    }

                    runs.Add(new Run(disaggregated, Text("model"), Text("gpu"), Text("precision"), Text("framework"), Text("image"), withDp, without, sl.GetProperty("isl").GetInt32(), sl.GetProperty("osl").GetInt32(), recipes) { NotBefore = notBefore, Key = Text("key") });
                }
            }

            // A sweep that named a run the file does not hold would narrow nothing, silently.
            if (sweeps.SelectMany(d => d.Value.Select(k => (Day: d.Key, Key: k))).FirstOrDefault(x => !runs.Any(r => r.Key == x.Key)) is { Key: not null } unknown)
            {
                throw new InputException($"{origin}: sweep {unknown.Day:yyyy-MM-dd} names '{unknown.Key}', which is no run of the file");
            }

            return new RecipeFile(runs, sweeps);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{origin}: {e.Message}");
        }
    }

    private static void Check(Recipe r, bool disaggregated, string origin, string key)
    {
        var sides = disaggregated ? new[] { r.Prefill, r.Decode } : [r.Engine];
        if (sides.Any(s => s is null))
        {
            throw new InputException($"{origin}: run {key}: a {(disaggregated ? "disaggregated recipe needs prefill and decode" : "aggregated recipe needs an engine")}");
        }

        foreach (var s in sides)
        {
            if (s!.Workers < 1 || s.Tp < 1 || s.Ep is < 1 || s.Tp % (s.Ep ?? 1) != 0)
            {
                throw new InputException($"{origin}: run {key}: workers and tp must be at least 1 and ep must divide tp, got {s.Workers} workers, tp {s.Tp}, ep {s.Ep}");
            }
        }

        if (r.DecodeMaxBatch is < 1 || (r.DecodeMaxBatch is not null && !disaggregated))
        {
            throw new InputException($"{origin}: run {key}: decodeMaxBatch belongs to a disaggregated recipe and must be at least 1, got {r.DecodeMaxBatch}");
        }

        if (r.PrefillMaxBatch is < 1 || (r.PrefillMaxBatch is not null && !disaggregated))
        {
            throw new InputException($"{origin}: run {key}: prefillMaxBatch belongs to a disaggregated recipe and must be at least 1, got {r.PrefillMaxBatch}");
        }

        if (r.PrefillChunkTokens is < 1 or > 10_000_000 || (r.PrefillChunkTokens is not null && !disaggregated))
        {
            throw new InputException($"{origin}: run {key}: prefillChunkTokens belongs to a disaggregated recipe and must lie in [1, 10000000], got {r.PrefillChunkTokens}");
        }

        if (r.Drafts is < 1 or > ServingModel.MaxMtpDrafts)
        {
            throw new InputException($"{origin}: run {key}: a recipe's mtpDrafts must lie in [1, {ServingModel.MaxMtpDrafts}], got {r.Drafts}");
        }

        if (r.Concurrencies.Length == 0 || r.Concurrencies.Any(c => c < 1) || (!disaggregated && (r.Concurrencies.Length != 2 || r.Concurrencies[0] > r.Concurrencies[1])))
        {
            throw new InputException($"{origin}: run {key}: concurrencies must be positive ({(disaggregated ? "a list" : "the first and last of a range")}), got [{string.Join(", ", r.Concurrencies)}]");
        }
    }

    private static Side? SideOf(JsonElement recipe, string name)
    {
        if (!recipe.TryGetProperty(name, out var e))
        {
            return null;
        }

        int? ep = e.GetProperty("ep").ValueKind == JsonValueKind.Number ? e.GetProperty("ep").GetInt32() : null;
        bool? dp = e.GetProperty("dpAttention").ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetProperty("dpAttention").GetBoolean() : null;
        return new Side(e.TryGetProperty("workers", out var w) ? w.GetInt32() : 1, e.GetProperty("tp").GetInt32(), ep, dp);
    }

    /// <summary>
    /// The recipes a disaggregated row matches: same model, GPU, precision, framework, serving image (where the row names
    /// one) and ISL/OSL, measured no earlier than the run existed, run at the row's concurrency; failing that, at the
    /// row's concurrency over the recipe's decode workers (some runs report the whole deployment's concurrency where the
    /// recipe lists it per decode worker).
    /// Recipes that read alike count once. Empty when none matches.
    /// </summary>
    public static IReadOnlyList<Reading> Disaggregated(ServingMeasurement row, ModelSpec model, GpuSpec gpu, ServingFramework framework, int concurrency)
    {
        var matches = Matching(row, model, gpu, framework, disaggregated: true).ToList();
        var exact = matches.Where(m => m.Recipe.Concurrencies.Contains(concurrency)).ToList();
        return Readings(exact.Count > 0 ? exact : matches.Where(m => m.Recipe.Concurrencies.Any(c => c * m.Recipe.Decode!.Workers == concurrency)));
    }

    /// <summary>
    /// The recipes that ran a disaggregated row which states its deployment: same model, GPU, precision, framework,
    /// serving image (where the row names one) and ISL/OSL, measured no earlier than the run existed, the row's workers
    /// and engines, and the row's concurrency among the recipe's. They give what the row leaves out: the decode workers'
    /// batch cap, the prefill workers' cap and budget, and the MTP drafts. Recipes that read alike count once. Empty when
    /// none matches.
    /// </summary>
    public static IReadOnlyList<Reading> Stated(ServingMeasurement row, ModelSpec model, GpuSpec gpu, ServingFramework framework, int concurrency, DisaggregatedLayout stated)
    {
        ArgumentNullException.ThrowIfNull(stated);
        var uncapped = Uncapped(stated);
        return Readings(Matching(row, model, gpu, framework, disaggregated: true)
            .Where(m => m.Recipe.Concurrencies.Contains(concurrency) && Uncapped(LayoutOf(m.Recipe)) == uncapped));
    }

    // A disaggregated recipe's deployment: its workers and engines, with the batch caps its own files set.
    private static DisaggregatedLayout LayoutOf(Recipe r) =>
        new(EngineOf(r.Prefill!) with { MaxBatch = r.PrefillMaxBatch }, r.Prefill!.Workers, EngineOf(r.Decode!) with { MaxBatch = r.DecodeMaxBatch }, r.Decode!.Workers);

    private static DisaggregatedLayout Uncapped(DisaggregatedLayout l) => l with { Prefill = l.Prefill with { MaxBatch = null }, Decode = l.Decode with { MaxBatch = null } };

    // The matched recipes read as deployments, those that read alike once.
    private static List<Reading> Readings(IEnumerable<(Run Run, Recipe Recipe)> matches)
    {
        var readings = new List<Reading>();
        foreach (var (run, r) in matches)
        {
            var reading = new Reading(LayoutOf(r), Drafts(run, r, r.Decode!.DpAttention == true), r.Config, r.PrefillChunkTokens);
            if (!readings.Any(x => x.Layout == reading.Layout && x.MtpDrafts == reading.MtpDrafts && x.PrefillChunkTokens == reading.PrefillChunkTokens))
            {
                readings.Add(reading);
            }
        }

        return readings;
    }

    /// <summary>
    /// The MTP draft counts of the aggregated recipes a row matches: same model (or architecture), GPU, precision,
    /// framework, image (where the row names one) and ISL/OSL, measured no earlier than the run existed, and engine (TP,
    /// and EP and DP attention where the recipe states them), with the row's concurrency in the recipe's range. Each count
    /// once; empty when none matches.
    /// </summary>
    public static IReadOnlyList<int> AggregatedDrafts(ServingMeasurement row, ModelSpec model, GpuSpec gpu, ServingFramework framework, EngineLayout engine, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var dpAttention = engine.AttentionDp > 1;
        return [.. Matching(row, model, gpu, framework, disaggregated: false)
            .Where(m => m.Recipe.Engine is { } e && e.Tp == engine.Gpus && (e.Ep is null || e.Ep == engine.MoeEp) && (e.DpAttention ?? false) == dpAttention
                && concurrency >= m.Recipe.Concurrencies[0] && concurrency <= m.Recipe.Concurrencies[^1])
            .Select(m => Drafts(m.Run, m.Recipe, dpAttention))
            .Distinct()
            .Order()];
    }

    private static IEnumerable<(Run Run, Recipe Recipe)> Matching(ServingMeasurement row, ModelSpec model, GpuSpec gpu, ServingFramework framework, bool disaggregated)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(framework);
        var image = ImageOf(row["silicon_data_source"]);
        var measured = MeasuredOn(row["silicon_data_source"]);
        var file = Recipes.Value;
        var swept = measured is { } on && file.Sweeps.TryGetValue(on, out var keys) ? keys : null;

        // A day's sweep ran the runs it names and none of their siblings (same mode, GPU, precision and framework); runs
        // of other kinds are left to other changes merged that day.
        bool Skipped(Run run) => swept is not null && !swept.Contains(run.Key)
            && file.Runs.Any(r => swept.Contains(r.Key) && r.Disaggregated == run.Disaggregated && r.Gpu == run.Gpu && r.Precision == run.Precision && r.Framework == run.Framework);
        return file.Runs
            .Where(run => run.Disaggregated == disaggregated && SameArchitecture(run.Model, model) && string.Equals(run.Gpu, gpu.Name, StringComparison.OrdinalIgnoreCase)
                && run.Framework == framework.Name && run.Precision == row["precision"] && run.Isl == row.Whole("isl") && run.Osl == row.Whole("osl")
                && (image is null || Normal(run.Image) == image)
                && (run.NotBefore is null || measured is null || measured >= run.NotBefore)
                && !Skipped(run))
            .SelectMany(run => run.Recipes.Select(r => (run, r)));
    }

    // A run's model, or a release of the same architecture (the DeepSeek-R1 runs' rows that name DeepSeek-V3), in both
    // modes: the same runs, read by the same rule.
    private static bool SameArchitecture(string runModel, ModelSpec model) =>
        runModel == model.Name || (ModelCatalog.BuiltIn.FirstOrDefault(m => m.Name == runModel) is { } built && built.Transformer == model.Transformer);

    // TensorRT-LLM and SGLang alike: tp is the engine's GPUs; with DP attention attention runs data-parallel over them;
    // the experts spread ep ways and split the rest by tensor parallelism.
    private static EngineLayout EngineOf(Side s)
    {
        var ep = s.Ep ?? 1;
        return s.DpAttention == true ? new EngineLayout(1, s.Tp, s.Tp / ep, ep) : new EngineLayout(s.Tp, 1, s.Tp / ep, ep);
    }

    // An MTP recipe's drafts: what its own file sets, else the mtpN its configuration's name gives, else the run's
    // setting (its benchmark script's).
    private static int Drafts(Run run, Recipe r, bool dpAttention)
    {
        if (!r.Mtp)
        {
            return 0;
        }

        if (r.Drafts is { } own)
        {
            return own;
        }

        var m = MtpInName().Match(r.Config);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : dpAttention ? run.DraftsWithDp : run.DraftsWithout;
    }

    /// <summary>The serving image a row's source names (image=..., or the last field naming a registry image), as the recipes spell it.</summary>
    internal static string? ImageOf(string source)
    {
        var m = ImageInSource().Match(source);
        if (m.Success)
        {
            return Normal(m.Groups[1].Value);
        }

        var last = source.Split(';').Select(f => f.Trim()).LastOrDefault(f => f.Contains(':', StringComparison.Ordinal) && (f.StartsWith("nvcr.io", StringComparison.Ordinal) || f.StartsWith("lmsysorg/", StringComparison.Ordinal)));
        return last is null ? null : Normal(last);
    }

    /// <summary>The day a row's source says it was measured (measured=yyyy-MM-dd..., the rest of the time ignored), or null.</summary>
    internal static DateOnly? MeasuredOn(string source)
    {
        var m = MeasuredInSource().Match(source);
        return m.Success ? Day(m.Groups[1].Value) : null;
    }

    // A day as the recipes file and the rows write it (yyyy-MM-dd), or null.
    private static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    private static string Normal(string image) => image.Trim().Replace("nvcr.io#", "nvcr.io/", StringComparison.Ordinal);

    [GeneratedRegex(@"_mtp(\d+)")]
    private static partial Regex MtpInName();

    [GeneratedRegex(@"measured=(\d{4}-\d{2}-\d{2})")]
    private static partial Regex MeasuredInSource();

    [GeneratedRegex(@"image=([^;]+)")]
    private static partial Regex ImageInSource();
}

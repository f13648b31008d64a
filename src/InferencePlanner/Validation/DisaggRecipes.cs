using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>
/// The disaggregated deployments the InferenceMAX benchmark runs used, from their master configuration
/// (data/measurements/serving/disagg-recipes.json): for a row that states no worker counts, the recipes that ran at
/// its concurrency give the workers, their layouts and whether the decode side drafted tokens (MTP).
/// </summary>
public static partial class DisaggRecipes
{
    /// <summary>
    /// Draft tokens of an MTP recipe whose configuration names none (the SGLang ones): SGLang's documented DeepSeek
    /// setting, --speculative-num-steps 3 with --speculative-eagle-topk 1 (docs: DeepSeek usage, multi-token prediction).
    /// </summary>
    public const int UnnamedMtpDrafts = 3;

    /// <summary>One recipe read as a deployment.</summary>
    /// <param name="Layout">Prefill and decode workers and their engines.</param>
    /// <param name="MtpDrafts">Draft tokens per decode step (0: none).</param>
    /// <param name="Config">The recipe's configuration file, as the source names it.</param>
    public sealed record Reading(DisaggregatedLayout Layout, int MtpDrafts, string Config);

    private sealed record Side(int Workers, int Tp, int Ep, bool DpAttention);

    private sealed record Recipe(string Spec, int[] Concurrencies, Side Prefill, Side Decode, string Config);

    private sealed record Run(string Model, string Gpu, string Precision, string Framework, string Image, int Isl, int Osl, Recipe[] Recipes);

    private static readonly Lazy<IReadOnlyList<Run>> Runs = new(() =>
        [.. EmbeddedData.Under("serving-disagg/").SelectMany(f => Parse(f.Text, "built-in " + f.Name))]);

    private static List<Run> Parse(string json, string origin)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var runs = new List<Run>();
            foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                string Text(string name) => r.GetProperty(name).GetString() ?? throw new InputException($"{origin}: '{name}' is null");
                foreach (var sl in r.GetProperty("seqLens").EnumerateArray())
                {
                    var recipes = sl.GetProperty("recipes").EnumerateArray().Select(x => new Recipe(
                        x.GetProperty("spec").GetString()!,
                        [.. x.GetProperty("conc").EnumerateArray().Select(c => c.GetInt32())],
                        SideOf(x.GetProperty("prefill")),
                        SideOf(x.GetProperty("decode")),
                        x.TryGetProperty("config", out var cfg) && cfg.ValueKind == JsonValueKind.String ? cfg.GetString()! : "")).ToArray();
                    runs.Add(new Run(Text("model"), Text("gpu"), Text("precision"), Text("framework"), Text("image"), sl.GetProperty("isl").GetInt32(), sl.GetProperty("osl").GetInt32(), recipes));
                }
            }

            return runs;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{origin}: {e.Message}");
        }
    }

    private static Side SideOf(JsonElement e) =>
        new(e.GetProperty("workers").GetInt32(), e.GetProperty("tp").GetInt32(), e.GetProperty("ep").GetInt32(), e.GetProperty("dpAttention").GetBoolean());

    /// <summary>
    /// The recipes a disaggregated row matches: same model, GPU, precision, framework, serving image (where the row names
    /// one), ISL/OSL, and a concurrency the recipe ran at. Recipes that read alike count once. Empty when none matches.
    /// </summary>
    public static IReadOnlyList<Reading> For(ServingMeasurement row, ModelSpec model, GpuSpec gpu, ServingFramework framework, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(framework);
        var image = ImageOf(row["silicon_data_source"]);
        var readings = new List<Reading>();
        foreach (var run in Runs.Value)
        {
            if (run.Model != model.Name || !string.Equals(run.Gpu, gpu.Name, StringComparison.OrdinalIgnoreCase) || run.Framework != framework.Name
                || run.Precision != row["precision"] || run.Isl != row.Whole("isl") || run.Osl != row.Whole("osl")
                || (image is not null && run.Image != image))
            {
                continue;
            }

            foreach (var r in run.Recipes.Where(r => r.Concurrencies.Contains(concurrency)))
            {
                var reading = new Reading(new DisaggregatedLayout(EngineOf(r.Prefill), r.Prefill.Workers, EngineOf(r.Decode), r.Decode.Workers), DraftsOf(r), r.Config);
                if (!readings.Any(x => x.Layout == reading.Layout && x.MtpDrafts == reading.MtpDrafts))
                {
                    readings.Add(reading);
                }
            }
        }

        return readings;
    }

    // TensorRT-LLM and SGLang alike: tp is the engine's GPUs; with DP attention attention runs data-parallel over them;
    // the experts spread ep ways and split the rest by tensor parallelism.
    private static EngineLayout EngineOf(Side s) =>
        s.DpAttention ? new EngineLayout(1, s.Tp, s.Tp / s.Ep, s.Ep) : new EngineLayout(s.Tp, 1, s.Tp / s.Ep, s.Ep);

    private static int DraftsOf(Recipe r)
    {
        if (r.Spec != "mtp")
        {
            return 0;
        }

        var m = MtpInName().Match(r.Config);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : UnnamedMtpDrafts;
    }

    /// <summary>The serving image a row's source names (image=...), with the registry spelt as in the recipes.</summary>
    internal static string? ImageOf(string source)
    {
        var m = ImageInSource().Match(source);
        return m.Success ? m.Groups[1].Value.Trim().Replace("nvcr.io#", "nvcr.io/", StringComparison.Ordinal) : null;
    }

    [GeneratedRegex(@"_mtp(\d+)")]
    private static partial Regex MtpInName();

    [GeneratedRegex(@"image=([^;]+)")]
    private static partial Regex ImageInSource();
}

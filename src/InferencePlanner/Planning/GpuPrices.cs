using System.Globalization;
using InferencePlanner.Json;

namespace InferencePlanner.Planning;

/// <summary>A GPU-hour price with where it comes from.</summary>
/// <param name="Gpu">GPU name as the catalogue spells it.</param>
/// <param name="UsdPerGpuHour">USD per GPU-hour.</param>
/// <param name="Source">Where the figure comes from (the command line, or a provider's published list price).</param>
public sealed record GpuPrice(string Gpu, double UsdPerGpuHour, string Source);

/// <summary>The built-in GPU-hour prices (data/prices/gpu-hour.json, each with its source) and their overrides.</summary>
public static class GpuPrices
{
    private static readonly Lazy<IReadOnlyList<GpuPrice>> BuiltInList = new(() =>
    {
        var (name, text) = EmbeddedData.Under("prices/").Single();
        var root = JsonFields.Parse(text, "built-in " + name);
        root.RejectUnknown(["description", "prices", "withoutPrice"], "price file");
        return [.. root.ObjectArray("prices").Select(p =>
        {
            p.RejectUnknown(["gpu", "usdPerGpuHour", "source", "spread"], "price");
            return new GpuPrice(p.Text("gpu"), p.Within("usdPerGpuHour", 0.01, 1000), p.Text("source"));
        })];
    });

    /// <summary>The built-in prices.</summary>
    public static IReadOnlyList<GpuPrice> BuiltIn => BuiltInList.Value;

    /// <summary>
    /// The prices for <paramref name="gpus"/>: the built-in ones, replaced by <paramref name="overrides"/> given as
    /// GPU=USD_PER_HOUR. An override for a GPU not among <paramref name="gpus"/>, or that is not a positive price, is an
    /// input error.
    /// </summary>
    public static IReadOnlyDictionary<string, GpuPrice> For(IReadOnlyCollection<string> gpus, IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(overrides);
        var prices = new Dictionary<string, GpuPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in BuiltIn.Where(p => gpus.Contains(p.Gpu, StringComparer.OrdinalIgnoreCase)))
        {
            prices[p.Gpu] = p;
        }

        foreach (var o in overrides)
        {
            var eq = o.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InputException($"--price takes GPU=USD_PER_HOUR, got '{o}'");
            }

            var gpu = o[..eq].Trim();
            var name = gpus.FirstOrDefault(g => string.Equals(g, gpu, StringComparison.OrdinalIgnoreCase))
                ?? throw new InputException($"--price {o}: '{gpu}' is not a GPU of this plan ({string.Join(", ", gpus)})");
            if (!double.TryParse(o[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var usd) || !(usd > 0) || !(usd < 1e6))
            {
                throw new InputException($"--price {o}: the price must be a positive number of USD per GPU-hour");
            }

            prices[name] = new GpuPrice(name, usd, "--price");
        }

        return prices;
    }
}

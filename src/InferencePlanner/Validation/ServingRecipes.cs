using System.Text.Json;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Validation;

/// <summary>
/// The server settings benchmark runs used that change when a first token reaches the client (the scheduler's
/// receive interval, a batching wait, TensorRT-LLM's attention-DP balance), from data/measurements/serving/recipes.json.
/// </summary>
public static class ServingRecipes
{
    private sealed record Rule(string Backend, string? Model, string? Gpu, string? Precision, int? Isl, int? Osl, int? MaxTp, int? Recv, int? RecvBelow16, int? BatchWait, bool? AttentionDp, int? BalanceTimeout);

    private static readonly string[] Keys = ["backend", "model", "gpu", "precision", "isl", "osl", "maxTp", "recvInterval", "recvIntervalBelow16", "batchWaitIters", "attentionDp", "balanceTimeoutIters", "source"];

    private static readonly Lazy<IReadOnlyList<Rule>> Rules = new(() =>
        [.. EmbeddedData.Under("serving-recipes/").SelectMany(f => Parse(f.Text, "built-in " + f.Name))]);

    private static List<Rule> Parse(string json, string origin)
    {
        using var doc = JsonDocument.Parse(json);
        var rules = new List<Rule>();
        foreach (var r in doc.RootElement.GetProperty("rules").EnumerateArray())
        {
            foreach (var p in r.EnumerateObject())
            {
                if (!Keys.Contains(p.Name))
                {
                    throw new InputException($"{origin}: unknown field '{p.Name}' in a rule (known: {string.Join(", ", Keys)})");
                }
            }

            int? Int(string name) => r.TryGetProperty(name, out var v) ? v.GetInt32() : null;
            string? Text(string name) => r.TryGetProperty(name, out var v) ? v.GetString() : null;
            rules.Add(new Rule(Text("backend")!, Text("model"), Text("gpu"), Text("precision"), Int("isl"), Int("osl"), Int("maxTp"), Int("recvInterval"), Int("recvIntervalBelow16"), Int("batchWaitIters"), r.TryGetProperty("attentionDp", out var adp) ? adp.GetBoolean() : null, Int("balanceTimeoutIters")));
        }

        return rules;
    }

    /// <summary>The workload with the settings of every rule the row matches, later rules refining earlier ones.</summary>
    public static ServingWorkload Apply(ServingWorkload w, ServingMeasurement row, ModelSpec model, string gpuName, ServingFramework framework, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(framework);
        var tp = row.Whole("tp_size") ?? row.Whole("decode_tp_size") ?? 1;
        foreach (var r in Rules.Value)
        {
            if (r.Backend != framework.Name
                || (r.Model is { } m && !model.Name.StartsWith(m, StringComparison.Ordinal))
                || (r.Gpu is { } g && !string.Equals(g, gpuName, StringComparison.OrdinalIgnoreCase))
                || (r.Precision is { } p && row["precision"] != p)
                || (r.Isl is { } isl && row.Whole("isl") != isl)
                || (r.Osl is { } osl && row.Whole("osl") != osl)
                || (r.MaxTp is { } maxTp && tp > maxTp)
                || (r.AttentionDp is { } withDp && withDp != (row.Whole("attention_dp_size") is > 1)))
            {
                continue;
            }

            w = w with
            {
                RecvInterval = (concurrency < 16 ? r.RecvBelow16 : null) ?? r.Recv ?? w.RecvInterval,
                BatchWaitSteps = r.BatchWait ?? w.BatchWaitSteps,
                BalanceTimeoutSteps = r.BalanceTimeout ?? w.BalanceTimeoutSteps,
            };
        }

        return w;
    }
}

using System.Globalization;
using InferencePlanner.Planning;
using InferencePlanner.Serving;
using InferencePlanner.Units;

namespace InferencePlanner.Reporting;

/// <summary>The cost of a deployment per million tokens, from a GPU-hour price.</summary>
/// <param name="UsdPerGpuHour">The price used.</param>
/// <param name="UsdPerHour">The whole deployment (every replica) per hour.</param>
/// <param name="UsdPerMillionInput">Per million input tokens: the GPU time spent on prompts over the input tokens.</param>
/// <param name="UsdPerMillionOutput">Per million output tokens: the rest of the GPU time over the output tokens.</param>
public readonly record struct PlanCost(double UsdPerGpuHour, double UsdPerHour, double UsdPerMillionInput, double UsdPerMillionOutput)
{
    /// <summary>
    /// The cost of <paramref name="replicas"/> replicas of <paramref name="p"/>: its decode (or only) GPUs at
    /// <paramref name="usdPerGpuHour"/>, its prefill GPUs at <paramref name="prefillUsdPerGpuHour"/> (the same unless the
    /// prefill workers run on another GPU type). GPU time goes to input tokens by the share spent on prompts: the prefill
    /// workers' GPUs, or in aggregated serving the prefill chunks' share of each step (<see cref="PlanPoint.PrefillShare"/>).
    /// </summary>
    public static PlanCost Of(PlanPoint p, int replicas, double usdPerGpuHour, double prefillUsdPerGpuHour, int isl, int osl)
    {
        ArgumentNullException.ThrowIfNull(p);
        var requestsPerHour = p.Result.RequestsPerSecond * 3600;
        double input, output;
        if (p.Mode == ServingMode.Aggregated)
        {
            var share = Math.Clamp(p.PrefillShare, 0, 1);
            input = usdPerGpuHour * p.Gpus * share;
            output = usdPerGpuHour * p.Gpus * (1 - share);
        }
        else
        {
            input = prefillUsdPerGpuHour * p.PrefillGpus;
            output = usdPerGpuHour * (p.Gpus - p.PrefillGpus);
        }

        return new PlanCost(usdPerGpuHour, (input + output) * replicas, input / (requestsPerHour * isl) * 1e6, output / (requestsPerHour * osl) * 1e6);
    }
}

/// <summary>The document of the plan command.</summary>
public static class PlanReport
{
    /// <summary>The frontier, the choice and its runner-up, the cost, the GPUs a load takes and the launch commands.</summary>
    public static Document Plan(PlanResult result, IReadOnlyDictionary<string, GpuPrice> prices)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(prices);
        var r = result.Request;
        var t = r.Model.Transformer;
        var p = r.Precisions;
        var inputs = new List<KeyValuePair<string, string>>
        {
            new("model", r.Model.Name),
            new("GPUs", r.Heterogeneous ? $"prefill {r.PrefillGpu!.Name}, decode {r.DecodeGpu!.Name}" : string.Join(", ", r.Gpus.Select(g => g.Name))),
            new("framework", r.Framework.DisplayName),
            new("modes", string.Join(", ", r.Modes.Select(m => m.Word()))),
            new("workload", $"ISL {r.Isl}, OSL {r.Osl}, cache hit {r.CacheHit:0.###}"),
            new("targets", r.Targets.Describe() + (r.TargetsOnBand ? ", judged at the high end of each prediction's held-out band" : "")),
            new("budget", r.GpuBudget is { } b ? $"{b} GPUs" : "none"),
            new("load", r.Load is { } l ? l.RequestsPerSecond is { } rps ? $"{rps:0.###} requests/s" : $"{l.OutputTokensPerSecond:0.#} output tokens/s" : "none (one replica)"),
            new("precisions", $"weights {p.Weights.Name()}, experts {p.ExpertWeights.Name()}, KV cache {string.Join(" or ", (r.KvCaches ?? [p.KvCache]).Select(k => k.Name()))}"),
            new("chunk budgets", string.Join(", ", r.ChunkScales.Select(c => $"{c:0.##}x")) + $" {r.Framework.DisplayName}'s default"),
            new("searched", $"{result.Evaluated.ToString(CultureInfo.InvariantCulture)} deployments (layouts x worker ratios x concurrencies); layouts refused, their weights leaving no room for one request's KV cache: "
                + string.Join(", ", result.RefusedLayouts.Select(kv => $"{kv.Key} {kv.Value}"))),
        };

        ErrorBand? Band(PlanPoint p) => ErrorBand.For(r.Framework.Name, p.Mode, p.DecodeEngine.AttentionTp);
        var chosen = new List<(string Role, PlanPoint Point, int Replicas, ErrorBand? Band)> { ("chosen", result.Best, result.Replicas, Band(result.Best)) };
        if (result.RunnerUp is { } runner)
        {
            chosen.Add(($"runner-up ({runner.ModeText})", runner, result.RunnerUpReplicas, Band(runner)));
        }

        var choice = new Table("choice", "The chosen deployment and the best of the other mode",
            ["role", "GPU", "mode", "layout", "chunk (tokens)", "KV cache", "MTP drafts", "two-batch overlap", "GPUs per replica", "concurrency", "TTFT (ms)", "TPOT (ms)", "TTFT band, low / high (ms)", "TPOT band, low / high (ms)", "tokens/s per user", "output tokens/s per GPU", "requests/s per replica",
                "replicas", "GPUs in all", "balanced P:D", "limited by"],
            [.. chosen.Select(c => (IReadOnlyList<Cell>)
            [
                c.Role, c.Point.GpuText, c.Point.ModeText, c.Point.Describe(t), Cell.Of(c.Point.ChunkTokens, 0), c.Point.KvCache.Name(), Cell.Of(c.Point.MtpDrafts, 0), c.Point.TwoBatchOverlap ? "yes" : "no", Cell.Of(c.Point.Gpus, 0), Cell.Of(c.Point.Concurrency, 0),
                Cell.Of(c.Point.Result.Ttft.Total, 1), Cell.Of(c.Point.Result.Tpot.Total, 2),
                c.Band is { } bt ? Cell.Many(1, bt.Ttft(c.Point.Result.Ttft.Total).Low, bt.Ttft(c.Point.Result.Ttft.Total).High) : "-",
                c.Band is { } bp ? Cell.Many(2, bp.Tpot(c.Point.Result.Tpot.Total).Low, bp.Tpot(c.Point.Result.Tpot.Total).High) : "-",
                Cell.Of(c.Point.Result.TokensPerSecondPerUser, 1),
                Cell.Of(c.Point.Result.OutputTokensPerSecondPerGpu, 1), Cell.Of(c.Point.Result.RequestsPerSecond, 3), Cell.Of(c.Replicas, 0), Cell.Of((double)c.Replicas * c.Point.Gpus, 0),
                c.Point.Mode == ServingMode.Disaggregated ? Cell.Of(c.Point.Result.BalancedPrefillPerDecode, 2) : "-",
                ServingReport.LimitText(c.Point.Result.Limit),
            ])],
            [
                (r.Load is null
                    ? "Chosen: the most output tokens/s per GPU among the deployments that meet the targets within the budget."
                    : "Chosen: the fewest GPUs that carry the load (replicas of one deployment) while meeting the targets within the budget; ties go to the most output tokens/s per GPU.")
                    + (r.TargetsOnBand ? " The targets judge each deployment's band's high end (its predicted TTFT and TPOT times the high ratios below), not the prediction." : ""),
                "Balanced P:D: prefill workers per decode worker at which both sides would run at their limits (disaggregated).",
                .. chosen.Select(c => ServingReport.BandNote(c.Band, r.Framework, c.Point.Mode)).Distinct(),
            ]);

        var costRows = new List<IReadOnlyList<Cell>>();
        foreach (var c in chosen)
        {
            var prefillGpu = c.Point.PrefillGpu ?? c.Point.Gpu;
            if (prices.TryGetValue(c.Point.Gpu.Name, out var price) && prices.TryGetValue(prefillGpu.Name, out var prefillPrice))
            {
                var priced = PlanCost.Of(c.Point, c.Replicas, price.UsdPerGpuHour, prefillPrice.UsdPerGpuHour, r.Isl, r.Osl);
                costRows.Add([c.Role, c.Point.GpuText, price == prefillPrice ? Cell.Of(price.UsdPerGpuHour, 2) : Cell.Many(2, prefillPrice.UsdPerGpuHour, price.UsdPerGpuHour),
                    Cell.Of(priced.UsdPerHour, 2), Cell.Of(priced.UsdPerMillionInput, 3), Cell.Of(priced.UsdPerMillionOutput, 3),
                    price == prefillPrice ? price.Source : $"prefill: {prefillPrice.Source}; decode: {price.Source}"]);
            }
            else
            {
                var missing = prices.ContainsKey(c.Point.Gpu.Name) ? prefillGpu.Name : c.Point.Gpu.Name;
                costRows.Add([c.Role, c.Point.GpuText, "-", "-", "-", "-", "no price: give one with --price " + missing + "=USD_PER_HOUR"]);
            }
        }

        var cost = new Table("cost", "What it costs", ["role", "GPU", "USD per GPU-hour", "USD per hour in all", "USD per million input tokens", "USD per million output tokens", "price source"], costRows,
            ["GPU time is split between input and output tokens by the share spent on prompts: the prefill chunks' share of each step (aggregated) or the prefill workers' share of the GPUs (disaggregated)."]);

        var frontier = new Table("frontier", "Frontier: output tokens/s per GPU against tokens/s per user, per GPU and mode",
            ["GPU", "mode", "layout", "chunk (tokens)", "KV cache", "MTP drafts", "two-batch overlap", "GPUs", "concurrency", "tokens/s per user", "output tokens/s per GPU", "TTFT (ms)", "TPOT (ms)", "meets the targets"],
            [.. result.Frontier.Select(f => (IReadOnlyList<Cell>)
            [
                f.GpuText, f.ModeText, f.Describe(t), Cell.Of(f.ChunkTokens, 0), f.KvCache.Name(), Cell.Of(f.MtpDrafts, 0), f.TwoBatchOverlap ? "yes" : "no", Cell.Of(f.Gpus, 0), Cell.Of(f.Concurrency, 0), Cell.Of(f.Result.TokensPerSecondPerUser, 1),
                Cell.Of(f.Result.OutputTokensPerSecondPerGpu, 1), Cell.Of(f.Result.Ttft.Total, 1), Cell.Of(f.Result.Tpot.Total, 2), r.Targets.Met(f.Result) ? "yes" : "no",
            ])],
            ["Each point is a steady state of the serving level; no other deployment of the same GPU and mode has both more tokens/s per user and more output tokens/s per GPU."]);

        var chunk = result.Best.ChunkTokens;
        var commands = new Table("commands", $"Launch commands of the chosen deployment ({result.Best.ModeText}, {result.Best.Describe(t)} on {result.Best.GpuText})",
            ["framework", "role", "instances", "command", "note"],
            [.. LaunchCommands.For(result.Best, r, chunk).Select(c => (IReadOnlyList<Cell>)
                [c.Framework, c.Role, Cell.Of(c.Instances, 0), c.Line.Length > 0 ? c.Line : "-", c.Note.Length > 0 ? c.Note : "-"])],
            [
                $"The concurrency sets the running-request caps; the chunk budget ({chunk} tokens per step and data-parallel group) and the KV-cache format are the plan's.",
                "Flags as SGLang's server arguments, vLLM's engine arguments and trtllm-serve document them; check them against the release you deploy.",
                .. result.Best.TwoBatchOverlap ? [OverlapNote()] : Array.Empty<string>(),
            ]);

        var best = result.Best.Result;
        var breakdown = new Table("breakdown", "The chosen deployment's time to first token and time per output token by part (ms)", ["part", "ms"],
        [
            .. best.Ttft.Labelled.Select(p => (IReadOnlyList<Cell>)["TTFT: " + p.Part, Cell.Of(p.Ms, 3)]),
            .. best.Tpot.Labelled.Select(p => (IReadOnlyList<Cell>)["TPOT: " + p.Part, Cell.Of(p.Ms, 3)]),
        ]);

        return new Document($"Plan for {r.Model.Name}", inputs, [choice, breakdown, cost, frontier, commands]);
    }

    // Which frameworks' files name a flag for two overlapped micro-batches, and which name none.
    private static string OverlapNote()
    {
        var all = FrameworkCatalog.BuiltIn;
        var with = all.Where(f => f.TwoBatchOverlapFlag is not null)
            .Select(f => $"{f.DisplayName}'s {f.TwoBatchOverlapFlag}{(f.TwoBatchOverlapNeedsAttentionDp ? " (with data-parallel attention)" : "")}");
        var without = all.Where(f => f.TwoBatchOverlapFlag is null).Select(f => f.DisplayName).ToList();
        return $"Two-batch overlap is set by {string.Join(" and ", with)}"
            + (without.Count > 0 ? $"; {string.Join(" and ", without)} document{(without.Count == 1 ? "s" : "")} no flag for it, and {(without.Count == 1 ? "its line leaves" : "their lines leave")} it out." : ".");
    }
}

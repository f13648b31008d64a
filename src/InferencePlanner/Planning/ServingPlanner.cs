using System.Collections.Concurrent;
using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Serving;

namespace InferencePlanner.Planning;

/// <summary>What the planner found: every frontier point, the choice under the targets and its runner-up in the other mode.</summary>
/// <param name="Request">The question.</param>
/// <param name="Evaluated">Deployments evaluated (layouts x worker counts x concurrencies).</param>
/// <param name="Frontier">For each GPU type and mode, the deployments no other beats on both tokens/s per user and output tokens/s per GPU.</param>
/// <param name="Best">The chosen deployment: targets met, within the budget, the most output tokens/s per GPU (with a load: the fewest GPUs).</param>
/// <param name="RunnerUp">The best deployment of the other mode under the same rules; null when that mode has none.</param>
/// <param name="Replicas">With a load: replicas of the chosen deployment it takes (1 without a load).</param>
public sealed record PlanResult(PlanRequest Request, long Evaluated, IReadOnlyList<PlanPoint> Frontier, PlanPoint Best, PlanPoint? RunnerUp, int Replicas)
{
    /// <summary>With a load: replicas of the runner-up it takes.</summary>
    public int RunnerUpReplicas { get; init; } = 1;

    /// <summary>Layouts refused because their weights do not fit, by GPU name: the count.</summary>
    public IReadOnlyDictionary<string, int> RefusedLayouts { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// The planner: for each GPU type, every engine layout up to the largest engine (attention TP x DP, MoE TP x EP), each
/// under a sweep of concurrencies, aggregated and disaggregated (decode layouts with the prefill layouts that carry the
/// most prompt tokens per GPU, at several worker ratios); then the frontier, the choice under the targets and what it
/// costs. Each evaluation is the serving level's steady state (<see cref="ServingModel"/>).
/// </summary>
public static class ServingPlanner
{
    /// <summary>Prefill workers per decode worker searched in disaggregated serving (x, y of xPyD).</summary>
    public static IReadOnlyList<(int Prefill, int Decode)> WorkerRatios { get; } = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 6), (2, 1), (3, 1), (4, 1), (2, 3), (3, 2)];

    /// <summary>
    /// Redundant expert copies searched per expert-parallel rank (EPLB): none, one or two more slots on every GPU, as
    /// DeepSeek's deployments add 32 to 256 experts over 32 ranks (one more each) and 32 over 144 decode ranks.
    /// </summary>
    public static IReadOnlyList<int> RedundantExpertsPerRank { get; } = [0, 1, 2];

    /// <summary>Prefill layouts tried with each decode layout: those with the most prompt tokens per GPU.</summary>
    public const int PrefillCandidates = 2;

    /// <summary>
    /// Plans the request; <paramref name="progress"/> hears the share done, from 0 to 1 (it may throw
    /// <see cref="OperationCanceledException"/> to stop the search).
    /// </summary>
    public static PlanResult Plan(PlanRequest request, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var collectors = new ConcurrentBag<PlanCollector>();
        var refused = new Dictionary<string, int>();
        var smallestFit = new Dictionary<string, int>();
        var kvs = request.KvCaches ?? [request.Precisions.KvCache];
        int[] mtps = request.MtpDrafts > 0 ? [0, request.MtpDrafts] : [0];
        bool[] tbos = request.SearchesTwoBatchOverlap ? [false, true] : [false];
        var passes = kvs.Count * mtps.Length * tbos.Length * (request.Heterogeneous ? 1 : request.Gpus.Count);
        var pass = 0;

        // Two-batch overlap changes decode steps only: the passes with and without it share their engines, and with them
        // the step caches (which keep a decode step's price both ways).
        var preparedMemo = new Dictionary<(Units.Precision, int, string, bool), List<PreparedEngine>>();
        List<PreparedEngine> Prepared(ServingModel model, Units.Precision kv, int mtp, IReadOnlyList<double> scales, bool prefillSide)
        {
            var key = (kv, mtp, model.Gpu.Name, prefillSide);
            if (!preparedMemo.TryGetValue(key, out var list))
            {
                list = PrepareAll(model, request, scales, refused, smallestFit);
                preparedMemo[key] = list;
            }

            return list;
        }

        if (request.GpuBudget is { } budget)
        {
            // A budget too small for the weights on every GPU is refused before the search, not after it. The engines
            // without MTP's extra layer are the smallest, in each KV-cache format searched: they are prepared here (the
            // search reuses them) and name the smallest engine that fits.
            IEnumerable<(GpuSpec Gpu, bool PrefillSide)> sides = request.Heterogeneous
                ? [(request.PrefillGpu!, true), (request.DecodeGpu!, false)]
                : request.Gpus.Select(g => (g, true));
            foreach (var kv in kvs)
            {
                foreach (var (gpu, prefillSide) in sides)
                {
                    Prepared(new ServingModel(request.Model, gpu, request.Framework, request.Precisions with { KvCache = kv }, mtps[0], tbos[0]), kv, mtps[0], prefillSide ? request.ChunkScales : [1], prefillSide);
                }
            }

            if (smallestFit.Count > 0 && smallestFit.Values.Min() > budget)
            {
                var (name, least) = smallestFit.MinBy(kv => kv.Value);
                throw new InputException(
                    $"a budget of {budget} GPU(s) cannot hold {request.Model.Name}'s weights: the smallest layout that holds them takes {least} x {name}");
            }
        }

        foreach (var (kv, mtp, tbo) in kvs.SelectMany(k => mtps.SelectMany(d => tbos.Select(o => (k, d, o)))))
        {
            var precisions = request.Precisions with { KvCache = kv };
            if (request.Heterogeneous)
            {
                // Prefill workers on one GPU type, decode workers on another.
                var pm = new ServingModel(request.Model, request.PrefillGpu!, request.Framework, precisions, mtp, tbo);
                var dm = new ServingModel(request.Model, request.DecodeGpu!, request.Framework, precisions, mtp, tbo);
                var prefillSide = Prepared(pm, kv, mtp, request.ChunkScales, prefillSide: true);
                var decodeSide = Prepared(dm, kv, mtp, [1], prefillSide: false);
                if (prefillSide.Count > 0 && decodeSide.Count > 0)
                {
                    var prefills = PrefillLayouts(pm, prefillSide, request);
                    var done = 0;
                    var order = Order(pass, ServingMode.Disaggregated);
                    InParallel(decodeSide.Select((d, i) => (d, i)), request, collectors, (d, sink) =>
                    {
                        SweepDisaggregated(dm, pm, prefills, d.d, request, kv, sink, order + ((long)d.i << 16));
                        progress?.Invoke((pass + Interlocked.Increment(ref done) / (double)decodeSide.Count) / passes);
                    });
                }

                pass++;
                continue;
            }

            foreach (var gpu in request.Gpus)
            {
                var m = new ServingModel(request.Model, gpu, request.Framework, precisions, mtp, tbo);
                var prepared = Prepared(m, kv, mtp, request.ChunkScales, prefillSide: true);
                var done = 0;
                var total = prepared.Count * request.Modes.Count;
                var at = pass;
                void Step()
                {
                    var d = Interlocked.Increment(ref done);
                    progress?.Invoke((at + d / (double)Math.Max(1, total)) / passes);
                }

                if (request.Modes.Contains(ServingMode.Aggregated))
                {
                    var order = Order(pass, ServingMode.Aggregated);
                    InParallel(prepared.Select((e, i) => (e, i)), request, collectors, (e, sink) =>
                    {
                        SweepAggregated(m, e.e, request, kv, sink, order + ((long)e.i << 16));
                        Step();
                    });
                }

                if (request.Modes.Contains(ServingMode.Disaggregated) && prepared.Count > 0)
                {
                    // Decode workers take no prompts: they run at the framework's default budget; the prefill workers at each.
                    var decodeSide = prepared.Where(e => e.Budget == m.DefaultBudget).ToList();
                    var prefills = PrefillLayouts(m, prepared, request);
                    var order = Order(pass, ServingMode.Disaggregated);
                    InParallel(decodeSide.Select((d, i) => (d, i)), request, collectors, (d, sink) =>
                    {
                        SweepDisaggregated(m, m, prefills, d.d, request, kv, sink, order + ((long)d.i << 16));
                        Step();
                    });
                }

                pass++;
            }
        }

        var all = new PlanCollector(request);
        foreach (var c in collectors)
        {
            all.Merge(c);
        }

        if (all.Evaluated == 0)
        {
            throw new InputException(NothingFits(request, refused));
        }

        var frontier = Frontier(all.FrontierPoints);
        var (best, replicas) = all.Best(mode: null) ?? throw new InputException(Closest(all.Closest, request));
        var other = best.Mode == ServingMode.Aggregated ? ServingMode.Disaggregated : ServingMode.Aggregated;
        var runner = all.Best(other);
        // The search priced steps from grids; the deployments it names are priced afresh, as serve prices them.
        return new PlanResult(request, all.Evaluated, frontier, Exact(best, request), runner is { } r ? Exact(r.Point, request) : null, replicas)
        {
            RunnerUpReplicas = runner?.Replicas ?? 1,
            RefusedLayouts = refused,
        };
    }

    // Every engine layout of the model's GPU whose weights fit, with its step grids for this workload; the refused
    // layouts counted, and the smallest engine that fits noted, by GPU name.
    private static List<PreparedEngine> PrepareAll(ServingModel m, PlanRequest request, IReadOnlyList<double> chunkScales, Dictionary<string, int> refused, Dictionary<string, int> smallestFit)
    {
        var gpu = m.Gpu;
        var prepared = new List<PreparedEngine>();
        var refusals = 0;
        foreach (var engine in Engines(request.Model.Transformer, gpu, request.MaxEngineGpus ?? DefaultMaxEngineGpus(gpu)))
        {
            // Each engine is evaluated at many concurrencies (and, as a decode side, with many prefill sides): its step
            // prices are kept on grids for this workload. A step's price depends on its shape, not on the budget that
            // shaped it, so the engine's budgets share one cache.
            var cache = new StepCache(request.Isl, request.Osl, request.CacheHit);
            // The framework's own budget first, so that of two deployments with equal figures the plan names the default.
            foreach (var budget in chunkScales.OrderBy(c => Math.Abs(Math.Log(c))).Select(c => Math.Max(1, (int)Math.Round(c * m.DefaultBudget))).Distinct())
            {
                try
                {
                    // An engine refused: weights that leave no room for KV cache, or room for less than one request.
                    var e = m.Prepare(engine, budget) with { Cache = cache };
                    if (m.HoldsOneRequest(e, new ServingWorkload(request.Isl, request.Osl, 1, request.CacheHit)))
                    {
                        prepared.Add(e);
                    }
                    else
                    {
                        refusals++;
                    }
                }
                catch (InputException)
                {
                    refusals++;
                }
            }
        }

        refused[gpu.Name] = refusals;
        if (prepared.Count > 0)
        {
            // The smallest over every pass: MTP's extra layer and another KV-cache format need engines of their own size.
            var least = prepared.Min(e => e.Gpus);
            smallestFit[gpu.Name] = smallestFit.TryGetValue(gpu.Name, out var before) ? Math.Min(before, least) : least;
        }

        return prepared;
    }

    // A point priced without the step grids: what serve gives for the same deployment.
    private static PlanPoint Exact(PlanPoint p, PlanRequest r)
    {
        var precisions = r.Precisions with { KvCache = p.KvCache };
        var m = new ServingModel(r.Model, p.Gpu, r.Framework, precisions, p.MtpDrafts, p.TwoBatchOverlap);
        var w = new ServingWorkload(r.Isl, r.Osl, p.Concurrency, r.CacheHit);
        if (p.Mode == ServingMode.Aggregated)
        {
            return p with { Result = m.Aggregated(w, p.Engine!, p.ChunkTokens) };
        }

        var d = p.Disaggregated!;
        var pm = p.PrefillGpu is { } g ? new ServingModel(r.Model, g, r.Framework, precisions, p.MtpDrafts, p.TwoBatchOverlap) : m;
        return p with { Result = m.Disaggregated(pm, pm.Prepare(d.Prefill, p.ChunkTokens, "prefill"), d.PrefillWorkers, m.PrepareDecode(d.Decode), d.DecodeWorkers, w) };
    }

    // Runs the body over the items on every core, each thread offering its candidates to a collector of its own; an
    // input error or a cancellation inside is rethrown as itself.
    private static void InParallel<T>(IEnumerable<T> items, PlanRequest request, ConcurrentBag<PlanCollector> collectors, Action<T, PlanCollector> body)
    {
        try
        {
            Parallel.ForEach(items, () => collectors.TryTake(out var c) ? c : new PlanCollector(request), (item, _, sink) =>
            {
                body(item, sink);
                return sink;
            }, collectors.Add);
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.FirstOrDefault(x => x is InputException or OperationCanceledException) is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }
    }

    /// <summary>The largest engine searched on a GPU: one NVL72-class domain, or two 8-GPU nodes.</summary>
    public static int DefaultMaxEngineGpus(GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return gpu.GpusPerNode >= 16 ? 64 : 2 * gpu.GpusPerNode;
    }

    /// <summary>
    /// Engine layouts of up to <paramref name="maxGpus"/> GPUs: powers of two; attention TP dividing the heads (across
    /// scale-up domains only in whole domains), DP the rest; for MoE models every MoE TP x EP split of the engine's
    /// GPUs that divides the experts' width, with expert parallelism also with one and two redundant experts per rank;
    /// dense models one TP replica per engine (more replicas are the load's).
    /// </summary>
    public static IEnumerable<EngineLayout> Engines(TransformerSpec t, GpuSpec gpu, int maxGpus)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        var f = t.FeedForward;
        for (var n = 1; n <= maxGpus; n *= 2)
        {
            for (var tp = 1; tp <= n; tp *= 2)
            {
                if (t.Attention.Heads % tp != 0 || (tp > gpu.GpusPerNode && tp % gpu.GpusPerNode != 0))
                {
                    continue;
                }

                var dp = n / tp;
                if (!f.IsMoe)
                {
                    if (dp == 1)
                    {
                        yield return new EngineLayout(tp, 1, tp, 1);
                    }

                    continue;
                }

                for (var moeTp = 1; moeTp <= n; moeTp *= 2)
                {
                    var ep = n / moeTp;
                    if (f.ExpertIntermediate % moeTp != 0 || ep > f.RoutedExperts || (moeTp > gpu.GpusPerNode && moeTp % gpu.GpusPerNode != 0))
                    {
                        continue;
                    }

                    foreach (var k in ep > 1 && f.RoutedExperts % ep == 0 ? RedundantExpertsPerRank : [0])
                    {
                        yield return new EngineLayout(tp, dp, moeTp, ep) { RedundantExperts = k * ep };
                    }
                }
            }
        }
    }

    /// <summary>Concurrencies swept for a deployment of <paramref name="gpus"/> GPUs: 1, then steps of 10% (at least one request), up to 512 per GPU.</summary>
    public static IEnumerable<int> Concurrencies(int gpus)
    {
        var top = Math.Min(65536, 512L * gpus);
        for (double c = 1; c <= top; c = Math.Max(c + 1, Math.Round(c * 1.1)))
        {
            yield return (int)c;
        }
    }

    // A sweep's place in the search's order (SweepSite.Order): the pass (KV-cache format, MTP, overlap, GPU type), the
    // mode, then the engine (bits 16 up), the prefill side and the worker ratio (bits 0-15).
    private static long Order(int pass, ServingMode mode) => ((long)pass << 41) | ((long)mode << 40);

    private static void SweepAggregated(ServingModel m, PreparedEngine e, PlanRequest r, Units.Precision kv, PlanCollector sink, long order)
    {
        var (ttftMargin, tpotMargin) = r.Margins(ServingMode.Aggregated, e.Engine.AttentionTp);
        var site = new SweepSite(m.Gpu, ServingMode.Aggregated, e.Engine, null)
        {
            ChunkTokens = e.Budget, KvCache = kv, MtpDrafts = m.MtpDrafts, TwoBatchOverlap = m.TwoBatchOverlap, Order = order, TtftMargin = ttftMargin, TpotMargin = tpotMargin,
        };
        var last = 0;
        SolverHint hint = default;
        foreach (var c in Concurrencies(e.Gpus))
        {
            // More clients decode no fewer requests: the last concurrency's batch brackets this one's.
            var result = m.Aggregated(e, new ServingWorkload(r.Isl, r.Osl, c, r.CacheHit), hint);
            hint = hint.Then(result, c);
            if (result.Limit != ServingLimit.Concurrency)
            {
                // Past saturation more clients only wait in the queue: the sweep ends at the knee, the concurrency the
                // deployment runs without a queue.
                sink.Drop();
                var knee = Knee(result, last);
                if (knee > 0)
                {
                    sink.Offer(site, knee, m.Aggregated(e, new ServingWorkload(r.Isl, r.Osl, knee, r.CacheHit)));
                }

                break;
            }

            sink.Offer(site, c, result);
            last = c;
        }
    }

    // Disaggregated deployments with `d` as the decode side (on m's GPU) and each of `prefills` as the prefill side (on
    // pm's GPU: the same for a single GPU type).
    private static void SweepDisaggregated(ServingModel m, ServingModel pm, List<PreparedEngine> prefills, PreparedEngine d, PlanRequest r, Units.Precision kv, PlanCollector sink, long order)
    {
        var prefillGpu = ReferenceEquals(pm, m) ? null : pm.Gpu;
        var (ttftMargin, tpotMargin) = r.Margins(ServingMode.Disaggregated, d.Engine.AttentionTp);
        for (var pi = 0; pi < prefills.Count; pi++)
        {
            var p = prefills[pi];
            for (var ri = 0; ri < WorkerRatios.Count; ri++)
            {
                var (x, y) = WorkerRatios[ri];
                var site = new SweepSite(m.Gpu, ServingMode.Disaggregated, null, new DisaggregatedLayout(p.Engine, x, d.Engine, y))
                {
                    PrefillGpu = prefillGpu, ChunkTokens = p.Budget, KvCache = kv, MtpDrafts = m.MtpDrafts, TwoBatchOverlap = m.TwoBatchOverlap,
                    Order = order + (pi << 8) + ri, TtftMargin = ttftMargin, TpotMargin = tpotMargin,
                };
                var last = 0;
                SolverHint hint = default;
                foreach (var c in Concurrencies(d.Gpus * y))
                {
                    var result = m.Disaggregated(pm, p, x, d, y, new ServingWorkload(r.Isl, r.Osl, c, r.CacheHit), hint);
                    hint = hint.Then(result, c);
                    if (result.Limit != ServingLimit.Concurrency)
                    {
                        sink.Drop();
                        var knee = Knee(result, last);
                        if (knee > 0)
                        {
                            sink.Offer(site, knee, m.Disaggregated(pm, p, x, d, y, new ServingWorkload(r.Isl, r.Osl, knee, r.CacheHit)));
                        }

                        break;
                    }

                    sink.Offer(site, c, result);
                    last = c;
                }
            }
        }
    }

    // The concurrency at which a saturated deployment holds every request without a queue: the requests it runs at
    // saturation; 0 when that is no more than the last concurrency swept.
    private static int Knee(in ServingResult saturated, int last)
    {
        var knee = (int)Math.Floor(Math.Min(saturated.Running, saturated.MaxRunning));
        return knee > last ? knee : 0;
    }

    // The prefill layouts that carry the most prompt tokens per GPU (their prefill capacity over their GPUs).
    private static List<PreparedEngine> PrefillLayouts(ServingModel m, List<PreparedEngine> prepared, PlanRequest r)
    {
        var w = new ServingWorkload(r.Isl, r.Osl, 1, r.CacheHit);
        return [.. prepared
            .Select(e => (Engine: e, PerGpu: m.Disaggregated(e, 1, e, 1, w).PrefillCapacityPerSecond / e.Gpus))
            .OrderByDescending(x => x.PerGpu).ThenBy(x => x.Engine.Gpus)
            .Take(PrefillCandidates)
            .Select(x => x.Engine)];
    }

    /// <summary>For each GPU type and mode, the points no other point beats on both tokens/s per user and output tokens/s per GPU, by tokens/s per user.</summary>
    public static IReadOnlyList<PlanPoint> Frontier(IEnumerable<PlanPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var frontier = new List<PlanPoint>();
        foreach (var group in points.GroupBy(p => (p.GpuText, p.Mode)).OrderBy(g => g.Key.GpuText, StringComparer.Ordinal).ThenBy(g => g.Key.Mode))
        {
            var best = double.NegativeInfinity;
            var kept = new List<PlanPoint>();
            foreach (var p in group.OrderByDescending(p => p.Result.TokensPerSecondPerUser).ThenByDescending(p => p.Result.OutputTokensPerSecondPerGpu))
            {
                if (p.Result.OutputTokensPerSecondPerGpu > best)
                {
                    best = p.Result.OutputTokensPerSecondPerGpu;
                    kept.Add(p);
                }
            }

            kept.Reverse();
            frontier.AddRange(kept);
        }

        return frontier;
    }

    private static string NothingFits(PlanRequest r, Dictionary<string, int> refused) =>
        $"{r.Model.Name}'s weights fit no layout of up to {r.MaxEngineGpus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "two nodes (a rack for NVL72)"} of {string.Join(", ", r.Gpus.Select(g => g.Name))} "
        + $"({refused.Values.Sum()} layouts refused); allow larger engines (--max-engine-gpus) or smaller weights (--weights fp8)";

    // Nothing meets the targets (within the budget): name the closest deployment.
    private static string Closest(PlanPoint? closest, PlanRequest r)
    {
        if (closest is null)
        {
            return $"no deployment fits the budget of {r.GpuBudget} GPU(s)";
        }

        var res = closest.Result;
        var (ttftMargin, tpotMargin) = r.Margins(closest.Mode, closest.DecodeEngine.AttentionTp);
        var load = r.Load is { } l && r.Targets.Met(res, ttftMargin, tpotMargin)
            ? $"; a load of {l.Requests(r.Osl):0.###} requests/s needs more than the budget of {r.GpuBudget} GPU(s) (this deployment carries {res.RequestsPerSecond:0.###} per {closest.Gpus} GPUs)"
            : "";
        return $"no deployment meets {r.Targets.Describe()}{(r.GpuBudget is { } b ? $" within {b} GPU(s)" : "")}: the closest is {closest.Describe(r.Model.Transformer)} on {closest.Gpus} x {closest.GpuText} "
            + $"({closest.ModeText}, concurrency {closest.Concurrency}) with TTFT {res.Ttft.Total:0.#} ms, TPOT {res.Tpot.Total:0.##} ms, {res.TokensPerSecondPerUser:0.#} tokens/s per user{load}";
    }
}

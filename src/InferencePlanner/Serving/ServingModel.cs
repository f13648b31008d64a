using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Serving;

/// <summary>
/// The serving level: the steady state of a deployment under closed-loop clients, from the default model's step
/// prices. Not a simulation of single requests: the running requests are solved for, so that the decode batch, the
/// prefill work sharing the steps, the rate and the concurrency agree under Little's law.
/// </summary>
/// <remarks>
/// With b requests decoding, each step's decode tokens take TPOT(b); the prompts of the requests that replace the
/// finished ones need b x ISL / (OSL - 1) prompt tokens per decode step, carried in chunks of the framework's
/// budget, so TPOT = decode step + (chunks per step) x (what a chunk adds to a step) + host overhead. The rate is
/// b / ((OSL - 1) x TPOT), and the other C - b requests are in the prefill stage, so TTFT = (C - b) / rate (Little's
/// law). b is the decode batch at which that TTFT equals the least a prompt can take (overhead, the step in
/// progress, its own chunks, the KV transfer), or, when the clients offer more, the most that memory, the
/// framework's cap or the prefill capacity admit: then the rest wait in the queue, and TTFT shows it.
/// </remarks>
public sealed class ServingModel
{
    private readonly TransformerSpec _t;
    private readonly GpuSpec _gpu;
    private readonly PrecisionSet _p;
    private readonly RooflinePolicy _graph, _eager;

    /// <summary>Resolves the GPU's rates once: kernels replayed from CUDA graphs, and launched one by one.</summary>
    public ServingModel(ModelSpec model, GpuSpec gpu, ServingFramework framework, PrecisionSet precisions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentNullException.ThrowIfNull(precisions);
        Model = model;
        _t = model.Transformer;
        _gpu = gpu;
        Framework = framework;
        _p = precisions;
        _graph = new RooflinePolicy(gpu);
        _eager = new RooflinePolicy(gpu with { Latency = gpu.Latency with { LaunchUs = framework.EagerLaunchUs } });
    }

    /// <summary>The model served.</summary>
    public ModelSpec Model { get; }

    /// <summary>The framework serving it.</summary>
    public ServingFramework Framework { get; }

    /// <summary>The GPU.</summary>
    public GpuSpec Gpu => _gpu;

    /// <summary>Kernel data in use, for the output.</summary>
    public string KernelDescription => _graph.Kernels.Description;

    /// <summary>Aggregated serving: one engine runs prefill and decode together.</summary>
    public ServingResult Aggregated(ServingWorkload w, EngineLayout engine, int? chunkTokens = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        w.Validate();
        RequireDecode(w);
        engine.Validate(_t, _gpu);
        var budget = Budget(chunkTokens);
        var e = Engine.Of(this, engine, w, budget);
        double osl1 = w.Osl - 1, missed = w.MissedTokens, c = w.Concurrency, ctx = Context(w);
        var ovh = Framework.StepOverheadUs / 1000;
        var steps = Framework.MixesPrefill ? 1 : 2;

        // The most requests that can decode at once: memory, the framework's cap, and the prefill capacity (every
        // step carrying a full chunk).
        var cap = Math.Min(e.MaxRunning, c);
        var prefillBound = osl1 * e.Dp * (Framework.ChunkedPrefill ? budget : Math.Max(budget, missed)) / missed;
        var upper = Math.Min(cap, prefillBound);

        (double Tpot, double Decode, double Rate, double Floor, double Own, double Chunk) At(double b)
        {
            var bGpu = b / e.Gpus;
            var bp = Framework.BudgetIncludesDecode ? Math.Max(1, budget - bGpu * e.Layout.Tp) : budget;
            bp = Framework.ChunkedPrefill ? bp : Math.Max(bp, missed);
            var inPrefill = Math.Max(1, (Math.Min(cap, c) - b) / e.Dp);
            var chunk = Math.Min(bp, missed * inPrefill);
            var sd = DecodeStep(e, bGpu, ctx);
            var sm = Framework.MixesPrefill ? MixedStep(e, bGpu, ctx, chunk, w) : PrefillStep(e, chunk, w) + sd;
            var delta = sm - sd + (steps - 1) * ovh;
            var tpot = sd + ovh + delta * b * missed / (osl1 * e.Dp * chunk);
            var rate = b / (osl1 * tpot) * 1000;
            var own = OwnPrefill(missed, bp, chunk, sm + steps * ovh, c2 => (Framework.MixesPrefill ? MixedStep(e, bGpu, ctx, c2, w) : PrefillStep(e, c2, w) + sd) + steps * ovh);
            var floor = Framework.RequestOverheadMs + tpot / 2 + own;
            return (tpot, sd, rate, floor, own, chunk);
        }

        var (b, limit) = Solve(c, upper, At);
        if (b >= upper * (1 - 1e-9))
        {
            limit = upper >= prefillBound ? ServingLimit.Prefill : e.MaxRunning >= c ? ServingLimit.Concurrency : e.MaxRunningByMemory <= e.MaxRunningByCap ? ServingLimit.Memory : ServingLimit.RunningCap;
        }

        var s = At(b);
        var ttft = Math.Max(s.Floor, (c - b) / s.Rate * 1000);
        var queue = ttft - Framework.RequestOverheadMs - s.Own;
        var firstBudget = Framework.ChunkedPrefill ? budget : Math.Max(budget, missed);
        var wave = w.Waves == 0 ? 0 : Math.Max(0, s.Floor + WaveQueue(w, Math.Min(c, e.MaxRunning), missed, e.Dp, firstBudget, s.Tpot, chunk => PrefillStep(e, chunk, w) + ovh) - ttft);
        return new ServingResult(
            new TtftParts(Framework.RequestOverheadMs, queue, s.Own, 0, wave),
            new TpotParts(s.Decode, s.Tpot - s.Decode - ovh, ovh),
            s.Rate, e.Gpus, Math.Min(c, b + (c - b) * s.Own / ttft), e.MaxRunning, b / e.Gpus, s.Chunk, limit, e.Memory(b, ctx))
        { Isl = w.Isl, Osl = w.Osl };
    }

    /// <summary>Disaggregated serving: prefill workers hand the KV cache to decode workers over the NIC.</summary>
    public ServingResult Disaggregated(ServingWorkload w, DisaggregatedLayout layout, int? chunkTokens = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        w.Validate();
        RequireDecode(w);
        if (layout.PrefillWorkers < 1 || layout.DecodeWorkers < 1 || layout.PrefillWorkers > 100_000 || layout.DecodeWorkers > 100_000)
        {
            throw new InputException($"disaggregated serving needs 1 to 100000 prefill and decode workers, got {layout.PrefillWorkers}P{layout.DecodeWorkers}D");
        }

        layout.Prefill.Validate(_t, _gpu, "prefill");
        layout.Decode.Validate(_t, _gpu, "decode");
        var budget = Budget(chunkTokens);
        var pe = Engine.Of(this, layout.Prefill, w, budget);
        var de = Engine.Of(this, layout.Decode, w, budget);
        double osl1 = w.Osl - 1, missed = w.MissedTokens, c = w.Concurrency, ctx = Context(w);
        var ovh = Framework.StepOverheadUs / 1000;
        double px = layout.PrefillWorkers, dy = layout.DecodeWorkers;
        var fullChunk = Framework.ChunkedPrefill ? budget : Math.Max(budget, missed);
        var prefillCapacity = px * pe.Dp * fullChunk / missed / (PrefillStep(pe, fullChunk, w) + ovh) * 1000;
        var transfer = KvTransferMs(layout.Prefill, w);
        var cap = Math.Min(de.MaxRunning * dy, c);

        (double Tpot, double Decode, double Rate, double Floor, double Own, double Chunk) At(double b)
        {
            var bGpu = b / (dy * de.Gpus);
            var inPrefill = Math.Max(1, (c - b) / (px * pe.Dp));
            var chunk = Math.Min(fullChunk, missed * inPrefill);
            var sd = DecodeStep(de, bGpu, ctx);
            var tpot = sd + ovh;
            var rate = b / (osl1 * tpot) * 1000;
            var own = OwnPrefill(missed, fullChunk, chunk, PrefillStep(pe, chunk, w) + ovh, c2 => PrefillStep(pe, c2, w) + ovh);
            var floor = Framework.RequestOverheadMs + own + transfer + tpot / 2;
            return (tpot, sd, rate, floor, own, chunk);
        }

        // The decode batch at which the rate meets the prefill capacity bounds it too.
        var upper = cap;
        if (At(upper).Rate > prefillCapacity)
        {
            double lo = 0, hi = upper;
            for (var i = 0; i < 50; i++)
            {
                var mid = (lo + hi) / 2;
                if (At(mid).Rate > prefillCapacity) { hi = mid; } else { lo = mid; }
            }

            upper = lo;
        }

        var (b, limit) = Solve(c, upper, At);
        if (b >= upper * (1 - 1e-9))
        {
            limit = upper < cap ? ServingLimit.Prefill : de.MaxRunning * dy >= c ? ServingLimit.Concurrency : de.MaxRunningByMemory <= de.MaxRunningByCap ? ServingLimit.Memory : ServingLimit.RunningCap;
        }

        var s = At(b);
        var ttft = Math.Max(s.Floor, (c - b) / s.Rate * 1000);
        var queue = ttft - Framework.RequestOverheadMs - s.Own - transfer;
        var decodeWorkerRate = s.Rate / dy;
        var wave = w.Waves == 0 ? 0 : Math.Max(0, s.Floor + WaveQueue(w, Math.Min(c, de.MaxRunning * dy), missed, px * pe.Dp, fullChunk, s.Tpot, chunk => PrefillStep(pe, chunk, w) + ovh) - ttft);
        return new ServingResult(
            new TtftParts(Framework.RequestOverheadMs, queue, s.Own, transfer, wave),
            new TpotParts(s.Decode, 0, ovh),
            s.Rate, (int)Math.Min(int.MaxValue, layout.Gpus), b, de.MaxRunning * dy, b / (dy * de.Gpus), s.Chunk, limit, de.Memory(b / dy, ctx))
        {
            Isl = w.Isl,
            Osl = w.Osl,
            PrefillCapacityPerSecond = prefillCapacity,
            BalancedPrefillPerDecode = decodeWorkerRate / (prefillCapacity / px),
        };
    }

    // The decode batch b in [0, upper] at which TTFT by Little's law, (C - b) / rate, meets its floor; upper when the
    // clients offer more than that.
    private static (double B, ServingLimit Limit) Solve(double c, double upper, Func<double, (double Tpot, double Decode, double Rate, double Floor, double Own, double Chunk)> at)
    {
        double Gap(double b)
        {
            var s = at(b);
            return (c - b) / s.Rate * 1000 - s.Floor;
        }

        if (Gap(upper) >= 0)
        {
            return (upper, ServingLimit.Concurrency);
        }

        double lo = Math.Min(upper, 1e-6 * Math.Max(1, upper)), hi = upper;
        for (var i = 0; i < 40; i++)
        {
            var mid = (lo + hi) / 2;
            if (Gap(mid) > 0) { lo = mid; } else { hi = mid; }
        }

        return ((lo + hi) / 2, ServingLimit.Concurrency);
    }

    // A prompt's own prefill: the step it rides in when it fits one chunk, else its full chunks and its remainder.
    private static double OwnPrefill(double missed, double budget, double chunk, double stepAtChunk, Func<double, double> stepOf)
    {
        if (missed <= budget)
        {
            return stepAtChunk;
        }

        var full = Math.Floor(missed / budget);
        var rest = missed - full * budget;
        return full * stepOf(budget) + (rest > 0 ? stepOf(rest) : 0);
    }

    // A benchmark run's waves: its first C prompts arrive at once, and each later wave's arrive spread over the time
    // the previous wave's requests take to finish apart (the length spread x the decode time, widening as sqrt(k) over
    // k waves). A wave whose prompts need longer to prefill than that spread queues: in a fluid view the mean prompt
    // waits (prefill time of the wave - spread) / 2. Returns the mean over the run's waves.
    private static double WaveQueue(in ServingWorkload w, double prompts, double missed, double groups, double budget, double tpotMs, Func<double, double> prefillStep)
    {
        var tokensPerGroup = prompts * missed / groups;
        var waveMs = tokensPerGroup <= budget ? prefillStep(Math.Max(tokensPerGroup, missed)) : tokensPerGroup / budget * prefillStep(budget);
        var spreadMs = w.LengthSpread * w.Osl * tpotMs;
        double sum = 0;
        for (var k = 0; k < w.Waves; k++)
        {
            sum += Math.Max(0, waveMs - spreadMs * Math.Sqrt(k)) / 2;
        }

        return sum / w.Waves;
    }

    private static void RequireDecode(in ServingWorkload w)
    {
        if (w.Osl < 2)
        {
            throw new InputException($"--osl must be at least 2 for a time per output token, got {w.Osl}");
        }
    }

    private int Budget(int? chunkTokens)
    {
        var budget = chunkTokens ?? Framework.ChunkTokensFor(_gpu.MemoryGB);
        if (budget < 1 || budget > 10_000_000)
        {
            throw new InputException($"--chunk is the prompt tokens one step carries and must lie in [1, 10000000], got {budget}");
        }

        return budget;
    }

    // The mean context a decoding request attends to in the steady state: its prompt and half its output.
    private static double Context(in ServingWorkload w) => w.Isl + w.Osl / 2.0;

    // One decode step's GPU work, ms: replayed from a CUDA graph when the framework captures that batch.
    private double DecodeStep(in Engine e, double bGpu, double ctx)
    {
        var policy = bGpu * e.Layout.Tp <= Framework.CudaGraphMaxBatch ? _graph : _eager;
        return DefaultPhases.Sum(_t, policy, DefaultWork.Mixed(_t, e.Layout, e.Domain, _p, bGpu, ctx, 0, 0, 0)).Total.Milliseconds;
    }

    // One step carrying decode tokens and a prefill chunk per DP group, ms; kernels launched one by one.
    private double MixedStep(in Engine e, double bGpu, double ctx, double chunk, in ServingWorkload w) =>
        DefaultPhases.Sum(_t, _eager, DefaultWork.Mixed(_t, e.Layout, e.Domain, _p, bGpu, ctx, chunk, w.Isl, w.CacheHit)).Total.Milliseconds;

    // One prefill step of a chunk per DP group, ms.
    private double PrefillStep(in Engine e, double chunk, in ServingWorkload w) =>
        DefaultPhases.Sum(_t, _eager, DefaultWork.Mixed(_t, e.Layout, e.Domain, _p, 0, 0, chunk, w.Isl, w.CacheHit)).Total.Milliseconds;

    // Moving one request's KV cache over the NIC: the prefill GPUs holding distinct KV heads send in parallel.
    private double KvTransferMs(EngineLayout prefill, in ServingWorkload w)
    {
        var bytes = DefaultCapacity.KvPerRequest(_t, 1, _p.KvCache, w.Isl).Value;
        var senders = _t.Attention.Kind == AttentionKind.Mla ? 1 : Math.Min(prefill.AttentionTp, Math.Max(1, _t.Attention.KvHeads));
        var gbps = _gpu.ScaleOutBandwidthGBps * _gpu.Efficiency.ScaleOut * senders;
        return bytes / (gbps * 1e9) * 1000 + Framework.KvTransferOverheadMs;
    }

    /// <summary>
    /// Decimal GB per datasheet GB of HBM: the capacities are binary (an H100's "80 GB" reports 81,559 MiB, a
    /// B200's "180 GB" 183,359 MiB), so servers budget with 2^30-byte gigabytes.
    /// </summary>
    public const double HbmGBPerDatasheetGB = 1.073741824;

    // An engine's layout as priced, with its memory.
    private readonly record struct Engine(DefaultLayout Layout, int Domain, int Gpus, int Dp, double WeightsGB, double KvCapacityGB, double KvPerRequestGB, double ReserveGB, double CapacityGB, double MaxRunningByMemory, double MaxRunningByCap)
    {
        public double MaxRunning => Math.Min(MaxRunningByMemory, MaxRunningByCap);

        public static Engine Of(ServingModel m, EngineLayout engine, in ServingWorkload w, int budget)
        {
            var t = m._t;
            var layout = engine.ToDefault(t);
            var weights = DefaultCapacity.WeightsPerGpu(t, layout, m._p).ToGB();
            var fw = m.Framework;
            double capacity = m._gpu.MemoryGB * HbmGBPerDatasheetGB, reserve = fw.ReserveFor(budget);
            var kv = fw.MemoryShareOf == MemoryShareOf.Total ? fw.MemoryShare * capacity - weights - reserve : fw.MemoryShare * (capacity - weights - reserve);
            if (!(kv > 0))
            {
                throw new InputException(
                    $"{m.Model.Name} on {engine.Gpus} x {m._gpu.Name} ({engine.Describe(t)}): the weights need {weights:F1} GB per GPU, and {fw.DisplayName} keeps {reserve:0.#} GB besides, of {capacity:0.#} GB x its memory share {fw.MemoryShare:0.##}: no room for KV cache; use more GPUs or smaller weights");
            }

            var perRequest = DefaultCapacity.KvPerRequest(t, layout.Tp, m._p.KvCache, Context(w)).ToGB();
            var byMemory = engine.Gpus * kv / perRequest;
            var whole = DefaultCapacity.KvPerRequest(t, layout.Tp, m._p.KvCache, (double)w.Isl + w.Osl).ToGB();
            if (whole > kv * layout.Tp)
            {
                throw new InputException(
                    $"{m.Model.Name} on {engine.Gpus} x {m._gpu.Name} ({engine.Describe(t)}): one request of {w.Isl} + {w.Osl} tokens needs {whole * layout.Tp:F1} GB of KV cache per TP group, more than the {kv * layout.Tp:F1} GB it has");
            }

            return new Engine(layout, Math.Min(m._gpu.GpusPerNode, engine.Gpus), engine.Gpus, layout.Dp, weights, kv, perRequest, reserve, capacity, byMemory, (double)fw.MaxRunningRequests * layout.Dp);
        }

        public ServingMemory Memory(double running, double ctx) =>
            new(CapacityGB, WeightsGB, ReserveGB, KvCapacityGB, Math.Min(KvCapacityGB, running / Gpus * KvPerRequestGB));
    }
}

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
public sealed partial class ServingModel
{
    private readonly TransformerSpec _t;
    private readonly GpuSpec _gpu;
    private readonly PrecisionSet _p;
    private readonly RooflinePolicy _graph, _eager;

    private readonly int _drafts;
    private readonly int _mtpLayers; // multi-token-prediction modules in memory: the model's, when drafting
    private readonly bool _twoBatch;

    /// <summary>
    /// Resolves the GPU's rates once: kernels replayed from CUDA graphs, and launched one by one. With
    /// <paramref name="mtpDrafts"/> draft tokens per step (multi-token prediction), each decode step verifies the drafts
    /// with the token, runs the module's draft passes, and gains <see cref="TokensPerStep"/> tokens per request. With
    /// <paramref name="twoBatchOverlap"/>, decode steps of MoE engines with expert parallelism may run as two overlapped
    /// micro-batches.
    /// </summary>
    public ServingModel(ModelSpec model, GpuSpec gpu, ServingFramework framework, PrecisionSet precisions, int mtpDrafts = 0, bool twoBatchOverlap = false)
    {
        RequireMtp(model, mtpDrafts);
        _drafts = mtpDrafts;
        _twoBatch = twoBatchOverlap;
        var options = new RooflineOptions { MtpDraftTokens = mtpDrafts };
        TokensPerStep = options.TokensPerStep;
        _mtpLayers = RooflineCapacity.MtpLayers(model.Transformer, options);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentNullException.ThrowIfNull(precisions);
        Model = model;
        _t = model.Transformer;
        gpu = framework.KernelsOn(gpu);
        if (framework.ProgrammaticDependentLaunch)
        {
            gpu = gpu with { Latency = gpu.Latency with { KernelUs = 0 } };
        }

        _gpu = gpu;
        Framework = framework;
        _p = precisions;
        _graph = new RooflinePolicy(gpu);
        _eager = new RooflinePolicy(gpu with { Latency = gpu.Latency with { LaunchUs = framework.EagerLaunchUs } });
    }

    /// <summary>Most draft tokens per step multi-token prediction may be asked for.</summary>
    public const int MaxMtpDrafts = 8;

    /// <summary>Throws <see cref="InputException"/> unless <paramref name="model"/> can draft <paramref name="mtpDrafts"/> tokens per step.</summary>
    public static void RequireMtp(ModelSpec model, int mtpDrafts)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (mtpDrafts < 0 || mtpDrafts > MaxMtpDrafts)
        {
            throw new InputException($"--mtp is the draft tokens per step and must lie in [0, {MaxMtpDrafts}], got {mtpDrafts}");
        }

        if (mtpDrafts > 0 && model.Transformer.MtpLayers == 0)
        {
            throw new InputException($"--mtp needs a model with a multi-token-prediction module; {model.Name}'s config.json declares none");
        }
    }

    /// <summary>The model served.</summary>
    public ModelSpec Model { get; }

    /// <summary>Multi-token prediction: draft tokens per step (0: none).</summary>
    public int MtpDrafts => _drafts;

    /// <summary>
    /// Whether decode steps of MoE engines with expert parallelism may run as two overlapped micro-batches (SGLang's
    /// --enable-two-batch-overlap), where that is faster than one batch.
    /// </summary>
    public bool TwoBatchOverlap => _twoBatch;

    /// <summary>Tokens each decoding request gains per step: 1, or with multi-token prediction the expected accepted tokens (DeepSeek-V3's reported acceptance).</summary>
    public double TokensPerStep { get; }

    /// <summary>The framework serving it.</summary>
    public ServingFramework Framework { get; }

    /// <summary>The GPU.</summary>
    public GpuSpec Gpu => _gpu;

    /// <summary>Kernel data in use, for the output.</summary>
    public string KernelDescription => _graph.Kernels.Description;

    /// <summary>
    /// Prepares an engine layout for evaluation: checks it against the model and GPU, and resolves its weights and
    /// memory once, so that evaluating it under many workloads allocates nothing.
    /// </summary>
    public PreparedEngine Prepare(EngineLayout engine, int? chunkTokens = null, string side = "")
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.Validate(_t, _gpu, side);
        var budget = Budget(chunkTokens);
        var layout = engine.ToRooflineLayout(_t);
        var weights = RooflineCapacity.WeightsPerGpu(_t, layout, _p, mtpLayers: _mtpLayers).ToGB();
        var fw = Framework;
        double capacity = _gpu.MemoryGB * HbmGBPerDatasheetGB, reserve = fw.ReserveFor(budget);
        double Kv(double r) => fw.MemoryShareOf == MemoryShareOf.Total ? fw.MemoryShare * capacity - weights - r : fw.MemoryShare * (capacity - weights - r);
        var kv = Kv(reserve);
        var raised = false;
        if (!(kv > 0) && fw.MinReserveGB is { } least && least < reserve && Kv(least) > 0)
        {
            // The default leaves no room; deployments that fill the GPU raise the memory share by hand.
            (reserve, kv, raised) = (least, Kv(least), true);
        }

        if (!(kv > 0))
        {
            throw new InputException(
                $"{Model.Name} on {engine.Gpus} x {_gpu.Name} ({engine.Describe(_t)}): the weights need {weights:F1} GB per GPU, and {fw.DisplayName} keeps {reserve:0.#} GB besides, of {capacity:0.#} GB x its memory share {fw.MemoryShare:0.##}: no room for KV cache; use more GPUs or smaller weights");
        }

        return new PreparedEngine(engine, layout, Math.Min(_gpu.GpusPerNode, engine.Gpus), budget, weights, kv, reserve, capacity, (double)(engine.MaxBatch ?? fw.MaxRunningRequests) * layout.Dp)
        {
            MemoryShareRaised = raised,
            CudaGraphMaxBatch = fw.CudaGraphMaxBatchFor(_gpu.MemoryGB, engine.Gpus),
        };
    }

    /// <summary>Aggregated serving: one engine runs prefill and decode together.</summary>
    public ServingResult Aggregated(ServingWorkload w, EngineLayout engine, int? chunkTokens = null) => Aggregated(Prepare(engine, chunkTokens), w);

    /// <summary>
    /// Aggregated serving on a prepared engine; allocates nothing. <paramref name="hint"/>: the steady state a sweep
    /// found at a lower concurrency, where the solver starts (<see cref="SolverHint"/>).
    /// </summary>
    public ServingResult Aggregated(in PreparedEngine e, ServingWorkload w, SolverHint hint = default)
    {
        w.Validate();
        RequireDecode(w);
        Model.RequireContext(w.Isl, w.Osl);
        var m = Memory.Of(this, e, w);
        var s = new AggregatedState(this, e, w, m.MaxRunning);
        var (below, guess) = hint.For(e.Gpus, w.Concurrency);
        var (b, limit, at) = Solve(ref s, w.Concurrency, s.Upper, below, guess);
        if (b >= s.Upper * (1 - 1e-9))
        {
            limit = s.Upper >= s.PrefillBound ? ServingLimit.Prefill : m.MaxRunning >= w.Concurrency ? ServingLimit.Concurrency : m.ByMemory <= e.MaxRunningByCap ? ServingLimit.Memory : ServingLimit.RunningCap;
        }

        double c = w.Concurrency, ovh = s.Overhead;
        var ttft = Math.Max(at.Floor, (c - b) / at.Rate * 1000);
        var delivery = Delivery(w, at.Step) + BalanceWait(w, e.Dp, at.Step, at.Rate);
        var queue = ttft - Framework.RequestOverheadMs - at.Own - delivery;
        var inStep = 0.0;
        var wave = w.Waves == 0 ? 0 : Math.Max(0, at.Floor + WaveQueue(w, Math.Min(c, m.MaxRunning), s.Missed, e.Dp, s.FirstBudget, at.Tpot, PrefillStep(e, s.FirstBudget, w) + ovh, Framework.MixesPrefill, ref s, out inStep) - ttft);
        // Where prefill steps run ahead of decode, a burst's requests prefilled first wait for the rest before their
        // second token: on average half the burst's prefill, where a steady stream of prompts costs each request's
        // decode the whole of it. The waves' share that arrives in step so halves the prefill TPOT carries.
        var shared = at.Tpot - at.Decode - ovh / TokensPerStep - at.HostWait;
        if (!Framework.MixesPrefill)
        {
            shared *= 1 - inStep / 2;
        }

        return new ServingResult(
            new TtftParts(Framework.RequestOverheadMs, queue, at.Own, 0, wave, delivery),
            new TpotParts(at.Decode, shared, ovh / TokensPerStep + at.HostWait),
            at.Rate, e.Gpus, Math.Min(c, b + (c - b) * at.Own / ttft), m.MaxRunning, b / e.Gpus, at.Chunk, limit, e.MemoryAt(b, m.PerRequestGB))
        { Isl = w.Isl, Osl = w.Osl, MemoryShareRaised = e.MemoryShareRaised, StepBatchPerGpu = b / e.Gpus };
    }

    /// <summary>
    /// Disaggregated serving: prefill workers hand the KV cache to decode workers over the NIC. The chunk budget, where
    /// given, is the prefill workers' (the prompt tokens one of their steps carries); the decode workers carry no prompts
    /// and keep the framework's.
    /// </summary>
    public ServingResult Disaggregated(ServingWorkload w, DisaggregatedLayout layout, int? chunkTokens = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Disaggregated(Prepare(layout.Prefill, chunkTokens, "prefill"), layout.PrefillWorkers, PrepareDecode(layout.Decode), layout.DecodeWorkers, w);
    }

    /// <summary>A disaggregated deployment's decode worker, prepared with the framework's budget (it carries no prompts).</summary>
    public PreparedEngine PrepareDecode(EngineLayout decode) => Prepare(decode, null, "decode");

    /// <summary>Disaggregated serving on prepared prefill and decode engines; allocates nothing.</summary>
    public ServingResult Disaggregated(in PreparedEngine prefill, int prefillWorkers, in PreparedEngine decode, int decodeWorkers, ServingWorkload w) =>
        Disaggregated(this, prefill, prefillWorkers, decode, decodeWorkers, w);

    /// <summary>
    /// Disaggregated serving with the prefill workers on another GPU type, priced by <paramref name="prefillModel"/> (the
    /// same model, framework and precisions on the prefill GPU); this model's GPU runs the decode workers. The KV cache
    /// crosses the slower of the two GPUs' NICs. Allocates nothing.
    /// </summary>
    /// <remarks><paramref name="hint"/>: as for <see cref="Aggregated(in PreparedEngine, ServingWorkload, SolverHint)"/>, per decode GPU.</remarks>
    public ServingResult Disaggregated(ServingModel prefillModel, in PreparedEngine prefill, int prefillWorkers, in PreparedEngine decode, int decodeWorkers, ServingWorkload w, SolverHint hint = default)
    {
        ArgumentNullException.ThrowIfNull(prefillModel);
        if (!ReferenceEquals(prefillModel, this) && (prefillModel.Model.Transformer != _t || prefillModel.Framework != Framework || prefillModel._p != _p))
        {
            throw new InputException("the prefill and decode workers of one deployment serve the same model under the same framework and precisions");
        }

        w.Validate();
        RequireDecode(w);
        Model.RequireContext(w.Isl, w.Osl);
        if (prefillWorkers < 1 || decodeWorkers < 1 || prefillWorkers > 100_000 || decodeWorkers > 100_000)
        {
            throw new InputException($"disaggregated serving needs 1 to 100000 prefill and decode workers, got {prefillWorkers}P{decodeWorkers}D");
        }

        var m = Memory.Of(this, decode, w);
        var s = new DisaggregatedState(this, prefillModel, prefill, prefillWorkers, decode, decodeWorkers, w, m.MaxRunning);
        double c = w.Concurrency, px = prefillWorkers, dy = decodeWorkers, ovh = s.Overhead;
        var cap = s.Cap;

        // The decode batch at which the rate meets the prefill capacity bounds it too. The rate grows with the batch, so
        // the bound matters only when the steady state found without it runs faster than the prefill workers carry.
        var (below, guess) = hint.For((double)decodeWorkers * decode.Gpus, c);
        var upper = cap;
        var (b, limit, at) = Solve(ref s, c, upper, below, guess);
        if (at.Rate > s.PrefillCapacity)
        {
            // Regula falsi (Illinois) on rate - capacity to a relative tolerance, staying on the feasible side.
            // The rate grows with the batch below the steady state found, which runs faster than the capacity: one root.
            var bracket = new Bracket(0, -s.PrefillCapacity, b, at.Rate - s.PrefillCapacity);
            for (var i = 0; i < 60 && bracket.Hi - bracket.Lo > 1e-6 * upper; i++)
            {
                var x = bracket.Next();
                var f = s.At(x).Rate - s.PrefillCapacity;
                if (f > 0)
                {
                    bracket.High(x, f);
                }
                else
                {
                    bracket.Low(x, f);
                }
            }

            upper = bracket.Lo;
            (b, limit, at) = Solve(ref s, c, upper, below, guess);
        }

        if (b >= upper * (1 - 1e-9))
        {
            limit = upper < cap ? ServingLimit.Prefill : m.MaxRunning * dy >= c ? ServingLimit.Concurrency : m.ByMemory <= decode.MaxRunningByCap ? ServingLimit.Memory : ServingLimit.RunningCap;
        }

        var ttft = Math.Max(at.Floor, (c - b) / at.Rate * 1000);
        var delivery = Delivery(w, at.Step) + BalanceWait(w, prefill.Dp, s.PrefillStepMs(at.Chunk), at.Rate / px);
        var queue = ttft - Framework.RequestOverheadMs - at.Own - s.Transfer - delivery;
        var decodeWorkerRate = at.Rate / dy;
        var wave = w.Waves == 0 ? 0 : Math.Max(0, at.Floor + WaveQueue(w, Math.Min(c, m.MaxRunning * dy), s.Missed, px * prefill.Dp, s.FullChunk, at.Tpot, prefillModel.PrefillStep(prefill, s.FullChunk, w) + ovh, false, ref s, out _) - ttft);
        var gpus = (long)prefill.Gpus * prefillWorkers + (long)decode.Gpus * decodeWorkers;
        return new ServingResult(
            new TtftParts(Framework.RequestOverheadMs, queue, at.Own, s.Transfer, wave, delivery),
            new TpotParts(at.Decode, 0, ovh / TokensPerStep + at.HostWait),
            at.Rate, (int)Math.Min(int.MaxValue, gpus), b, m.MaxRunning * dy, b / (dy * decode.Gpus), at.Chunk, limit, decode.MemoryAt(b / dy, m.PerRequestGB))
        {
            Isl = w.Isl,
            Osl = w.Osl,
            PrefillCapacityPerSecond = s.PrefillCapacity,
            MemoryShareRaised = prefill.MemoryShareRaised || decode.MemoryShareRaised,
            BalancedPrefillPerDecode = decodeWorkerRate / (s.PrefillCapacity / px),
            StepBatchPerGpu = s.StepBatchPerGpu(b),
        };
    }

    /// <summary>One decode batch's consequences: per output token (TPOT, its decode part), per step, the rate, a prompt's least TTFT, its own prefill, the chunk, and per output token the host's time by request beyond the GPU's step.</summary>
    private readonly record struct Point(double Tpot, double Decode, double Rate, double Floor, double Own, double Chunk, double Step, double HostWait);

    /// <summary>A serving mode's steady state as a function of the decode batch.</summary>
    private interface ISteadyState
    {
        Point At(double b);

        double PrefillStepMs(double chunk);

        /// <summary>
        /// The largest decode batch (of all the decode engines) whose steps replay CUDA graphs
        /// (<see cref="PreparedEngine.LastGraphedPerGpu"/> on each GPU): one request more and TPOT jumps up there.
        /// </summary>
        double LastGraphed { get; }
    }

    // The prompt tokens one prefill step carries for a step budget of `budget` tokens: the budget when the framework
    // chunks prompts, else the whole missed prompt when it exceeds the budget (it runs in one step).
    private double PrefillTokensPerStep(double budget, double missed) => Framework.ChunkedPrefill ? budget : Math.Max(budget, missed);

    // The decode batch b in [0, upper] at which TTFT by Little's law, (C - b) / rate, meets its floor; upper when the
    // clients offer more than that. Returns the steady state at b too, so that the caller need not price it again.
    // Where TPOT jumps up at the last graphed batch, the gap jumps up with it and may cross zero twice: once below the
    // jump and again above. A run fills its decode batch from empty and settles at the first, which is stable (below it
    // requests wait longer than their prompts take, above it less), so where a root is found above the jump and the gap
    // at the jump is not positive, the steady state is the root below it.
    private static (double B, ServingLimit Limit, Point At) Solve<T>(ref T state, double c, double upper, double below, double guess)
        where T : struct, ISteadyState
    {
        var found = SolveBracketed(ref state, c, upper, below, guess);
        var jump = state.LastGraphed;
        if (jump > 0 && jump < found.B)
        {
            var at = state.At(jump);
            var gap = Gap(c, jump, at);
            if (gap <= 0 && double.IsFinite(gap))
            {
                return SolveBracketed(ref state, c, jump, below < jump ? below : 0, guess < jump ? guess : 0);
            }
        }

        return found;
    }

    private static (double B, ServingLimit Limit, Point At) SolveBracketed<T>(ref T state, double c, double upper, double below, double guess)
        where T : struct, ISteadyState
    {
        // The gap falls as b grows: a bracketed root, found by regula falsi with the Illinois correction (a few
        // evaluations where bisection takes forty), to a relative tolerance far below the model's own error. A sweep's
        // hint brackets it from below, and its guess often from above, which spares pricing the top of the range.
        double lo = Math.Min(upper, 1e-6 * Math.Max(1, upper)), hi = upper;
        double flo = double.NaN, fhi = double.NaN;
        Point plo = default, phi = default;
        if (below > lo && below < upper)
        {
            var p = state.At(below);
            var f = Gap(c, below, p);
            if (f > 0 && double.IsFinite(f))
            {
                (lo, flo, plo) = (below, f, p);
                if (guess > below && guess < upper)
                {
                    var pg = state.At(guess);
                    var fg = Gap(c, guess, pg);
                    if (fg <= 0 && double.IsFinite(fg))
                    {
                        // The root lies below the guess, hence below the top of the range: the clients are not all served at once.
                        (hi, fhi, phi) = (guess, fg, pg);
                    }
                    else if (fg > 0 && double.IsFinite(fg))
                    {
                        (lo, flo, plo) = (guess, fg, pg);
                    }
                }
            }
        }

        if (double.IsNaN(fhi))
        {
            phi = state.At(upper);
            fhi = Gap(c, upper, phi);
            if (fhi >= 0)
            {
                return (upper, ServingLimit.Concurrency, phi);
            }
        }

        if (double.IsNaN(flo))
        {
            plo = state.At(lo);
            flo = Gap(c, lo, plo);
        }

        if (!(flo > 0) || !double.IsFinite(flo) || !double.IsFinite(fhi))
        {
            return (lo, ServingLimit.Concurrency, plo);
        }

        // The bracket's gaps are halved by the Illinois rule; glo and ghi keep them as priced.
        var bracket = new Bracket(lo, flo, hi, fhi);
        double glo = flo, ghi = fhi;
        var tolerance = 1e-6 * upper;
        for (var i = 0; i < 60 && bracket.Hi - bracket.Lo > tolerance; i++)
        {
            var b = bracket.Next();
            var pb = state.At(b);
            var f = Gap(c, b, pb);
            if (f > 0)
            {
                bracket.Low(b, f);
                (glo, plo) = (f, pb);
            }
            else
            {
                bracket.High(b, f);
                (ghi, phi) = (f, pb);
            }

            if (Math.Abs(f) < 1e-9 * Math.Max(1, Math.Abs(bracket.FLo)))
            {
                return (b, ServingLimit.Concurrency, pb);
            }
        }

        // Both ends lie within the tolerance of the root: the one nearer to it by the gap.
        return Math.Abs(glo) <= Math.Abs(ghi) ? (bracket.Lo, ServingLimit.Concurrency, plo) : (bracket.Hi, ServingLimit.Concurrency, phi);
    }

    // A root's bracket for regula falsi with the Illinois correction: the next point is the secant's root, and the end
    // that stays twice running has its value halved, so that both ends close in.
    private struct Bracket(double lo, double flo, double hi, double fhi)
    {
        private int _side;

        public double Lo { get; private set; } = lo;

        public double Hi { get; private set; } = hi;

        public double FLo { get; private set; } = flo;

        public double FHi { get; private set; } = fhi;

        // The secant's root, or the middle where rounding puts it outside the bracket.
        public readonly double Next()
        {
            var x = Hi - FHi * (Hi - Lo) / (FHi - FLo);
            return x > Lo && x < Hi ? x : (Lo + Hi) / 2;
        }

        // The root lies above x (the value there has the lower end's sign).
        public void Low(double x, double f)
        {
            (Lo, FLo) = (x, f);
            if (_side == -1)
            {
                FHi /= 2;
            }

            _side = -1;
        }

        // The root lies below x.
        public void High(double x, double f)
        {
            (Hi, FHi) = (x, f);
            if (_side == 1)
            {
                FLo /= 2;
            }

            _side = 1;
        }
    }

    // Little's law's wait, (C - b) / rate, less a prompt's floor, times b: the same sign and root, but with rate = b /
    // ((OSL - 1) x TPOT) it is (C - b) (OSL - 1) TPOT - b x floor, smooth in b, where the wait itself has a pole at b = 0
    // that holds a secant method to one bracket end for many steps.
    private static double Gap(double c, double b, in Point s) => b * ((c - b) / s.Rate * 1000 - s.Floor);

    // A benchmark run's waves: its first C prompts arrive at once, and each later wave's arrive spread over the time
    // the previous wave's requests take to finish apart (the length spread x the decode time, widening as sqrt(k) over
    // k waves). A wave whose prompts need longer to prefill than that spread queues: in a fluid view the mean prompt
    // waits (prefill time of the wave - spread) / 2. Where each request starts decoding as its own prefill ends
    // (`staggered`: aggregated steps that mix prefill chunks with decode, TensorRT-LLM's and vLLM's), a wave's requests
    // also finish apart by the time its prompts took to prefill, so the next wave arrives at the pace the prefill
    // takes it and only the first queues as a burst. SGLang runs its prefill steps ahead of decode, so a wave's prompts
    // start decoding together and, with equal lengths, every wave arrives at once (aiconfigurator's fixed-length
    // sweeps show it: SGLang's TTFT there grows as bursts do, TensorRT-LLM's and vLLM's do not). Disaggregated waves
    // are kept in step as well: the measured TTFT of the disaggregated runs, already longer than predicted, does not
    // bear out a spread. Returns the mean over the run's waves.
    // `inStep`: the share of the waves' prompts that arrive in step (the burst's excess over its spread, over its prefill).
    private static double WaveQueue<T>(in ServingWorkload w, double prompts, double missed, double groups, double budget, double tpotMs, double fullStepMs, bool staggered, ref T state, out double inStep)
        where T : struct, ISteadyState
    {
        var tokensPerGroup = prompts * missed / groups;
        var waveMs = tokensPerGroup <= budget ? state.PrefillStepMs(Math.Max(tokensPerGroup, missed)) : tokensPerGroup / budget * fullStepMs;
        var spreadMs = w.LengthSpread * w.Osl * tpotMs;
        double sum = 0, burst = 0;
        for (var k = 0; k < w.Waves; k++)
        {
            var apart = spreadMs * Math.Sqrt(k);
            var excess = Math.Max(0, waveMs - (staggered && k > 0 ? Math.Max(apart, waveMs) : apart));
            sum += excess / 2;
            burst += waveMs > 0 ? excess / waveMs : 0;
        }

        inStep = burst / w.Waves;
        return sum / w.Waves;
    }

    // Time between a request's arrival and its prefill besides the queue: the wait for the scheduler's next poll,
    // (recv - 1) / 2 steps, and a batching wait for other prompts. A stream interval delays no first token: SGLang
    // sends a request's first token at once (scheduler_output_processor_mixin: len(output_ids) % interval == 1) and so
    // does TensorRT-LLM since PR #5836 ("Return context response immediately when stream_interval > 1").
    private static double Delivery(in ServingWorkload w, double stepMs)
    {
        // A prompt that arrives alone waits the whole batching window: nothing else fills the batch first.
        return ((w.RecvInterval - 1) / 2.0 + w.BatchWaitSteps) * stepMs;
    }

    // A step's length: the host's work for one scheduler's running requests overlaps the GPU's step, and the longer of
    // the two sets the pace.
    private double Pace(double gpuStepMs, double requestsPerScheduler) => Math.Max(gpuStepMs, Framework.HostUsPerRequest / 1000 * requestsPerScheduler);

    // TensorRT-LLM's attention-DP balance holds a prompt until every one of the dp ranks has one, or the timeout. At
    // the engine's arrival rate (requests/s) the dp - 1 others arrive within (dp - 1) / rate; the first of a group waits
    // that long (or the timeout), the last not at all: half of it on average.
    private static double BalanceWait(in ServingWorkload w, int dp, double stepMs, double rate) =>
        w.BalanceTimeoutSteps == 0 || dp < 2 || !(rate > 0) ? 0 : Math.Min(w.BalanceTimeoutSteps * stepMs, (dp - 1) * 1000 / rate) / 2;

    internal static void RequireDecode(in ServingWorkload w)
    {
        if (w.Osl < 2)
        {
            throw new InputException($"--osl must be at least 2 for a time per output token, got {w.Osl}");
        }
    }

    /// <summary>The framework's default step budget on this GPU (prompt tokens per step and data-parallel group).</summary>
    public int DefaultBudget => Framework.ChunkTokensFor(_gpu.MemoryGB);

    private int Budget(int? chunkTokens)
    {
        var budget = chunkTokens ?? Framework.ChunkTokensFor(_gpu.MemoryGB);
        if (budget < 1 || budget > 10_000_000)
        {
            throw new InputException($"--chunk is the prompt tokens one step carries and must lie in [1, 10000000], got {budget}");
        }

        return budget;
    }

    // A decode worker steps only with a request in it: the one a token belongs to runs at least that request, however
    // many workers share fewer requests than there are workers (an even spread would price a fraction of a request).
    private static double RequestsPerDecodeWorker(double decoding, double workers) => Math.Max(decoding / workers, 1);

    // The mean context a decoding request attends to in the steady state: its prompt and half its output.
    private static double Context(in ServingWorkload w) => w.Isl + w.Osl / 2.0;

    /// <summary>One decode step of <paramref name="batchPerGpu"/> requests per GPU by component, for the output (not the search path).</summary>
    public Breakdown DecodeStepBreakdown(in PreparedEngine e, double batchPerGpu, ServingWorkload w)
    {
        var policy = Graphed(e, batchPerGpu) ? _graph : _eager;
        return RooflinePhases.Sum(_t, policy, RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, batchPerGpu, Context(w), 0, 0, 0, queriesPerRequest: 1 + _drafts));
    }

    /// <summary>One prefill step of <paramref name="chunk"/> prompt tokens per data-parallel group by component, for the output.</summary>
    public Breakdown PrefillStepBreakdown(in PreparedEngine e, double chunk, ServingWorkload w) =>
        RooflinePhases.Sum(_t, PromptStepPolicy(e, 0, chunk), RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, 0, 0, chunk, w.Isl, w.CacheHit));

    // A step that carries prompt tokens launches its kernels one by one, unless the framework replays such steps from
    // piecewise CUDA graphs and the step's tokens per DP group (decode tokens and the chunk) fit the largest capture.
    private RooflinePolicy PromptStepPolicy(in PreparedEngine e, double bGpu, double chunk) =>
        PiecewiseGraphed(e, bGpu, chunk) ? _graph : _eager;

    private bool PiecewiseGraphed(in PreparedEngine e, double bGpu, double chunk) =>
        (bGpu * e.Layout.Tp * (1 + _drafts)) + chunk <= Framework.PiecewiseGraphTokens;

    // One decode step's GPU work, ms: replayed from a CUDA graph when the framework captures that batch. With a step
    // cache for this workload, interpolated between grid batches (linearly, on a grid of the batch's logarithm) where both sit on the same side of the
    // CUDA-graph limit.
    private double DecodeStep(in PreparedEngine e, double bGpu, in ServingWorkload w)
    {
        if (e.Cache is { } cache && cache.Workload == (w.Isl, w.Osl, w.CacheHit))
        {
            var overlapped = Overlaps(e);
            if (bGpu >= 0 && bGpu < StepCache.At(0) && Graphed(e, 0) == Graphed(e, StepCache.At(0)))
            {
                // Below the grid (the solver's lower brackets): between the empty step and the grid's first point.
                var empty = Cached(cache, e, StepCache.Empty, 0, Context(w), overlapped);
                var first = Cached(cache, e, 0, StepCache.At(0), Context(w), overlapped);
                return empty + (first - empty) * (bGpu / StepCache.At(0));
            }

            var (i, f) = StepCache.Locate(bGpu);
            if (i >= 0 && Graphed(e, StepCache.At(i)) == Graphed(e, StepCache.At(i + 1)))
            {
                var lo = Cached(cache, e, i, StepCache.At(i), Context(w), overlapped);
                var hi = Cached(cache, e, i + 1, StepCache.At(i + 1), Context(w), overlapped);
                return lo + (hi - lo) * f;
            }
        }

        return DecodeStepExact(e, bGpu, Context(w));
    }

    // A grid point's decode price from the cache, priced and recorded there on first use. With two-batch overlap the
    // one-batch price comes from the cache when a search without overlap priced it already, and only the half batch is priced.
    private double Cached(StepCache cache, in PreparedEngine e, int index, double bGpu, double ctx, bool overlapped)
    {
        var v = cache.Decode(index, overlapped);
        if (!double.IsNaN(v))
        {
            return v;
        }

        var whole = cache.Decode(index, overlapped: false);
        if (double.IsNaN(whole))
        {
            whole = OneBatchMs(e, bGpu, ctx);
            cache.SetDecode(index, whole, overlapped: false);
        }

        if (!overlapped)
        {
            return whole;
        }

        v = Math.Min(whole, TwoBatchesMs(e, bGpu, ctx));
        cache.SetDecode(index, v, overlapped: true);
        return v;
    }

    private static bool Graphed(in PreparedEngine e, double bGpu) => bGpu <= e.LastGraphedPerGpu;

    // Whether this model runs the engine's decode steps as two overlapped micro-batches (where that is faster).
    private bool Overlaps(in PreparedEngine e) => _twoBatch && _t.FeedForward.IsMoe && Framework.OverlapsMicroBatches(e.Layout.Ep, e.Layout.Dp);

    // A decode step priced afresh: one batch, or two overlapped micro-batches where that is faster.
    private double DecodeStepExact(in PreparedEngine e, double bGpu, double ctx)
    {
        var one = OneBatchMs(e, bGpu, ctx);
        return Overlaps(e) ? Math.Min(one, TwoBatchesMs(e, bGpu, ctx)) : one;
    }

    // A decode step of the whole batch, with its draft passes, ms.
    private double OneBatchMs(in PreparedEngine e, double bGpu, double ctx)
    {
        var policy = Graphed(e, bGpu) ? _graph : _eager;
        return RooflinePhases.Sum(_t, policy, RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, bGpu, ctx, 0, 0, 0, queriesPerRequest: 1 + _drafts)).Total.Milliseconds
            + Drafts(e, policy, bGpu, ctx);
    }

    // Two micro-batches of half the requests, one's dispatch and combine hidden under the other's compute (the decode
    // pipeline of DeepSeek's two-batch overlap), with the draft passes, ms. The overlap needs only the half batch's
    // stages; the one-batch sums it would carry are not used.
    private double TwoBatchesMs(in PreparedEngine e, double bGpu, double ctx)
    {
        var policy = Graphed(e, bGpu) ? _graph : _eager;
        var half = RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, bGpu / 2, ctx, 0, 0, 0, queriesPerRequest: 1 + _drafts);
        var ms = RooflinePhases.Overlap(_t, policy, default, half, commSmShare: 0, pipelined: true).Overlapped.Milliseconds;
        return ms > 0 ? ms + Drafts(e, policy, bGpu, ctx) : double.PositiveInfinity;
    }

    // The draft passes of a step with multi-token prediction, one after another, ms.
    private double Drafts(in PreparedEngine e, RooflinePolicy policy, double bGpu, double ctx) =>
        _drafts == 0 || bGpu <= 0 ? 0 : _drafts * RooflinePhases.DraftPassTime(_t, policy, e.Layout, e.Domain, _p, bGpu, ctx).Milliseconds;

    // One step carrying decode tokens and a prefill chunk per DP group, ms; kernels launched one by one. With a step
    // cache, interpolated between the four grid points around (batch, chunk).
    private double MixedStep(in PreparedEngine e, double bGpu, double chunk, in ServingWorkload w)
    {
        if (e.Cache is { } cache && cache.Workload == (w.Isl, w.Osl, w.CacheHit))
        {
            var (i, fi) = StepCache.Locate(bGpu);
            var (j, fj) = StepCache.Locate(chunk);
            if (i >= 0 && j >= 0)
            {
                // Grid points on both sides of the piecewise graphs' limit: the step is priced exactly.
                if (PiecewiseGraphed(e, StepCache.At(i), StepCache.At(j)) != PiecewiseGraphed(e, StepCache.At(i + 1), StepCache.At(j + 1)))
                {
                    return MixedStepExact(e, bGpu, chunk, w);
                }

                var a = Mixed(cache, e, i, j, w);
                var b = Mixed(cache, e, i + 1, j, w);
                var c = Mixed(cache, e, i, j + 1, w);
                var d = Mixed(cache, e, i + 1, j + 1, w);
                var low = a + (b - a) * fi;
                var high = c + (d - c) * fi;
                return low + (high - low) * fj;
            }
        }

        return MixedStepExact(e, bGpu, chunk, w);
    }

    private double Mixed(StepCache cache, in PreparedEngine e, int i, int j, in ServingWorkload w)
    {
        var v = cache.Mixed(i, j);
        if (double.IsNaN(v))
        {
            v = MixedStepExact(e, StepCache.At(i), StepCache.At(j), w);
            cache.SetMixed(i, j, v);
        }

        return v;
    }

    private double MixedStepExact(in PreparedEngine e, double bGpu, double chunk, in ServingWorkload w)
    {
        var policy = PromptStepPolicy(e, bGpu, chunk);
        return RooflinePhases.Sum(_t, policy, RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, bGpu, Context(w), chunk, w.Isl, w.CacheHit, queriesPerRequest: 1 + _drafts)).Total.Milliseconds
            + Drafts(e, policy, bGpu, Context(w));
    }

    // One prefill step of a chunk per DP group, ms, at the framework's prefill step factor.
    private double PrefillStep(in PreparedEngine e, double chunk, in ServingWorkload w) => Framework.PrefillStepFactor * PrefillStepPriced(e, chunk, w);

    // The same at the kernel data's price; with a step cache, interpolated between grid chunks.
    private double PrefillStepPriced(in PreparedEngine e, double chunk, in ServingWorkload w)
    {
        if (e.Cache is { } cache && cache.Workload == (w.Isl, w.Osl, w.CacheHit))
        {
            var (j, f) = StepCache.Locate(chunk);
            if (j >= 0 && PiecewiseGraphed(e, 0, StepCache.At(j)) == PiecewiseGraphed(e, 0, StepCache.At(j + 1)))
            {
                var lo = cache.Prefill(j);
                if (double.IsNaN(lo))
                {
                    lo = PrefillStepExact(e, StepCache.At(j), w);
                    cache.SetPrefill(j, lo);
                }

                var hi = cache.Prefill(j + 1);
                if (double.IsNaN(hi))
                {
                    hi = PrefillStepExact(e, StepCache.At(j + 1), w);
                    cache.SetPrefill(j + 1, hi);
                }

                return lo + (hi - lo) * f;
            }
        }

        return PrefillStepExact(e, chunk, w);
    }

    private double PrefillStepExact(in PreparedEngine e, double chunk, in ServingWorkload w) =>
        RooflinePhases.Sum(_t, PromptStepPolicy(e, 0, chunk), RooflineWork.Mixed(_t, e.Layout, e.Domain, _p, 0, 0, chunk, w.Isl, w.CacheHit)).Total.Milliseconds;

    // Moving one request's KV cache over the NIC: the prefill GPUs holding distinct KV heads send in parallel, each
    // at the slower of its NIC and the receiving decode GPU's.
    private double KvTransferMs(EngineLayout prefill, in ServingWorkload w, GpuSpec receiver)
    {
        var bytes = RooflineCapacity.KvPerRequest(_t, 1, _p.KvCache, w.Isl).Value;
        var senders = _t.Attention.Kind == AttentionKind.Mla ? 1 : Math.Min(prefill.AttentionTp, Math.Max(1, _t.Attention.KvHeads));
        var gbps = Math.Min(_gpu.ScaleOutBandwidthGBps * _gpu.Efficiency.ScaleOut, receiver.ScaleOutBandwidthGBps * receiver.Efficiency.ScaleOut) * senders;
        return bytes / (gbps * 1e9) * 1000 + Framework.KvTransferOverheadMs;
    }

    /// <summary>
    /// Decimal GB per datasheet GB of HBM: the capacities are binary (an H100's "80 GB" reports 81,559 MiB, a
    /// B200's "180 GB" 183,359 MiB), so servers budget with 2^30-byte gigabytes.
    /// </summary>
    public const double HbmGBPerDatasheetGB = 1.073741824;

    /// <summary>Whether the prepared engine's KV cache holds one whole request of the workload's lengths (else serving it throws, naming the shortfall).</summary>
    public bool HoldsOneRequest(in PreparedEngine e, in ServingWorkload w) => WholeRequestGB(e, w) <= e.KvCapacityGB * e.Layout.Tp;

    // The KV cache of one request at its full length, per TP group (GB): KvPerRequest already sums the group's GPUs
    // (each holds its KV heads, or for MLA the whole latent).
    private double WholeRequestGB(in PreparedEngine e, in ServingWorkload w) =>
        RooflineCapacity.KvPerRequest(_t, e.Layout.Tp, _p.KvCache, (double)w.Isl + w.Osl, _mtpLayers).ToGB();

    // The memory a workload takes on a prepared engine: KV per request in flight, the requests it holds.
    private readonly record struct Memory(double PerRequestGB, double ByMemory, double MaxRunning)
    {
        public static Memory Of(ServingModel m, in PreparedEngine e, in ServingWorkload w)
        {
            var t = m._t;
            var perRequest = RooflineCapacity.KvPerRequest(t, e.Layout.Tp, m._p.KvCache, m.Framework.KvReservesWholeRequest ? w.Isl + w.Osl : Context(w), m._mtpLayers).ToGB();
            if (!m.HoldsOneRequest(e, w))
            {
                throw new InputException(
                    $"{m.Model.Name} on {e.Gpus} x {m._gpu.Name} ({e.Engine.Describe(t)}): one request of {w.Isl} + {w.Osl} tokens needs {m.WholeRequestGB(e, w):F1} GB of KV cache per TP group, more than the {e.KvCapacityGB * e.Layout.Tp:F1} GB it has");
            }

            var byMemory = e.Gpus * e.KvCapacityGB / perRequest;
            return new Memory(perRequest, byMemory, Math.Min(byMemory, e.MaxRunningByCap));
        }
    }
}

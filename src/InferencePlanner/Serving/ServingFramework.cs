namespace InferencePlanner.Serving;

/// <summary>How a framework's memory share is measured.</summary>
public enum MemoryShareOf
{
    /// <summary>A share of the GPU's whole memory holds weights and KV cache (SGLang's --mem-fraction-static, vLLM's --gpu-memory-utilization).</summary>
    Total,

    /// <summary>A share of the memory left after the weights and the runtime's reserve goes to KV cache (TensorRT-LLM's free_gpu_memory_fraction).</summary>
    Free,
}

/// <summary>
/// A serving framework as its data file (data/frameworks) gives it: how its scheduler batches, what it costs per
/// step and per request, and how it shares memory. Calibrated figures say so in their sources.
/// </summary>
/// <param name="Name">Name on the command line (sglang, vllm, trtllm).</param>
/// <param name="DisplayName">Name in tables.</param>
/// <param name="StepOverheadUs">Host time per engine step the GPU waits for (scheduling, sampling, output processing), microseconds.</param>
/// <param name="RequestOverheadMs">Time to first token outside the engine steps (HTTP, tokenisation, admission, the first token's return), ms.</param>
/// <param name="ChunkTokens">Default token budget of one step's prefill chunk, per data-parallel group.</param>
/// <param name="ChunkedPrefill">Whether a prompt longer than the budget is split into chunks; without it a prompt runs whole in one step.</param>
/// <param name="BudgetIncludesDecode">Whether the step budget counts the decode tokens too (vLLM's max_num_batched_tokens, TensorRT-LLM's max_num_tokens) or prefill tokens only (SGLang's chunked prefill size).</param>
/// <param name="MixesPrefill">Whether a step carries prefill chunks and decode tokens together (vLLM, TensorRT-LLM) or a prefill step runs on its own between decode steps (SGLang without --enable-mixed-chunk).</param>
/// <param name="MaxRunningRequests">Default cap on requests running at once per data-parallel group.</param>
/// <param name="CudaGraphMaxBatch">Largest decode batch per data-parallel group replayed from a CUDA graph; larger batches and mixed steps launch kernels one by one.</param>
/// <param name="EagerLaunchUs">Gap between dependent kernels launched one by one (no CUDA graph), microseconds.</param>
/// <param name="MemoryShare">Share of memory for weights and KV cache, or of the free memory for KV cache (<see cref="MemoryShareOf"/>).</param>
/// <param name="MemoryShareOf">What <paramref name="MemoryShare"/> is a share of.</param>
/// <param name="ReserveGB">Memory the runtime keeps besides weights and KV cache (activations, CUDA graphs, workspace), GB per GPU.</param>
/// <param name="KvTransferOverheadMs">Fixed cost of handing one request's KV cache from a prefill to a decode worker (handshake, bookkeeping), ms.</param>
/// <param name="Sources">Where each figure comes from, by field.</param>
public sealed record ServingFramework(
    string Name,
    string DisplayName,
    double StepOverheadUs,
    double RequestOverheadMs,
    int ChunkTokens,
    bool ChunkedPrefill,
    bool BudgetIncludesDecode,
    bool MixesPrefill,
    int MaxRunningRequests,
    int CudaGraphMaxBatch,
    double EagerLaunchUs,
    double MemoryShare,
    MemoryShareOf MemoryShareOf,
    double ReserveGB,
    double KvTransferOverheadMs,
    IReadOnlyDictionary<string, string> Sources)
{
    /// <summary>
    /// Host time per running request of a step (scheduling, sampling and output processing by request), microseconds
    /// per request of one scheduler (a data-parallel rank). The host prepares the next step while the GPU runs this
    /// one, so a step lasts the longer of the two: it shows where many requests meet a short GPU step (wide tensor
    /// parallelism).
    /// </summary>
    public double HostUsPerRequest { get; init; }

    /// <summary>
    /// <see cref="RequestOverheadMs"/> where the server hands detokenising and returning responses to processes of their
    /// own (TensorRT-LLM's num_postprocess_workers), so that a request's first token does not queue behind the executor
    /// process's other work; null where the framework has no such setting or no figure for it.
    /// </summary>
    public double? RequestOverheadWithPostprocessWorkersMs { get; init; }

    /// <summary>Postprocess worker processes the deployment runs (TensorRT-LLM's num_postprocess_workers; 0: none).</summary>
    public int PostprocessWorkers { get; init; }

    /// <summary>
    /// The framework run with <paramref name="workers"/> postprocess workers: its request overhead becomes the one
    /// calibrated on such runs. A framework without that figure is refused with the reason.
    /// </summary>
    public ServingFramework WithPostprocessWorkers(int workers)
    {
        if (workers == 0)
        {
            return this with { PostprocessWorkers = 0 };
        }

        return workers < 0
            ? throw new InputException($"postprocess workers must be at least 0, got {workers}")
            : RequestOverheadWithPostprocessWorkersMs is { } ms
                ? this with { PostprocessWorkers = workers, RequestOverheadMs = ms }
                : throw new InputException($"--postprocess-workers: {DisplayName} has no request overhead for runs with postprocess workers (TensorRT-LLM's num_postprocess_workers; a framework file gives it as requestOverheadWithPostprocessWorkersMs)");
    }

    /// <summary>
    /// The prefill step factor every framework takes unless its file gives its own: calibrated with the frameworks'
    /// other constants (see validate --serving, whose serving-prompt-cost table shows a prompt's cost by itself), one
    /// value for all of them, since a step's kernels are the same whichever scheduler runs them. Published anchor:
    /// TensorRT-LLM issue #5929, DeepSeek-R1 at batch 1 on 8 x H200, TTFT rising 0.035 ms per prompt token, 1.6 times
    /// the kernel data's price.
    /// </summary>
    public const double CalibratedPrefillStepFactor = 1.3;

    /// <summary>
    /// What a prompt's prefill costs in a serving step over what the kernel data prices it at: the step runs every
    /// kernel one after another, where the benchmarks behind the kernel data time each alone and at its best. It scales
    /// a prefill step; a chunk in a mixed step adds the factor's excess over 1 of its own prefill step's price. 1: the
    /// kernel data's price.
    /// </summary>
    public double PrefillStepFactor { get; init; } = CalibratedPrefillStepFactor;

    /// <summary>
    /// Whether a request is admitted only with KV cache for its whole prompt and its longest output reserved
    /// (TensorRT-LLM's default GUARANTEED_NO_EVICT capacity policy), so the running requests each hold ISL + OSL; false
    /// where blocks are taken as tokens arrive (vLLM, SGLang), so they hold ISL + OSL/2 on average.
    /// </summary>
    public bool KvReservesWholeRequest { get; init; }

    /// <summary>
    /// The most tokens a step with prompt tokens in it may carry and still replay its kernels from CUDA graphs captured
    /// piece by piece around attention (vLLM V1's piecewise graphs, captured by a step's tokens up to its largest capture
    /// size); 0 where steps that carry prompts launch their kernels one by one. Attention's own kernels, one or two of
    /// the fifteen or so of a layer, are counted at the graph's launch gap too.
    /// </summary>
    public int PiecewiseGraphTokens { get; init; }

    /// <summary>
    /// Whether kernels launch with programmatic dependent launch (TensorRT-LLM's TRTLLM_ENABLE_PDL=1): each kernel starts
    /// while its predecessor drains, so the prologue and tail charged to each kernel whose time is not measured
    /// (<see cref="Hardware.GpuLatency.KernelUs"/>) overlap its neighbours and are not paid.
    /// </summary>
    public bool ProgrammaticDependentLaunch { get; init; }

    /// <summary>
    /// The kernel data the framework runs where its kernels differ from the ones a GPU's own profile measured: the GPU's
    /// profile name to the profile to price with instead (vLLM's CUTLASS FP8 GEMMs on Blackwell). Empty: the GPU's own.
    /// </summary>
    public IReadOnlyDictionary<string, string> KernelProfiles { get; init; } = new Dictionary<string, string>();

    /// <summary>The GPU as this framework runs it: with the kernel profile the framework's kernels were measured in, where it names one.</summary>
    public Hardware.GpuSpec KernelsOn(Hardware.GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return Kernels.KernelCatalog.For(gpu) is { } own && KernelProfiles.TryGetValue(own.Name, out var name) ? gpu with { KernelProfile = name } : gpu;
    }

    /// <summary>Other names accepted for it (the measurement files' backend names).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Where the file came from.</summary>
    public string Origin { get; init; } = "";

    /// <summary>
    /// The least reserve the framework runs with when its memory share is raised by hand (GB per GPU); null when the
    /// default is all it takes. Used only where the default reserve leaves no room for KV cache.
    /// </summary>
    public double? MinReserveGB { get; init; }

    /// <summary>Memory reserved per token of the chunk budget (activations of the largest step), MB.</summary>
    public double ReserveMBPerChunkToken { get; init; }

    /// <summary>
    /// The flag that runs decode steps as two overlapped micro-batches (SGLang's --enable-two-batch-overlap, vLLM's
    /// --enable-dbo); null when the framework documents none, and the planner's "auto" then leaves overlap out.
    /// </summary>
    public string? TwoBatchOverlapFlag { get; init; }

    /// <summary>Whether the framework overlaps micro-batches only with data-parallel attention (vLLM's DBO targets DP + EP).</summary>
    public bool TwoBatchOverlapNeedsAttentionDp { get; init; }

    /// <summary>Whether an engine of this layout can run two overlapped micro-batches here: experts spread by EP, and attention DP where the framework needs it.</summary>
    public bool OverlapsMicroBatches(int moeEp, int attentionDp) => moeEp > 1 && (!TwoBatchOverlapNeedsAttentionDp || attentionDp > 1);

    /// <summary>Defaults that depend on the GPU's memory, ascending (empty: the framework's own values on every GPU).</summary>
    public IReadOnlyList<MemoryTier> MemoryTiers { get; init; } = [];

    /// <summary>Engines of fewer GPUs than this take a tier's <see cref="MemoryTier.SmallEngineCudaGraphMaxBatch"/> (0: none do).</summary>
    public int SmallEngineGpus { get; init; }

    /// <summary>The tier of a GPU of <paramref name="memoryGB"/>, or null above every tier.</summary>
    public MemoryTier? TierFor(double memoryGB)
    {
        foreach (var t in MemoryTiers)
        {
            if (memoryGB < t.BelowMemoryGB)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>The default chunk budget on a GPU of <paramref name="memoryGB"/>.</summary>
    public int ChunkTokensFor(double memoryGB) => TierFor(memoryGB)?.ChunkTokens ?? ChunkTokens;

    /// <summary>The largest decode batch per data-parallel group replayed from a CUDA graph, for an engine of <paramref name="engineGpus"/> GPUs of <paramref name="memoryGB"/> each.</summary>
    public int CudaGraphMaxBatchFor(double memoryGB, int engineGpus)
    {
        var tier = TierFor(memoryGB);
        var cap = tier?.CudaGraphMaxBatch ?? CudaGraphMaxBatch;
        return engineGpus < SmallEngineGpus && tier?.SmallEngineCudaGraphMaxBatch is { } small ? small : cap;
    }

    /// <summary>The runtime's reserve per GPU for a chunk budget, GB.</summary>
    public double ReserveFor(int chunkTokens) => ReserveGB + ReserveMBPerChunkToken * chunkTokens / 1000;
}

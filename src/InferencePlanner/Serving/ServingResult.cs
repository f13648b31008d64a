namespace InferencePlanner.Serving;

/// <summary>What sets a serving deployment's request rate.</summary>
public enum ServingLimit
{
    /// <summary>The clients: every request is served as soon as it arrives; more concurrency would raise the rate.</summary>
    Concurrency,

    /// <summary>Memory: the KV cache holds fewer requests than are in flight; the rest wait in the queue.</summary>
    Memory,

    /// <summary>The cap on running requests: the layout's max batch per DP group, else the framework's.</summary>
    RunningCap,

    /// <summary>Prefill capacity: prompts arrive faster than the prefill steps take them; they wait in the queue.</summary>
    Prefill,
}

/// <summary>Time to first token, by what it is made of (ms).</summary>
/// <param name="RequestOverhead">Outside the engine steps: HTTP, tokenisation, admission, the first token's return.</param>
/// <param name="Queue">Waiting: for memory, for the prefill capacity, and for the step in progress.</param>
/// <param name="Prefill">The prompt's own prefill steps (its chunks, with the decode tokens sharing them).</param>
/// <param name="KvTransfer">Disaggregated: moving the KV cache from the prefill to the decode worker.</param>
/// <param name="FirstWave">A benchmark run's first wave, all its prompts sent at once, averaged over the run's waves (0 for the steady state).</param>
/// <param name="Delivery">The scheduler's poll interval, a batching wait and TensorRT-LLM's attention-DP balance.</param>
public readonly record struct TtftParts(double RequestOverhead, double Queue, double Prefill, double KvTransfer, double FirstWave = 0, double Delivery = 0)
{
    /// <summary>The whole time to first token.</summary>
    public double Total => RequestOverhead + Queue + Prefill + KvTransfer + FirstWave + Delivery;

    /// <summary>Each part with the words reports print for it, in the order of <see cref="Total"/>.</summary>
    public IReadOnlyList<(string Part, double Ms)> Labelled =>
    [
        ("request overhead (HTTP, tokenisation, admission)", RequestOverhead),
        ("queue (memory, prefill capacity, the step in progress)", Queue),
        ("the prompt's own prefill steps", Prefill),
        ("KV transfer to the decode worker", KvTransfer),
        ("a benchmark run's waves of prompts sent together", FirstWave),
        ("scheduler poll, batching and attention-DP balance waits", Delivery),
    ];
}

/// <summary>Time per output token, by what it is made of (ms).</summary>
/// <param name="Decode">The decode step's GPU work: the model's pass over the running requests.</param>
/// <param name="SharedPrefill">Aggregated: prefill chunks sharing the steps, averaged over all steps.</param>
/// <param name="Overhead">The framework's host time: per step, and by running request where it outlasts the GPU's step.</param>
public readonly record struct TpotParts(double Decode, double SharedPrefill, double Overhead)
{
    /// <summary>The whole time per output token.</summary>
    public double Total => Decode + SharedPrefill + Overhead;

    /// <summary>Each part with the words reports print for it, in the order of <see cref="Total"/>.</summary>
    public IReadOnlyList<(string Part, double Ms)> Labelled =>
    [
        ("decode step on the GPU", Decode),
        ("prefill chunks sharing the steps", SharedPrefill),
        ("framework host time the GPU waits for", Overhead),
    ];
}

/// <summary>Memory of one GPU (decode GPU in disaggregated serving), GB.</summary>
/// <param name="Capacity">HBM capacity.</param>
/// <param name="Weights">Weights held.</param>
/// <param name="Reserve">The runtime's reserve (activations, CUDA graphs, workspace).</param>
/// <param name="KvCapacity">KV cache the framework's memory share leaves.</param>
/// <param name="KvInFlight">KV cache of the requests running in the steady state.</param>
public readonly record struct ServingMemory(double Capacity, double Weights, double Reserve, double KvCapacity, double KvInFlight);

/// <summary>A serving deployment's steady state under a closed-loop workload.</summary>
/// <param name="Ttft">Time to first token.</param>
/// <param name="Tpot">Time per output token.</param>
/// <param name="RequestsPerSecond">Requests completed per second by the whole deployment.</param>
/// <param name="Gpus">GPUs of the deployment.</param>
/// <param name="Running">Requests running (admitted, holding KV cache) on average.</param>
/// <param name="MaxRunning">Requests the KV cache and the framework's cap hold at once.</param>
/// <param name="DecodeBatchPerGpu">Requests decoding per GPU (decode GPU in disaggregated serving).</param>
/// <param name="ChunkTokens">Prompt tokens per prefill step and data-parallel group in the steady state.</param>
/// <param name="Limit">What sets the rate.</param>
/// <param name="Memory">Memory of one GPU.</param>
public readonly record struct ServingResult(
    TtftParts Ttft,
    TpotParts Tpot,
    double RequestsPerSecond,
    int Gpus,
    double Running,
    double MaxRunning,
    double DecodeBatchPerGpu,
    double ChunkTokens,
    ServingLimit Limit,
    ServingMemory Memory)
{
    /// <summary>Input tokens per request, for the throughput figures.</summary>
    public int Isl { get; init; }

    /// <summary>Output tokens per request.</summary>
    public int Osl { get; init; }

    /// <summary>Disaggregated: prefill workers per decode worker at which both sides would carry this rate at their limits; 0 when aggregated.</summary>
    public double BalancedPrefillPerDecode { get; init; }

    /// <summary>Whether the weights fit only with the framework's memory share raised above its default.</summary>
    public bool MemoryShareRaised { get; init; }

    /// <summary>Disaggregated: the largest request rate the prefill workers carry.</summary>
    public double PrefillCapacityPerSecond { get; init; }

    /// <summary>
    /// Requests per GPU the decode step is priced at: <see cref="DecodeBatchPerGpu"/>, or in disaggregated serving one
    /// request per decode worker where the clients are fewer than the workers (a worker steps with one at least).
    /// </summary>
    public double StepBatchPerGpu { get; init; }

    /// <summary>Tokens per second each user sees while its output streams.</summary>
    public double TokensPerSecondPerUser => 1000 / Tpot.Total;

    /// <summary>Output tokens per second per GPU.</summary>
    public double OutputTokensPerSecondPerGpu => RequestsPerSecond * Osl / Gpus;

    /// <summary>Input and output tokens per second per GPU.</summary>
    public double TotalTokensPerSecondPerGpu => RequestsPerSecond * ((double)Isl + Osl) / Gpus;
}

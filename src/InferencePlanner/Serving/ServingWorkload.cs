using System.Globalization;

namespace InferencePlanner.Serving;

/// <summary>How prefill and decode share GPUs.</summary>
public enum ServingMode
{
    /// <summary>One engine runs prefill and decode together (continuous batching, chunked prefill).</summary>
    Aggregated,

    /// <summary>Prefill workers hand each request's KV cache to decode workers over the network.</summary>
    Disaggregated,
}

/// <summary>How the modes are written: short in data files, groups and tables; as words in prose.</summary>
public static class ServingModes
{
    /// <summary>"agg" or "disagg", as the measurement files, the command line and the tables write a mode.</summary>
    public static string ShortName(this ServingMode mode) => mode == ServingMode.Aggregated ? "agg" : "disagg";

    /// <summary>"aggregated" or "disaggregated".</summary>
    public static string Word(this ServingMode mode) => mode == ServingMode.Aggregated ? "aggregated" : "disaggregated";
}

/// <summary>A serving workload as benchmark tools state it: closed-loop clients with fixed input and output lengths.</summary>
/// <param name="Isl">Input (prompt) tokens per request.</param>
/// <param name="Osl">Output tokens per request.</param>
/// <param name="Concurrency">Requests in flight: each client sends its next request when the last one ends.</param>
/// <param name="CacheHit">Share of prompt tokens found in the prefix cache, in [0, 1].</param>
/// <param name="Waves">
/// Requests a benchmark run sends, over the concurrency (0: the steady state alone). Benchmark clients send the
/// first <paramref name="Concurrency"/> requests at once, so the first wave's prompts queue behind each other and
/// the mean TTFT of a run of this many waves carries that burst (InferenceMAX runs 10: --num-prompts = 10 x
/// concurrency).
/// </param>
/// <param name="LengthSpread">
/// Width of the spread of request lengths over their mean (0: every request the same length). Requests of one wave
/// finish over this share of their decode time, so the next wave's prompts arrive spread over it.
/// </param>
public readonly record struct ServingWorkload(int Isl, int Osl, int Concurrency, double CacheHit = 0, int Waves = 0, double LengthSpread = 0)
{
    /// <summary>
    /// Scheduler iterations between two polls for new requests (SGLang's --scheduler-recv-interval; 1: every
    /// iteration, the frameworks' default). A request waits for the next poll: (N - 1) / 2 steps on average.
    /// </summary>
    public int RecvInterval { get; init; } = 1;

    /// <summary>Iterations a prompt may wait for others to batch its prefill with (TensorRT-LLM's batch_wait_timeout_iters; 0 by default).</summary>
    public int BatchWaitSteps { get; init; }

    /// <summary>
    /// Attention data parallelism with TensorRT-LLM's balance (attention_dp_config with enable_balance; 0: off, the
    /// default): a prompt waits, up to this many iterations, until every data-parallel rank has one, so that the ranks
    /// run their prefill in the same step. The balance's own batching wait is <see cref="BatchWaitSteps"/>.
    /// </summary>
    public int BalanceTimeoutSteps { get; init; }

    /// <summary>Throws <see cref="InputException"/> naming the problem when the workload cannot be run.</summary>
    public void Validate()
    {
        if (Isl < 1 || Isl > 10_000_000)
        {
            throw new InputException($"--isl is the prompt length in tokens and must lie in [1, 10000000], got {Isl.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Osl < 1 || Osl > 10_000_000)
        {
            throw new InputException($"--osl is the output length in tokens and must lie in [1, 10000000], got {Osl.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Concurrency < 1 || Concurrency > 10_000_000)
        {
            throw new InputException($"--concurrency is the requests in flight and must lie in [1, 10000000], got {Concurrency.ToString(CultureInfo.InvariantCulture)}");
        }

        Phases.Check.CacheHit(CacheHit);
        if (!(LengthSpread >= 0 && LengthSpread <= 2))
        {
            throw new InputException($"the length spread must lie in [0, 2], got {LengthSpread.ToString(CultureInfo.InvariantCulture)}");
        }

        if (RecvInterval < 1 || BatchWaitSteps < 0 || BalanceTimeoutSteps < 0 || RecvInterval > 10_000 || BatchWaitSteps > 10_000 || BalanceTimeoutSteps > 10_000)
        {
            throw new InputException($"the scheduler's receive interval must lie in [1, 10000], and the batching wait and the attention-DP balance timeout in [0, 10000], got {RecvInterval}, {BatchWaitSteps} and {BalanceTimeoutSteps}");
        }

        if (Waves < 0 || Waves > 1_000_000)
        {
            throw new InputException($"--waves is the requests of a run over the concurrency and must lie in [0, 1000000], got {Waves.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>Prompt tokens that miss the cache and are computed: at least the last, whose output is the first token.</summary>
    public double MissedTokens => Math.Max(1, Isl - Math.Floor(Isl * CacheHit));
}

/// <summary>Disaggregated serving: prefill and decode workers, each an engine of its own layout (xPyD).</summary>
/// <param name="Prefill">Layout of each prefill worker.</param>
/// <param name="PrefillWorkers">Prefill workers (x).</param>
/// <param name="Decode">Layout of each decode worker.</param>
/// <param name="DecodeWorkers">Decode workers (y).</param>
public sealed record DisaggregatedLayout(EngineLayout Prefill, int PrefillWorkers, EngineLayout Decode, int DecodeWorkers)
{
    /// <summary>GPUs of the whole deployment.</summary>
    public long Gpus => (long)Prefill.Gpus * PrefillWorkers + (long)Decode.Gpus * DecodeWorkers;
}

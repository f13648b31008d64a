using System.Globalization;
using InferencePlanner.Hardware;
using InferencePlanner.Models;

namespace InferencePlanner.Phases;

/// <summary>
/// A prefill deployment: <see cref="Nodes"/> nodes whose GPUs run attention as <see cref="Dp"/> data-parallel
/// groups of <see cref="Tp"/> tensor-parallel GPUs, and the experts with expert parallelism over all GPUs.
/// </summary>
/// <param name="SeqLen">Prompt length in tokens, cached or not.</param>
/// <param name="CacheHit">Share of prompt tokens whose KV is already cached, in [0, 1].</param>
/// <param name="Tp">Tensor parallelism of attention.</param>
/// <param name="Dp">Data-parallel attention groups across the deployment.</param>
/// <param name="Nodes">Nodes in the deployment.</param>
public sealed record PrefillScenario(int SeqLen, double CacheHit, int Tp, int Dp, int Nodes)
{
    /// <summary>The article's deployment: 4 nodes, TP4 x DP8, prompts of 4383 tokens with 56.3% cache hits.</summary>
    public static PrefillScenario Article { get; } = new(4383, 0.563, 4, 8, 4);

    /// <summary>Checks the scenario against a model and GPU; throws <see cref="InputException"/> naming the problem.</summary>
    public void Validate(MlaMoeArchitecture model, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        Check.Positive(SeqLen, "--seq-len");
        Check.Positive(Nodes, "--nodes");
        Check.CacheHit(CacheHit);
        Check.Tp(Tp, model, gpu);
        Check.Positive(Dp, "--dp");
        var gpus = Nodes * gpu.GpusPerNode;
        if (Tp * Dp != gpus)
        {
            throw new InputException(
                $"TP {Tp} x DP {Dp} = {Tp * Dp} GPUs, but {Nodes} nodes of {gpu.Name} hold {gpus}: TP x DP must use every GPU");
        }
    }

    /// <summary>GPUs in the deployment.</summary>
    public int Gpus => Tp * Dp;
}

/// <summary>A decode workload: each request's context and output lengths.</summary>
/// <param name="SeqLen">KV length attended per output token (the article: 4383, its prompt length).</param>
/// <param name="DecodeLen">Output tokens per request, which also occupy KV cache (the article: 1210).</param>
public sealed record DecodeScenario(int SeqLen, int DecodeLen)
{
    /// <summary>The article's workload.</summary>
    public static DecodeScenario Article { get; } = new(4383, 1210);

    /// <summary>The article's batch sizes per GPU.</summary>
    public static IReadOnlyList<int> ArticleBatches { get; } = [32, 64, 128, 256];

    /// <summary>Checks the lengths; throws <see cref="InputException"/> naming the problem.</summary>
    public void Validate()
    {
        Check.Positive(SeqLen, "--seq-len");
        Check.Positive(DecodeLen, "--decode-len");
    }
}

/// <summary>Shared checks with messages that name the option.</summary>
public static class Check
{
    /// <summary>A count that must be at least 1.</summary>
    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new InputException($"{name} must be a positive whole number, got {value}");
        }
    }

    /// <summary>A ratio that must lie in [0, 1].</summary>
    public static void CacheHit(double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new InputException($"--cache-hit must lie in [0, 1], got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>A tensor-parallel degree that divides the attention heads and the GPUs of a node.</summary>
    public static void Tp(int tp, MlaMoeArchitecture model, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        Positive(tp, "--tp");
        if (model.Heads % tp != 0)
        {
            throw new InputException($"TP {tp} does not divide the model's {model.Heads} attention heads");
        }

        if (gpu.GpusPerNode % tp != 0)
        {
            throw new InputException($"TP {tp} does not divide the {gpu.GpusPerNode} GPUs per node of {gpu.Name}");
        }
    }

    /// <summary>Batch sizes: a non-empty list of positive counts.</summary>
    public static void Batches(IReadOnlyList<int> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            throw new InputException("--batch needs at least one batch size");
        }

        foreach (var b in batches)
        {
            Positive(b, "--batch sizes");
        }
    }
}

using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>
/// The weight sizes the seed's memory budget uses, in its own units: "GB" of other weights (its 2^30-byte
/// GB, one byte per FP8 parameter) and millions of parameters per block.
/// </summary>
/// <param name="OtherWeightsGB">Weights other than MLA and experts (dense MLP, gates, embedding, output).</param>
/// <param name="MlaMillions">Standard MLA parameters per layer, millions.</param>
/// <param name="AbsorbedMlaMillions">Absorbed MLA parameters per layer, millions.</param>
/// <param name="ExpertMillions">Parameters per expert, millions.</param>
/// <param name="Rounded">Whether these are the article's rounded DeepSeek-V3 constants.</param>
public readonly record struct SeedMemoryConstants(double OtherWeightsGB, double MlaMillions, double AbsorbedMlaMillions, double ExpertMillions, bool Rounded)
{
    /// <summary>The article's constants for DeepSeek-V3.</summary>
    public static SeedMemoryConstants Article => new(2.91, 187.17, 598.14, 44.05, true);

    /// <summary>The article's constants for DeepSeek-V3 (when the options ask), otherwise computed from the shapes.</summary>
    public static SeedMemoryConstants For(MlaMoeArchitecture m, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(o);
        if (o.RoundedDeepSeekV3Constants && m == MlaMoeArchitecture.DeepSeekV3)
        {
            return Article;
        }

        var other = ParameterSummary.OtherParameters(m);
        return new SeedMemoryConstants(
            Bytes.FromBytes(other).ToGiB(),
            MlaWork.StandardParameters(m) / 1e6,
            MlaWork.AbsorbedParameters(m) / 1e6,
            FeedForwardWork.ExpertParameters(m) / 1e6,
            false);
    }
}

/// <summary>The seed's decode memory budget: how many requests of a given length fit on one GPU.</summary>
public static class SeedCapacity
{
    /// <summary>
    /// Requests per GPU that fit, unrounded (the article's <c>_decoding_batchsize</c>):
    /// left = mem x utilisation - other weights - MLA(M) x layers / tp / 1024 - expert(M) x MoE layers x experts per GPU / 1024;
    /// batch = left x 2^30 / ((seq_len + decode_len) x (kv_lora + rope) x layers x tp x bytes per element).
    /// Negative when the weights alone exceed memory. The KV cache is replicated on every TP rank (MLA has one latent head).
    /// </summary>
    public static double MaxBatch(
        MlaMoeArchitecture m, GpuSpec gpu, DecodeScenario s, int tp, double expertsPerGpu, bool absorbed, Precision kv, SeedOptions o)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        var c = SeedMemoryConstants.For(m, o);
        var kvPerRequest = (double)(s.SeqLen + s.DecodeLen) * m.KvElementsPerTokenPerLayer * m.Layers * tp * kv.BytesPerElement();
        var mla = absorbed ? c.AbsorbedMlaMillions : c.MlaMillions;

        // The article turns millions of parameters into its "GB" by dividing by 1024; kept as it is.
        var left = gpu.MemoryGB * o.MemoryUtilization - c.OtherWeightsGB - mla * m.Layers / tp / 1024;
        left -= c.ExpertMillions * m.MoeLayers * expertsPerGpu / 1024;
        return left * Bytes.BytesPerGiB / kvPerRequest;
    }
}

using InferencePlanner.Work;

namespace InferencePlanner.Phases;

/// <summary>Options of the roofline model that are not GPU data.</summary>
public sealed record RooflineOptions
{
    /// <summary>Share of HBM usable for weights and KV cache (the rest: framework, activations, fragmentation).</summary>
    public double MemoryUtilization { get; init; } = 0.9;

    /// <summary>Expert load imbalance before redundancy (busiest GPU over the mean) as given; null to derive it (<see cref="RooflineLayout.EffectiveImbalance"/>).</summary>
    public double? Imbalance { get; init; }

    /// <summary>Spread of load across experts from which the imbalance is derived (the calibrated constant unless calibrating).</summary>
    public double ExpertLoadSpread { get; init; } = RooflineLayout.ExpertLoadSpread;

    /// <summary>How MLA runs in decode (real kernels absorb on the fly).</summary>
    public MlaForm MlaDecodeForm { get; init; } = MlaForm.OnTheFly;

    /// <summary>
    /// Whether two micro-batches may overlap communication with compute (DeepSeek's two-batch overlap). They are
    /// used where they are faster than one batch: the second read of the weights and the smaller GEMMs can cost
    /// more than the communication they hide (SGLang turns the overlap off on NVL72 for this reason).
    /// </summary>
    public bool TwoBatchOverlap { get; init; } = true;

    /// <summary>
    /// Tokens a request gains per decode step with 0 to 5 chained draft tokens, as measured for DeepSeek-R1 with its
    /// one MTP module run autoregressively (TensorRT-LLM tech blog 1, "Pushing Latency Boundaries: Optimizing
    /// DeepSeek-R1 Performance on NVIDIA B200 GPUs", table "Autoregressive MTP Layers": acceptance 1.92, 2.58, 2.82,
    /// 2.99 and 3.01 for MTP 1 to 5, ISL 1k / OSL 2k, strict acceptance). Later drafts add little: the module was
    /// trained to predict one token ahead. Used when no tokens per step are given; more than 5 drafts hold at 3.01.
    /// </summary>
    public static IReadOnlyList<double> MtpMeasuredTokensPerStep { get; } = [1, 1.92, 2.58, 2.82, 2.99, 3.01];

    /// <summary>Where <see cref="MtpMeasuredTokensPerStep"/> comes from, as outputs name it.</summary>
    public const string MtpAcceptanceSource = "DeepSeek-R1's measured acceptance with chained drafts, TensorRT-LLM tech blog 1";

    /// <summary>Multi-token prediction: draft tokens per request and step (0: none). Needs a model with an MTP module.</summary>
    public int MtpDraftTokens { get; init; }

    /// <summary>Multi-token prediction: tokens a request gains per step, as given; null for the measured tokens per step of that many drafts (<see cref="MtpMeasuredTokensPerStep"/>).</summary>
    public double? MtpTokensPerStep { get; init; }

    /// <summary>Throws <see cref="InputException"/> naming the problem when the multi-token-prediction settings are not possible.</summary>
    public void CheckMtp()
    {
        if (MtpDraftTokens < 0)
        {
            throw new InputException($"--mtp is the number of draft tokens per step and must not be negative, got {MtpDraftTokens}");
        }

        if (!(TokensPerStep >= 1 && TokensPerStep <= 1 + MtpDraftTokens))
        {
            throw new InputException($"--mtp-tokens is the tokens a request gains per step, between 1 and 1 + {MtpDraftTokens} drafts, got {Reporting.Num.S(TokensPerStep)}");
        }
    }

    /// <summary>Tokens each request gains per decode step: 1 without multi-token prediction.</summary>
    public double TokensPerStep
    {
        get
        {
            if (MtpDraftTokens <= 0)
            {
                return 1;
            }

            if (MtpTokensPerStep is { } given)
            {
                return given;
            }

            var table = MtpMeasuredTokensPerStep;
            return table[Math.Min(MtpDraftTokens, table.Count - 1)];
        }
    }
}

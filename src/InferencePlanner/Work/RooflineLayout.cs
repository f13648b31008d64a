using InferencePlanner.Hardware;
using InferencePlanner.Models;

namespace InferencePlanner.Work;

/// <summary>
/// A deployment for the roofline model: <see cref="Gpus"/> GPUs serving one model instance; attention runs as
/// data-parallel groups of <see cref="Tp"/> tensor-parallel GPUs; experts are spread over all GPUs (EP = GPUs)
/// with <see cref="RedundantExperts"/> extra copies; dense models shard their MLP with the attention TP.
/// </summary>
/// <param name="Gpus">GPUs in the deployment.</param>
/// <param name="Tp">Tensor parallelism of attention (and of dense MLPs).</param>
/// <param name="RedundantExperts">Extra expert copies for load balancing (EPLB).</param>
/// <param name="Imbalance">
/// Expert load imbalance without redundancy as given: tokens on the busiest GPU over the mean (at least 1); null to
/// derive it from the spread of expert loads (<see cref="EffectiveImbalance"/>).
/// </param>
public sealed record RooflineLayout(int Gpus, int Tp, int RedundantExperts, double? Imbalance)
{
    /// <summary>
    /// Spread of the load of one expert around the mean (coefficient of variation across experts) under real
    /// traffic, after the placement a balancer chooses. No public figure gives it; it is the roofline model's one
    /// calibrated constant: of 0.1, 0.2, ..., 1.0, the value with the least squared log error over all seven
    /// end-to-end measurements bundled in data/measurements (0.6 and 0.8 do worse). Everything else in those
    /// predictions comes from datasheets and kernel data.
    /// </summary>
    public const double ExpertLoadSpread = 0.7;

    /// <summary>Most extra copies of each expert a layout may hold on average: a bound on layouts that cannot exist, far above what balancers use (DeepSeek: 32 redundant of 256).</summary>
    public const int MaxCopiesPerExpert = 64;

    /// <summary>The expert load spread this layout derives its imbalance from (<see cref="ExpertLoadSpread"/> unless calibrating).</summary>
    public double LoadSpread { get; init; } = ExpertLoadSpread;

    /// <summary>Data-parallel attention groups.</summary>
    public int Dp => Gpus / Tp;

    /// <summary>
    /// Tensor parallelism of the experts: each expert's intermediate dimension is split over this many GPUs, as
    /// TensorRT-LLM's MoE TP does (1: experts whole, spread by expert parallelism only).
    /// </summary>
    public int MoeTp { get; init; } = 1;

    /// <summary>
    /// Whether tensor parallelism may span several scale-up domains (whole ones), its all-reduce crossing the NIC, as
    /// serving frameworks run multi-node TP; the prefill and decode commands keep TP inside one domain.
    /// </summary>
    public bool TpAcrossDomains { get; init; }

    /// <summary>Expert parallelism: GPUs the experts are spread over (the GPUs over the MoE TP).</summary>
    public int Ep => Gpus / MoeTp;

    /// <summary>
    /// The layout for <paramref name="gpus"/> GPUs with the fewest redundant experts (at least <paramref name="minRedundant"/>) that
    /// spread the experts evenly.
    /// </summary>
    public static RooflineLayout For(TransformerSpec t, int gpus, int tp, int? redundant, double? imbalance, int minRedundant = 0)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (gpus <= 0)
        {
            throw new InputException($"the deployment needs at least one GPU, got {gpus}");
        }

        var r = redundant ?? 0;
        if (redundant is null && t.FeedForward.IsMoe)
        {
            r = minRedundant;
            while ((t.FeedForward.RoutedExperts + r) % gpus != 0)
            {
                r++;
            }
        }

        return new RooflineLayout(gpus, tp, r, imbalance);
    }

    /// <summary>Checks the layout against the model and GPU; throws <see cref="InputException"/> naming the problem.</summary>
    public void Validate(TransformerSpec t, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        if (Tp <= 0 || Gpus % Tp != 0)
        {
            throw new InputException($"TP {Tp} does not divide the deployment's {Gpus} GPUs");
        }

        if (t.Attention.Heads % Tp != 0)
        {
            throw new InputException($"TP {Tp} does not divide the model's {t.Attention.Heads} attention heads");
        }

        if (Tp > gpu.GpusPerNode && (!TpAcrossDomains || Tp % gpu.GpusPerNode != 0))
        {
            throw new InputException(TpAcrossDomains
                ? $"TP {Tp} spans part of a scale-up domain of {gpu.Name} ({gpu.GpusPerNode} GPUs): a TP wider than one domain takes whole domains"
                : $"TP {Tp} does not fit the scale-up domain of {gpu.Name} ({gpu.GpusPerNode} GPUs)");
        }

        if (MoeTp <= 0 || Gpus % MoeTp != 0)
        {
            throw new InputException($"MoE TP {MoeTp} does not divide the deployment's {Gpus} GPUs");
        }

        if (MoeTp > 1 && t.FeedForward.IsMoe && t.FeedForward.ExpertIntermediate % MoeTp != 0)
        {
            throw new InputException($"MoE TP {MoeTp} does not divide the experts' intermediate size {t.FeedForward.ExpertIntermediate}");
        }

        if (MoeTp > gpu.GpusPerNode && (!TpAcrossDomains || MoeTp % gpu.GpusPerNode != 0))
        {
            throw new InputException($"MoE TP {MoeTp} does not fit the scale-up domain of {gpu.Name} ({gpu.GpusPerNode} GPUs)");
        }

        if (Imbalance is { } i && (!(i >= 1) || !double.IsFinite(i)))
        {
            throw new InputException($"--imbalance is the busiest GPU's load over the mean and must be at least 1, got {Reporting.Num.S(i)}");
        }

        if (RedundantExperts < 0)
        {
            throw new InputException($"--redundant must not be negative, got {RedundantExperts}");
        }

        var f = t.FeedForward;
        if (f.IsMoe && RedundantExperts > MaxCopiesPerExpert * (long)f.RoutedExperts)
        {
            throw new InputException(
                $"{RedundantExperts} redundant experts for EP {Ep}: more than {MaxCopiesPerExpert} extra copies of each of the model's {f.RoutedExperts} routed experts; use a narrower EP or fewer redundant experts");
        }

        if (f.IsMoe && Ep > 1 && Ep > f.RoutedExperts + RedundantExperts)
        {
            throw new InputException($"EP {Ep} exceeds the {f.RoutedExperts + RedundantExperts} expert copies: some GPUs would hold no expert");
        }
    }

    /// <summary>Expert copies per GPU (routed with redundant copies); fractional when they do not spread evenly.</summary>
    public double ExpertsPerGpu(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.FeedForward.IsMoe ? (t.FeedForward.RoutedExperts + RedundantExperts) / (double)Ep : 0;
    }

    /// <summary>
    /// Load of the busiest GPU over the mean when each GPU routes <paramref name="tokensPerGpu"/> tokens.
    /// Given an imbalance, redundant copies take load off the hottest experts in proportion to the slots they
    /// add, so its excess over 1 shrinks by routed / (routed + redundant) slots. Otherwise it is derived: a GPU's
    /// load sums its expert slots, whose loads spread by <see cref="ExpertLoadSpread"/> (shrunk the same way by
    /// redundancy), plus the sampling noise of routing a finite number of token copies; the busiest of G GPUs
    /// sits about sqrt(2 ln G) standard deviations above the mean (the largest of G normal draws,
    /// <see cref="OrderStatistics.LargestOfNormalsBound"/>):
    /// 1 + sqrt(2 ln G) x sqrt(spread^2 / slots per GPU + 1 / copies per GPU). Fewer experts per GPU, more GPUs
    /// and smaller batches all raise it, as the measurements of SGLang's and DeepSeek's balancers describe.
    /// </summary>
    public double EffectiveImbalance(TransformerSpec t, double tokensPerGpu)
    {
        ArgumentNullException.ThrowIfNull(t);
        var f = t.FeedForward;
        double routed = f.RoutedExperts, slots = routed + RedundantExperts;
        var ep = Ep;
        if (routed == 0 || ep <= 1)
        {
            return 1;
        }

        if (Imbalance is { } given)
        {
            return 1 + (given - 1) * routed / slots;
        }

        var spread = LoadSpread * routed / slots;
        var copies = Math.Max(tokensPerGpu * f.TopK, 1);
        var sd = Math.Sqrt(spread * spread / (slots / ep) + 1 / copies);
        return 1 + OrderStatistics.LargestOfNormalsBound(ep) * sd;
    }
}

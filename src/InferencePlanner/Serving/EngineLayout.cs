using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Work;

namespace InferencePlanner.Serving;

/// <summary>
/// One serving engine's layout: attention runs as <see cref="AttentionDp"/> data-parallel groups of
/// <see cref="AttentionTp"/> tensor-parallel GPUs; the experts are split <see cref="MoeTp"/> ways by tensor
/// parallelism and spread <see cref="MoeEp"/> ways by expert parallelism (MoE TP x MoE EP = the engine's GPUs);
/// a dense model's MLP follows the attention TP.
/// </summary>
/// <param name="AttentionTp">Tensor parallelism of attention (and of dense MLPs).</param>
/// <param name="AttentionDp">Data-parallel attention groups.</param>
/// <param name="MoeTp">Tensor parallelism of the experts.</param>
/// <param name="MoeEp">Expert parallelism.</param>
public sealed record EngineLayout(int AttentionTp, int AttentionDp, int MoeTp, int MoeEp)
{
    /// <summary>GPUs of the engine.</summary>
    public int Gpus => AttentionTp * AttentionDp;

    /// <summary>
    /// Extra expert copies the engine holds for load balancing (EPLB), spread evenly over its expert-parallel ranks:
    /// the hottest experts are replicated, so the busiest rank's excess load shrinks, at the cost of their weights' memory
    /// (<see cref="RooflineLayout.EffectiveImbalance"/>). 0: none.
    /// </summary>
    public int RedundantExperts { get; init; }

    /// <summary>
    /// Requests one data-parallel group runs at once, where the deployment sets it (TensorRT-LLM's max_batch_size,
    /// SGLang's --max-running-requests, vLLM's --max-num-seqs); null: the framework's default. Requests beyond it wait
    /// in the queue, and TTFT shows it. On a disaggregated prefill worker it caps the prompts one step carries.
    /// </summary>
    public int? MaxBatch { get; init; }

    /// <summary>
    /// The layout a framework starts one engine in when given only the GPUs: tensor parallelism over all of them,
    /// the experts split by tensor parallelism too (SGLang's and vLLM's --tp without expert parallelism,
    /// TensorRT-LLM's default moe_tensor_parallel_size = tp_size).
    /// </summary>
    public static EngineLayout TensorParallel(int gpus) => new(gpus, 1, gpus, 1);

    /// <summary>The largest tensor parallelism within one node (at most 8 GPUs) that divides the model's attention heads.</summary>
    public static int OneNodeTensorParallelism(TransformerSpec t, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        var tp = Math.Min(8, gpu.GpusPerNode);
        while (tp > 1 && t.Attention.Heads % tp != 0)
        {
            tp--;
        }

        return tp;
    }

    /// <summary>The roofline-model layout this engine is priced with.</summary>
    public RooflineLayout ToRooflineLayout(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new RooflineLayout(Gpus, AttentionTp, t.FeedForward.IsMoe ? RedundantExperts : 0, null) { MoeTp = t.FeedForward.IsMoe ? MoeTp : 1, TpAcrossDomains = true };
    }

    /// <summary>Checks the layout against the model and GPU; throws <see cref="InputException"/> naming the problem.</summary>
    public void Validate(TransformerSpec t, GpuSpec gpu, string side = "")
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gpu);
        var what = side.Length > 0 ? side + " " : "";
        if (AttentionTp < 1 || AttentionDp < 1 || MoeTp < 1 || MoeEp < 1)
        {
            throw new InputException($"the {what}layout needs TP, DP, MoE TP and MoE EP of at least 1, got TP {AttentionTp}, DP {AttentionDp}, MoE TP {MoeTp}, MoE EP {MoeEp}");
        }

        if (t.FeedForward.IsMoe && (long)MoeTp * MoeEp != Gpus)
        {
            throw new InputException(
                $"the {what}layout's MoE TP {MoeTp} x MoE EP {MoeEp} = {(long)MoeTp * MoeEp} GPUs, but its attention TP {AttentionTp} x DP {AttentionDp} uses {Gpus}: the experts must cover the engine's GPUs");
        }

        if (MaxBatch is < 1 or > 1_000_000)
        {
            throw new InputException($"the {what}layout's running requests per DP group (max batch) must lie in [1, 1000000], got {MaxBatch}");
        }

        if (RedundantExperts != 0)
        {
            var f = t.FeedForward;
            if (!f.IsMoe || MoeEp < 2)
            {
                throw new InputException($"the {what}layout has {RedundantExperts} redundant experts, but redundant experts balance expert parallelism: they need a MoE model and MoE EP of at least 2");
            }

            if (RedundantExperts < 0 || (f.RoutedExperts + (long)RedundantExperts) % MoeEp != 0)
            {
                throw new InputException(
                    $"the {what}layout's {f.RoutedExperts} routed experts and {RedundantExperts} redundant copies do not spread evenly over MoE EP {MoeEp}: use a multiple of {MoeEp} redundant experts");
            }
        }

        ToRooflineLayout(t).Validate(t, gpu);
    }

    /// <summary>The layout as people write it: "TP8", "TP1 x DP8, EP8", "TP8, MoE TP8".</summary>
    public string Describe(TransformerSpec t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var attention = AttentionDp > 1 ? $"TP{AttentionTp} x DP{AttentionDp}" : $"TP{AttentionTp}";
        if (!t.FeedForward.IsMoe)
        {
            return Batch(attention);
        }

        var moe = MoeTp > 1 && MoeEp > 1 ? $"{attention}, MoE TP{MoeTp} x EP{MoeEp}" : MoeEp > 1 ? $"{attention}, EP{MoeEp}" : $"{attention}, MoE TP{MoeTp}";
        return Batch(RedundantExperts > 0 ? $"{moe} +{RedundantExperts} redundant experts" : moe);
    }

    private string Batch(string layout) => MaxBatch is { } b ? $"{layout}, max batch {b}" : layout;
}

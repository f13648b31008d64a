namespace InferencePlanner.Tests;

/// <summary>
/// An independent, deliberately plain implementation of the seed's model, written line by line from the
/// formulas of seed-model.md (sections 1-4) with doubles and the article's units, sharing no code with the
/// library. The agreement tests compare the library with it at inputs the article never used.
/// </summary>
internal static class SeedReference
{
    internal sealed record Args(
        double Dim, double InterDim, double MoeInterDim, double Layers, double DenseLayers, double Heads, double Routed,
        double Shared, double TopK, double QLora, double KvLora, double Nope, double Rope, double VHead, double LimitedGroups, double Vocab);

    internal sealed record Gpu(string Name, double Sm, double CommSm, double Fp16, double Fp8, double Mem, double MemBw, double NvLink, double Nic, int PerNode);

    public static readonly Args V3 = new(7168, 18432, 2048, 61, 3, 128, 256, 1, 8, 1536, 512, 128, 64, 128, 4, 129280);

    // mla_flops(q, kv, rate): (gemm GFLOP, attn GFLOP)
    public static (double Gemm, double Attn) MlaFlops(Args a, double q, double kv, double rate)
    {
        var gemm = q * a.Dim * a.QLora + q * a.QLora * a.Heads * (a.Nope + a.Rope) + kv * a.Dim * (a.KvLora + a.Rope) * (1 - rate)
            + kv * a.KvLora * a.Heads * a.Nope + kv * a.KvLora * a.Heads * a.VHead;
        var attn = a.Heads * (q * a.Rope * kv + q * a.Nope * kv + q * kv * a.VHead) + q * a.Heads * a.VHead * a.Dim;
        return (gemm * 2 / 1e9, attn * 2 / 1e9);
    }

    // mla_absorb_flops(q, kv, rate)
    public static (double Gemm, double Attn) MlaAbsorbFlops(Args a, double q, double kv, double rate)
    {
        var gemm = q * a.Dim * a.QLora + q * a.QLora * a.Heads * a.Rope + q * a.Heads * a.QLora * a.KvLora + kv * a.Dim * (a.KvLora + a.Rope) * (1 - rate);
        var attn = a.Heads * (q * a.Rope * kv + q * a.KvLora * kv + q * kv * a.KvLora) + q * a.Heads * a.KvLora * a.Dim;
        return (gemm * 2 / 1e9, attn * 2 / 1e9);
    }

    public static double DenseFlops(Args a, double n) => 3 * n * a.Dim * a.InterDim * 2 / 1e9;

    public static double ExpertFlops(Args a, double n) => 3 * n * a.Dim * a.MoeInterDim * 2 / 1e9;

    private static double Fp8(Gpu g, double d, double comm) => g.Fp8 * d * (g.Sm - comm) / g.Sm;

    private static double Fp16(Gpu g, double d, double comm) => g.Fp16 * d * (g.Sm - comm) / g.Sm;

    /// <summary>Prefill (section 3): per-layer times and totals.</summary>
    public static double[] Prefill(Args a, Gpu g, double seq, double rate, int tp, int dp, int nodes, double d)
    {
        var (gemm, attn) = MlaFlops(a, seq, seq, rate);
        var tp1 = gemm / Fp8(g, d, g.CommSm) + attn / Fp16(g, d, g.CommSm);
        var ar = seq * a.Dim * 2 / 1024 / 1024 / (g.NvLink * d);
        var tpn = tp == 1 ? tp1 : tp1 / tp + ar;
        var mlp = DenseFlops(a, seq) / Fp8(g, d, g.CommSm);
        var devices = (double)tp * dp;
        var shared = ExpertFlops(a, dp * seq / devices) * a.Shared / Fp8(g, d, g.CommSm);
        var routed = ExpertFlops(a, seq * dp * a.TopK / devices) / Fp8(g, d, g.CommSm);
        var dispatchNodes = Math.Min(a.LimitedGroups, nodes);
        var dispatch = (dispatchNodes - 1) * ((double)g.PerNode / tp) * seq * a.Dim / 1024 / 1024 / (g.Nic * d * g.PerNode);
        var combine = 2 * dispatch;
        var moeLayers = a.Layers - a.DenseLayers;
        var sumO = a.DenseLayers * (tp1 + mlp) + moeLayers * (tpn + shared + routed);
        var sum = sumO + moeLayers * (dispatch + combine);
        var tpsO = dp * seq * (1000 / sumO) / nodes;
        var tps = dp * seq * (1000 / sum) / nodes;
        return [tp1, ar, tpn, mlp, shared, routed, dispatch, combine, sumO, sum, tpsO, tps, tpsO * (a.KvLora + a.Rope) / 1024 / 1024];
    }

    /// <summary>Decode (section 4) for one batch size; TP chosen as the article does, TP8 for H20_3e.</summary>
    public static double[] Decode(Args a, Gpu g, double seq, double bs, double d)
    {
        var (gemm, attn) = MlaAbsorbFlops(a, 1, seq, 1);
        var tp1 = gemm / Fp8(g, d, 0) * bs + attn / Fp16(g, d, 0) * bs;
        var ar = seq * a.Dim * 2 / 1024 / 1024 / (g.NvLink * d);
        var tp4 = tp1 / 4 + ar;
        var tp8 = tp1 / 8 + ar;
        var kv = seq * (a.KvLora + a.Rope) * bs / 1024 / 1024 / 1024 / (g.MemBw * d) * 1000;
        var chosen = tp1 > tp4 ? (g.Name == "H20_3e" ? tp8 : tp4) : tp1;
        var denseMla = tp1 + kv;
        var sparseMla = chosen + kv;
        var mlp = DenseFlops(a, bs) / Fp8(g, d, 0);
        var shared = ExpertFlops(a, bs) * a.Shared / Fp8(g, d, 0) / 0.7;
        var routed = ExpertFlops(a, bs * a.TopK) / Fp8(g, d, 0) / 0.7;
        var dispatch = bs * a.Dim * a.TopK / 1024 / 1024 / (g.Nic * d);
        var combine = 2 * dispatch;
        var moeLayers = a.Layers - a.DenseLayers;
        var tpotO = (denseMla + mlp) * a.DenseLayers + (sparseMla + shared + routed) * moeLayers;
        var tpot = tpotO + (dispatch + combine) * moeLayers;
        return [tp1, tp4, tp8, kv, denseMla, sparseMla, mlp, shared, routed, dispatch, combine, tpotO, tpot, 1000 / tpotO * bs, sparseMla + shared - (dispatch + combine)];
    }

    /// <summary>_decoding_batchsize with parameters computed from the shapes (the path for any model but DeepSeek-V3).</summary>
    public static double MaxBatch(Args a, Gpu g, double seq, double decodeLen, int tp, double experts, bool absorb, bool fp16)
    {
        var mlaParams = absorb
            ? a.Dim * a.QLora + a.QLora * a.Heads * a.Rope + a.Heads * a.QLora * a.KvLora + a.Dim * (a.KvLora + a.Rope) + a.Heads * a.KvLora * a.Dim
            : (a.Dim * a.QLora + a.QLora) + a.QLora + (a.QLora * a.Heads * (a.Nope + a.Rope) + a.Heads * (a.Nope + a.Rope))
              + (a.Dim * (a.KvLora + a.Rope) + a.KvLora + a.Rope) + a.KvLora + (a.KvLora * a.Heads * (a.Nope + a.VHead) + a.Heads * (a.Nope + a.VHead))
              + (a.Heads * a.VHead * a.Dim + a.Dim);
        var expert = 3 * a.Dim * a.MoeInterDim + 2 * a.MoeInterDim + a.Dim;
        var dense = 3 * a.Dim * a.InterDim + 2 * a.InterDim + a.Dim;
        var gate = a.Dim * a.Routed + a.Routed;
        return MaxBatchWith(a, g, seq, decodeLen, tp, experts, fp16,
            others: (dense * a.DenseLayers + gate * (a.Layers - a.DenseLayers) + 2 * a.Vocab * a.Dim) / (1024.0 * 1024 * 1024),
            mla: mlaParams / 1e6, expertM: expert / 1e6);
    }

    public static double MaxBatchWith(Args a, Gpu g, double seq, double decodeLen, int tp, double experts, bool fp16, double others, double mla, double expertM)
    {
        var kvCache = (seq + decodeLen) * (a.KvLora + a.Rope) * a.Layers * tp * (fp16 ? 2 : 1);
        var mem = g.Mem * 0.9 - others - mla * a.Layers / tp / 1024;
        mem -= expertM * (a.Layers - a.DenseLayers) * experts / 1024;
        return mem * 1024 * 1024 * 1024 / kvCache;
    }
}

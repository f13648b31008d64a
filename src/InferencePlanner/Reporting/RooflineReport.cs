using InferencePlanner.Hardware;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Pricing;
using InferencePlanner.Units;
using InferencePlanner.Planning;
using InferencePlanner.Serving;
using InferencePlanner.Work;

namespace InferencePlanner.Reporting;

/// <summary>The documents each command prints under the default preset (the roofline model).</summary>
public static class RooflineReport
{
    private const int Ms = 3;

    /// <summary>Blocks: parameters, FLOPs and KV bytes per block, totals and active parameters.</summary>
    public static Document Blocks(ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var t = model.Transformer;
        var f = t.FeedForward;
        var a = t.Attention;
        var rows = new List<IReadOnlyList<Cell>>
        {
            Row(AttentionLabel(a), TransformerParameters.Attention(t), t.Layers - a.LinearLayers),
        };
        if (a.Linear is not null)
        {
            rows.Add(Row("Linear attention (Gated DeltaNet)", TransformerParameters.LinearAttention(t), a.LinearLayers));
        }

        if (f.DenseLayers > 0)
        {
            rows.Add(Row("Dense MLP", TransformerParameters.DenseMlp(t), f.DenseLayers));
        }

        if (f.IsMoe)
        {
            rows.Add(Row($"Expert x {f.RoutedExperts} routed + {f.SharedExperts} shared", TransformerParameters.Expert(t) * f.RoutedExperts + TransformerParameters.SharedExperts(t), f.MoeLayers));
            rows.Add(Row("Router", TransformerParameters.Router(t), f.MoeLayers));
        }

        rows.Add(Row(t.TiedEmbeddings ? "Embedding (tied output head)" : "Embedding + output head", TransformerParameters.Embeddings(t), 1));
        rows.Add(["Total", "-", "-", Cell.Of(TransformerParameters.Total(t) / 1e9, 3)]);
        rows.Add(["Active per token", "-", "-", Cell.Of(TransformerParameters.Active(t) / 1e9, 3)]);
        rows.Add(["Active per token, input embedding left out", "-", "-", Cell.Of(TransformerParameters.ActiveWithoutEmbedding(t) / 1e9, 3)]);

        var kv = new List<IReadOnlyList<Cell>>();
        foreach (var precision in (Precision[])[Precision.Bf16, Precision.Fp8])
        {
            var perLayer = RooflineWork.KvBytesPerTokenPerGpu(a, 1, precision) + (a.Sparse is { } sparse ? RooflineWork.IndexerKeyBytes(sparse) : 0);
            var state = RooflineCapacity.KvPerRequest(t, 1, precision, 0).Value;
            kv.Add([precision.Name(), Cell.Of(perLayer, 0), Cell.Of(RooflineCapacity.KvPerRequest(t, 1, precision, 1).Value - state, 0), Cell.Of(state / 1e6, 3),
                Cell.Of(RooflineCapacity.KvPerRequest(t, 1, precision, 32768).ToGB(), 3)]);
        }

        var kvNotes = new List<string>
        {
            a.SlidingLayers > 0 ? $"{a.SlidingLayers} of {t.Layers} layers keep at most {a.SlidingWindow} tokens; the per-token figure counts every layer once."
                : a.Linear is { } l ? $"{t.FullAttentionLayers} of {t.Layers} layers keep the whole context; the {l.Layers} linear-attention layers keep a fixed state per request instead ({l.ValueHeads} value heads of {l.KeyHeadDim} x {l.ValueHeadDim} in FP32, and the convolution's last {l.ConvKernel - 1} inputs), whatever the context."
                : "Every layer keeps the whole context.",
        };
        if (a.Sparse is { } s)
        {
            kvNotes.Add($"Sparse attention: each token also keeps a {Num.S(RooflineWork.IndexerKeyBytes(s))}-byte indexer key (FP8 with its scale) in every layer; decode reads the whole indexer cache but the KV of only the top {Num.S(s.TopK)} tokens.");
        }

        // One decode token of one layer at a 4096-token context, on one GPU without parallelism, in each form the attention can run.
        const int context = 4096;
        var single = RooflineLayout.For(t, 1, 1, 0, 1);
        var native = PrecisionSet.NativeFor(t) with { Weights = Precision.Bf16, KvCache = Precision.Bf16 };
        IEnumerable<MlaForm> forms = a.Kind == AttentionKind.Mla ? [MlaForm.Standard, MlaForm.AbsorbedMaterialised, MlaForm.OnTheFly] : [MlaForm.OnTheFly];
        var attention = forms.Select(form =>
        {
            var w = RooflineWork.Decode(t, single, 1, native, 1, context, form).FullAttention;
            var weights = a.Kind == AttentionKind.Mla && form == MlaForm.AbsorbedMaterialised ? RooflineWork.MaterialisedAbsorbedParameters(t, 1) + TransformerParameters.Indexer(t) : TransformerParameters.Attention(t);
            return (IReadOnlyList<Cell>)
            [
                a.Kind == AttentionKind.Mla ? FormText(form) : a.Kind.ToString().ToUpperInvariant(),
                Cell.Of(weights / 1e6, 2), Cell.Of((w.Projections.Flops + w.Core.Flops + w.Indexer.Flops).ToGiga(), 4), Cell.Of((w.Core.MemoryBytes.Value + w.Indexer.MemoryBytes.Value) / 1e6, 3),
            ];
        }).ToList();
        if (a.Linear is not null)
        {
            var w = RooflineWork.Decode(t, single, 1, native, 1, context).LinearAttention;
            attention.Add(["linear (Gated DeltaNet)", Cell.Of(TransformerParameters.LinearAttention(t) / 1e6, 2), Cell.Of((w.Projections.Flops + w.Core.Flops).ToGiga(), 4), Cell.Of(w.Core.MemoryBytes.Value / 1e6, 3)]);
        }

        var formNotes = new List<string>
        {
            a.Kind == AttentionKind.Mla
                ? "standard: the latent re-expanded into per-head keys and values every step; absorbed: W_UK and W_UV folded into stored weights; on the fly: applied to the query and output (FlashMLA), the default."
                : $"{t.Attention.Heads} query heads over {t.Attention.KvHeads} KV heads of {t.Attention.HeadDim}.",
        };
        if (a.Sparse is not null)
        {
            formNotes.Add("The lightning indexer's projections, scores and top-k selection are included.");
        }

        if (a.Linear is not null)
        {
            formNotes.Add("linear: the recurrent state read and written back once per step (the last column), whatever the context.");
        }

        return new Document($"Blocks of {model.Name}", [new("model", model.Name), new("family", t.Family), new("preset", "default")],
        [
            new Table("parameters", "Parameters by block", ["block", "params per layer (M)", "layers", "total (B)"], rows,
                ["As the checkpoint stores them (biases and norms where the architecture has them); multi-token-prediction modules not counted."]),
            new Table("kv-cache", "KV cache per token", ["precision", "bytes per layer", "bytes all layers", "fixed state per request (MB)", "GB for a 32k-token request"], kv, kvNotes),
            new Table("attention-forms", $"Attention of one decode token in one layer, context {Num.S(context)}", ["form", "weights (M)", "GFLOP", "KV read (MB, BF16)"], attention, formNotes),
        ]);

        static string AttentionLabel(AttentionSpec a) =>
            "Attention (" + a.Kind.ToString().ToUpperInvariant() + (a.Sparse is { } s ? $", sparse top-{s.TopK} with its indexer" : "") + ")";

        static IReadOnlyList<Cell> Row(string name, double perLayer, int layers) => [name, Cell.Of(perLayer / 1e6, 2), Cell.Of(layers, 0), Cell.Of(perLayer * layers / 1e9, 3)];
    }

    /// <summary>Prefill: per-component times through all layers, tokens/s per GPU and per node, and what limits it.</summary>
    public static Document Prefill(ModelSpec model, IReadOnlyList<GpuSpec> gpus, int seqLen, double cacheHit, int? tp, int? gpuCount, RooflineInputs inputs, double prompts = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(inputs);
        var t = model.Transformer;
        var p = inputs.Precisions(t);
        var results = new List<(GpuSpec Gpu, RooflineLayout Layout, RooflinePrefillResult Result)>();
        foreach (var gpu in gpus)
        {
            var layout = PrefillLayout(model, gpu, tp ?? AutomaticDeployment.PrefillTp(t, gpu, p, inputs.Options), gpuCount, p, inputs);
            results.Add((gpu, layout, RooflinePhases.Prefill(t, new RooflinePolicy(gpu), layout, p, seqLen, cacheHit, inputs.Options, prompts)));
        }

        return new Document($"Prefill of {model.Name}",
            Inputs(model, gpus, p, inputs, [new("seq_len", Num.S(seqLen)), new("cache hit", Num.S(cacheHit)), new("prompts per DP group", Num.S(prompts))]),
        [
            BreakdownTable("prefill-layers", $"Prefill of {(prompts == 1 ? "one prompt" : Num.S(prompts) + " prompts")} per DP group through all layers (ms), {(results.Select(r => r.Layout.Tp).Distinct().Count() == 1 ? $"TP{Num.S(results[0].Layout.Tp)}" : "TP as each column names it")}, seq_len {Num.S(seqLen)}, cache hit {Num.S(cacheHit)}",
                [.. results.Select(r => (Label(r.Gpu, r.Layout), r.Result.PerLayers))]),
            new Table("prefill-throughput", "Prefill throughput",
                ["GPU", "layout", "tokens/s per GPU", "tokens/s per GPU (overlap)", "tokens/s per node", "tokens/s per node (overlap)", "limited by"],
                [.. results.Select(r => (IReadOnlyList<Cell>)
                [
                    r.Gpu.Name, LayoutText(r.Layout, r.Result.PerLayers.TwoBatch), Cell.Of(r.Result.TokensPerSecondPerGpu, 0), Cell.Of(r.Result.TokensPerSecondPerGpuOverlapped, 0),
                    Cell.Of(r.Result.TokensPerSecondPerGpu * RooflinePhases.NodeGpus, 0), Cell.Of(r.Result.TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus, 0),
                    LimitText(r.Result.PerLayers.Limit),
                ])],
                [
                    "tokens/s counts every prompt token, cached or not; cached tokens are not recomputed but are attended to.",
                    "A node is 8 GPUs (an HGX node; for NVL72 racks, 8 of the rack's 72).",
                    "(overlap): the batch runs as two micro-batches (TBO in the layout), each priced at half the tokens, where that is faster than one batch; each MoE layer's dispatch and combine of one hide under the other's compute, up to the compute time.",
                ]),
            OverlapTable("prefill-overlap", [.. results.Select(r => (r.Gpu.Name, r.Result.PerLayers.Stages))]),
            .. inputs.Band ? [PrefillBand(t, results, p, seqLen, cacheHit, inputs, prompts)] : Array.Empty<Table>(),
        ]);
    }

    private static Table PrefillBand(TransformerSpec t, IReadOnlyList<(GpuSpec Gpu, RooflineLayout Layout, RooflinePrefillResult Result)> results, PrecisionSet p, int seqLen, double cacheHit, RooflineInputs inputs, double prompts) =>
        new("prefill-band", "Prefill tokens/s per node (overlap) across the spread of the kernel data", ["GPU", "low", "predicted", "high"],
        [.. results.Select(r => (IReadOnlyList<Cell>)
        [
            r.Gpu.Name,
            Cell.Of(RooflinePhases.Prefill(t, new RooflinePolicy(r.Gpu, Kernels.Band.Low), r.Layout, p, seqLen, cacheHit, inputs.Options, prompts).TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus, 0),
            Cell.Of(r.Result.TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus, 0),
            Cell.Of(RooflinePhases.Prefill(t, new RooflinePolicy(r.Gpu, Kernels.Band.High), r.Layout, p, seqLen, cacheHit, inputs.Options, prompts).TokensPerSecondPerGpuOverlapped * RooflinePhases.NodeGpus, 0),
        ])],
        ["low: every kernel at the least efficient measurement near its shape; high: at the most efficient. GPUs without kernel data use the spread of the Hopper data around its median."]);

    private static Table OverlapTable(string key, List<(string Label, StageOverlap Stages)> rows) => new(key,
        "Two-micro-batch overlap per MoE layer, one micro-batch (ms)",
        ["GPU", "attention", "combine", "slack 1", "experts", "dispatch", "slack 2", "exposed per layer", "NIC GB/s to hide all"],
        [.. rows.Select(r => (IReadOnlyList<Cell>)
        [
            r.Label, T(r.Stages.Attention), T(r.Stages.Combine), T(r.Stages.AttentionSlack), T(r.Stages.Experts), T(r.Stages.Dispatch), T(r.Stages.ExpertSlack),
            T(r.Stages.Exposed), Cell.Of(r.Stages.RequiredNicGBps, 1),
        ])],
        rows.Count > 0 && rows[0].Stages.Pipelined
            ?
            [
                "Each micro-batch is half the batch. Decode splits attention in two and interleaves five stages; the low-latency all-to-all holds no SMs once sent, so one micro-batch's dispatch and combine hide under any compute of the other. A layer takes the longer of both micro-batches' compute and one micro-batch's chain (attention, dispatch, experts, combine).",
                "Slack = compute - communication of the pair as prefill would run it. Exposed per layer: communication the pipeline cannot hide (both micro-batches). NIC GB/s to hide all: the achieved NIC bandwidth per GPU at which dispatch and combine fit under one micro-batch's compute.",
            ]
            :
            [
                "Each micro-batch is half the batch. Stage 1: one micro-batch's attention runs while the other's combine is in flight; stage 2: its experts while the other's dispatch is; a layer runs each stage twice. Compute is slowed by the SMs the communication kernels hold.",
                "Slack = compute - communication: negative slack is communication left exposed. Exposed per layer: that exposure for both micro-batches. NIC GB/s to hide all: the achieved NIC bandwidth per GPU at which neither stage exposes communication.",
            ]);

    /// <summary>Decode: per GPU and batch size, the step time by component, TPOT, tokens/s per user and per GPU, the memory limit.</summary>
    public static Document Decode(ModelSpec model, IReadOnlyList<GpuSpec> gpus, IReadOnlyList<int> batches, int seqLen, int decodeLen, int? tp, int? gpuCount, double? minTps, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(inputs);
        Check.Batches(batches);
        Check.Positive(seqLen, "--seq-len");
        Check.Positive(decodeLen, "--decode-len");
        var t = model.Transformer;
        var p = inputs.Precisions(t);
        var rows = new List<IReadOnlyList<Cell>>();
        var notes = new List<string>();
        var stages = new List<(string, StageOverlap)>();
        var mtp = inputs.Options.MtpDraftTokens > 0;
        (string Where, double Tps)? closest = null;
        var fitting = 0.0;
        foreach (var gpu in gpus)
        {
            var layout = DecodeLayout(model, gpu, tp ?? AutomaticDeployment.DecodeTp(t, gpu, p, inputs.Options), gpuCount, p, inputs);
            fitting = Math.Max(fitting, Math.Floor(RooflineCapacity.MaxBatch(t, gpu, layout, p, seqLen + decodeLen, inputs.Options)));
            var policy = new RooflinePolicy(gpu);
            var low = inputs.Band ? new RooflinePolicy(gpu, Kernels.Band.Low) : null;
            var high = inputs.Band ? new RooflinePolicy(gpu, Kernels.Band.High) : null;
            var dropped = new List<int>();
            var slow = 0;
            foreach (var bs in batches)
            {
                var r = RooflinePhases.Decode(t, policy, layout, p, bs, seqLen, decodeLen, inputs.Options);
                if (!r.Fits)
                {
                    dropped.Add(bs);
                    continue;
                }

                if (minTps is { } min && !(r.TokensPerSecondPerUserOverlapped > min))
                {
                    slow++;
                    if (closest is null || r.TokensPerSecondPerUserOverlapped > closest.Value.Tps)
                    {
                        closest = ($"{gpu.Name} at batch {Num.S(bs)}", r.TokensPerSecondPerUserOverlapped);
                    }

                    continue;
                }

                var s = r.Step;
                stages.Add(($"{gpu.Name} batch {Num.S(bs)}", s.Stages));
                rows.Add(
                [
                    gpu.Name, LayoutText(layout, s.TwoBatch), Cell.Of(bs, 0), T(s.AttentionProjections), T(s.AttentionCore), T(s.AttentionAllReduce + s.MlpAllReduce),
                    T(s.DenseMlp), T(s.Router + s.SharedExperts + s.RoutedExperts), T(s.Dispatch), T(s.Combine), T(s.Glue + s.Head),
                    .. mtp ? [T(s.Draft)] : Array.Empty<Cell>(),
                    T(s.Overlapped), T(s.Total),
                    Cell.Of(r.TokensPerSecondPerUserOverlapped, 2), Cell.Of(r.TokensPerSecondPerGpuOverlapped, 1), Cell.Of(Math.Floor(r.MaxBatch), 0), LimitText(s.Limit),
                    .. inputs.Band
                        ? [Cell.Of(RooflinePhases.Decode(t, low!, layout, p, bs, seqLen, decodeLen, inputs.Options).TokensPerSecondPerGpuOverlapped, 1),
                           Cell.Of(RooflinePhases.Decode(t, high!, layout, p, bs, seqLen, decodeLen, inputs.Options).TokensPerSecondPerGpuOverlapped, 1)]
                        : Array.Empty<Cell>(),
                ]);
            }

            if (dropped.Count > 0)
            {
                notes.Add($"{gpu.Name}: batch {string.Join(", ", dropped)} left out: at most {Math.Max(0, Math.Floor(RooflineCapacity.MaxBatch(t, gpu, layout, p, seqLen + decodeLen, inputs.Options)))} requests of {Num.S(seqLen + decodeLen)} tokens fit per GPU.");
            }

            if (slow > 0)
            {
                notes.Add($"{gpu.Name}: {slow} row(s) at or below {Num.S(minTps!.Value)} tokens/s per user left out.");
            }
        }

        if (rows.Count == 0)
        {
            throw new InputException(closest is { } c
                ? $"no batch reaches {Num.S(minTps!.Value)} tokens/s per user; the closest is {c.Where} with {c.Tps:F2}"
                : $"no batch of {string.Join(", ", batches)} fits in memory with requests of {Num.S(seqLen + decodeLen)} tokens; the largest that fits is {Math.Max(0, fitting)} per GPU");
        }

        notes.Insert(0, "Times are one decode step through all layers as one batch, ms. TPOT runs the batch as two micro-batches of half the requests (TBO in the layout), overlapping dispatch and combine with compute, where that is faster than one batch, and equals 'TPOT, one batch' otherwise; tokens/s per user and per GPU use it.");
        if (mtp)
        {
            notes.Insert(1, $"Multi-token prediction: each request puts itself and {Num.S(inputs.Options.MtpDraftTokens)} draft token(s) through the model per step (its KV read once) and gains {Num.S(Math.Round(inputs.Options.TokensPerStep, 3))} token(s) per step; 'draft passes' is the module's passes, one per draft token, in sequence. TPOT is per step; tokens/s per user and per GPU count the tokens gained.");
        }

        return new Document($"Decode of {model.Name}",
            Inputs(model, gpus, p, inputs, [new("seq_len", Num.S(seqLen)), new("decode_len", Num.S(decodeLen)), new("batch sizes", string.Join(",", batches.Select(Num.S)))]),
        [
            new Table("decode", "Decode per batch size (ms per step, tokens/s)",
                ["GPU", "layout", "batch per GPU", "attention projections", "attention core", "all-reduces", "dense MLP", "experts", "dispatch", "combine", "norms, activations, head",
                    .. mtp ? ["draft passes"] : Array.Empty<string>(), "TPOT", "TPOT, one batch", "tokens/s per user", "tokens/s per GPU", "largest batch that fits", "limited by",
                    .. inputs.Band ? ["tokens/s per GPU, low", "tokens/s per GPU, high"] : Array.Empty<string>()],
                rows, notes),
            OverlapTable("decode-overlap", stages),
        ]);
    }

    /// <summary>Batch: the largest decode batch per GPU for several deployment sizes and KV precisions.</summary>
    public static Document Batch(ModelSpec model, IReadOnlyList<GpuSpec> gpus, int seqLen, int decodeLen, int tp, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(inputs);
        Check.Positive(seqLen, "--seq-len");
        Check.Positive(decodeLen, "--decode-len");
        var t = model.Transformer;
        var native = inputs.Precisions(t);
        Check.Positive(tp, "--tp");
        if (t.Attention.Heads % tp != 0)
        {
            throw new InputException($"TP {tp} does not divide the model's {t.Attention.Heads} attention heads");
        }

        if (gpus.All(g => tp > g.GpusPerNode))
        {
            throw new InputException($"TP {tp} does not fit the scale-up domain of any GPU given (the largest holds {gpus.Max(g => g.GpusPerNode)} GPUs)");
        }

        IReadOnlyList<int> sizes = t.FeedForward.IsMoe ? EpStrategy.ArticleEps : [tp];
        var rows = new List<IReadOnlyList<Cell>>();
        foreach (var gpu in gpus)
        {
            foreach (var kv in (Precision[])[Precision.Bf16, Precision.Fp8])
            {
                var p = native with { KvCache = kv };
                var cells = new List<Cell> { $"{gpu.Name}_{kv.Name()}" };
                foreach (var g in sizes)
                {
                    if (g % tp != 0)
                    {
                        cells.Add($"n/a: TP{Num.S(tp)} does not divide {Num.S(g)} GPUs");
                        continue;
                    }

                    var layout = RooflineLayout.For(t, g, tp, inputs.Redundant, inputs.Options.Imbalance) with { LoadSpread = inputs.Options.ExpertLoadSpread };
                    layout.Validate(t, gpu);
                    var max = RooflineCapacity.MaxBatch(t, gpu, layout, p, seqLen + decodeLen, inputs.Options);
                    cells.Add(max >= 1 ? Cell.Of(Math.Floor(max), 0) : "does not fit");
                }

                rows.Add(cells);
            }
        }

        if (rows.Count > 0 && rows.All(r => r.Skip(1).All(c => c.Values is null)))
        {
            throw new InputException($"no layout holds one request of {Num.S(seqLen + decodeLen)} tokens beside the weights on {string.Join(", ", gpus.Select(g => g.Name))}; shorten the requests, use FP8 KV cache or a larger GPU");
        }

        return new Document($"Decode memory capacity of {model.Name}",
            Inputs(model, gpus, native, inputs, [new("seq_len", Num.S(seqLen)), new("decode_len", Num.S(decodeLen)), new("tp", Num.S(tp))]),
        [
            new Table($"max-batch-tp{tp}", $"Largest decode batch per GPU (TP{Num.S(tp)}, {Num.S(seqLen)} + {Num.S(decodeLen)} tokens per request)",
                ["config", .. sizes.Select(g => t.FeedForward.IsMoe ? $"EP{Num.S(g)}" : $"TP{Num.S(g)}")], rows,
                [
                    $"Usable memory: {Num.S(inputs.Options.MemoryUtilization)} x HBM; weights at {native.Weights.Name()} ({native.ExpertWeights.Name()} experts), embeddings in BF16; an EP layout holds its expert copies (routed and redundant) and the shared experts on every GPU.",
                    "\"does not fit\": the weights leave no room for one request.",
                ]),
        ]);
    }

    /// <summary>The headline comparison under both presets: prefill tokens/s per node, decode at the best batch for a per-user rate.</summary>
    public static Document Compare(ModelSpec model, IReadOnlyList<string> gpus, int seqLen, double cacheHit, int decodeLen, double minTps, RooflineInputs inputs, SeedCostPolicy seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(seed);
        var rows = new List<IReadOnlyList<Cell>>();
        var anyDecode = false;
        (string Gpu, double Tps)? closest = null;
        foreach (var name in gpus)
        {
            // Each preset sees a name as its own catalogue has it: the seed the article's H800/H20/H20_3e, the default the datasheets.
            var seedGpu = GpuCatalog.Resolve(name, seed: true);
            var gpu = GpuCatalog.Resolve(name);
            var seedHeadline = Headline.Seed(model, seedGpu, seqLen, cacheHit, decodeLen, minTps, seed);
            var defaultHeadline = Headline.Roofline(model, gpu, seqLen, cacheHit, decodeLen, minTps, inputs);
            rows.Add(seedHeadline.Cells(seedGpu, "seed"));
            rows.Add(defaultHeadline.Cells(gpu, "default"));
            if (seedHeadline.Batch is not null || defaultHeadline.Batch is not null)
            {
                anyDecode = true;
            }
            else if (defaultHeadline.ClosestPerUser is { } c && (closest is null || c > closest.Value.Tps))
            {
                closest = (gpu.Name, c);
            }
        }

        if (!anyDecode)
        {
            throw new InputException(closest is { } best
                ? $"no GPU and preset reaches {Num.S(minTps)} tokens/s per user in decode; the closest is {best.Gpu} (default preset) with {best.Tps:F2} at one request per GPU"
                : $"no GPU and preset reaches {Num.S(minTps)} tokens/s per user in decode, and no decode layout fits");
        }

        return new Document($"Headline figures of {model.Name}",
            [new("model", model.Name), new("prefill", $"seq_len {Num.S(seqLen)}, cache hit {Num.S(cacheHit)}"), new("decode", $"context {Num.S(seqLen)}, output {Num.S(decodeLen)} tokens, at least {Num.S(minTps)} tokens/s per user")],
        [
            new Table("compare", "Headline figures by GPU and preset",
                ["GPU", "preset", "prefill layout", "prefill tokens/s per node", "prefill limited by", "decode layout", "batch", "decode tokens/s per GPU", "tokens/s per user", "decode limited by"],
                rows,
                [
                    "Prefill: tokens/s per node of 8 GPUs. seed: the article's TP4 x DP8 over 4 nodes, dispatch and combine overlapped; default: the best TP of 1, 2, 4, 8 over 32 GPUs (MoE) or one TP replica (dense), with two-batch overlap (TBO in the layout) where it is faster than one batch, in prefill and decode alike.",
                    "Each preset reads a GPU from its own catalogue: the seed the article's H800, H20 and H20_3e (0.8 x datasheet FLOPS, discounted again by 0.85) and datasheet files for the rest; the default the datasheet files with its named efficiencies.",
                    $"Decode: the batch per GPU that gives the most tokens/s per GPU at more than {Num.S(minTps)} tokens/s per user and fits in memory (seed: EP144 with absorbed MLA and FP8 KV; default: its own layout search).",
                    "limited by: the resource that accounts for most of the time, or memory capacity when the batch is capped by the KV cache.",
                ]),
        ]);
    }

    /// <summary>The report under the default preset: the seed article's scenarios priced by the default model.</summary>
    public static Document Report(ModelSpec model, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var prefillGpus = new[] { GpuCatalog.Resolve("H800"), GpuCatalog.Resolve("H20") };
        var decodeGpus = new[] { GpuCatalog.Resolve("H800"), GpuCatalog.Resolve("H20"), GpuCatalog.Resolve("H20-3e") };
        var moe = model.Transformer.FeedForward.IsMoe;
        var parts = new[]
        {
            Blocks(model),
            Prefill(model, prefillGpus, PrefillScenario.Article.SeqLen, PrefillScenario.Article.CacheHit, 4, moe ? 32 : null, inputs),
            Prefill(model, prefillGpus, PrefillScenario.Article.SeqLen, PrefillScenario.Article.CacheHit, 8, moe ? 32 : null, inputs),
            Decode(model, decodeGpus, DecodeScenario.ArticleBatches, DecodeScenario.Article.SeqLen, DecodeScenario.Article.DecodeLen, 1, moe ? 144 : null, null, inputs),
            Batch(model, decodeGpus, DecodeScenario.Article.SeqLen, DecodeScenario.Article.DecodeLen, 1, inputs),
            Compare(model, ["H800", "H20", "H20-3e", "B200", "GB200"], PrefillScenario.Article.SeqLen, PrefillScenario.Article.CacheHit,
                DecodeScenario.Article.DecodeLen, 20, inputs, new SeedCostPolicy(new SeedOptions())),
        };
        var tables = new List<Table>();
        foreach (var part in parts)
        {
            foreach (var table in part.Tables)
            {
                tables.Add(table with { Key = table.Key + "-" + tables.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        }

        // The article's announced sequel: a large scale-up domain against 8-GPU nodes, planned for its workload.
        if (moe)
        {
            tables.AddRange(ScaleUpReport.Tables(model, FrameworkCatalog.Resolve("sglang"), inputs.Precisions(model.Transformer)));
        }

        return new Document($"{model.Name} on H800 and H20: the seed's scenarios under the default model", parts[1].Inputs, tables);
    }

    /// <summary>The prefill layout: the given GPUs, or 32 for an MoE model (more where 32 cannot hold its weights) and one TP replica for a dense one.</summary>
    public static RooflineLayout PrefillLayout(ModelSpec model, GpuSpec gpu, int tp, int? gpuCount, PrecisionSet p, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(inputs);
        var t = model.Transformer;
        return Checked(model, gpu, gpuCount ?? (t.FeedForward.IsMoe ? AutomaticDeployment.MoePrefillGpusFor(t, gpu, tp, p, inputs.Options) : tp), tp, p, inputs);
    }

    /// <summary>The decode layout: the given GPUs, or the smallest deployment whose weights leave room for KV cache.</summary>
    public static RooflineLayout DecodeLayout(ModelSpec model, GpuSpec gpu, int tp, int? gpuCount, PrecisionSet p, RooflineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(inputs);
        var t = model.Transformer;
        return Checked(model, gpu, gpuCount ?? (t.FeedForward.IsMoe ? AutomaticDeployment.MoeDecodeGpus(t, gpu, tp, p, inputs.Options) : tp), tp, p, inputs);
    }

    // A layout of `gpus` GPUs that divides the model and whose weights fit, or an input error saying why not.
    private static RooflineLayout Checked(ModelSpec model, GpuSpec gpu, int gpus, int tp, PrecisionSet p, RooflineInputs inputs)
    {
        var layout = RooflineLayout.For(model.Transformer, gpus, tp, inputs.Redundant, inputs.Options.Imbalance) with { LoadSpread = inputs.Options.ExpertLoadSpread };
        layout.Validate(model.Transformer, gpu);
        RooflineCapacity.RequireWeightsFit(model, gpu, layout, p, inputs.Options);
        return layout;
    }

    internal static string LayoutText(RooflineLayout l, bool twoBatch = false) =>
        (l.Gpus == l.Tp ? $"TP{Num.S(l.Tp)}" : $"TP{Num.S(l.Tp)} x DP{Num.S(l.Dp)}, EP{Num.S(l.Gpus)}" + (l.RedundantExperts > 0 ? $" (+{Num.S(l.RedundantExperts)})" : ""))
        + (twoBatch ? ", TBO" : "");

    internal static string LimitText(Bound b) => b switch
    {
        Bound.Compute => "compute",
        Bound.Memory => "memory bandwidth",
        Bound.ScaleUp => "network (NVLink)",
        Bound.ScaleOut => "network (NIC)",
        _ => "latency",
    };

    private static string FormText(MlaForm form) => form switch
    {
        MlaForm.Standard => "MLA standard",
        MlaForm.AbsorbedMaterialised => "MLA absorbed (materialised)",
        _ => "MLA absorbed on the fly",
    };

    private static string Label(GpuSpec gpu, RooflineLayout layout) => $"{gpu.Name} {LayoutText(layout)}";

    private static Table BreakdownTable(string key, string title, IReadOnlyList<(string Label, Breakdown B)> columns)
    {
        IReadOnlyList<Cell> Row(string name, Func<Breakdown, Duration> pick) => [name, .. columns.Select(c => T(pick(c.B)))];
        return new Table(key, title, ["component", .. columns.Select(c => c.Label)],
        [
            Row("attention projections", b => b.AttentionProjections),
            Row("attention core (KV read)", b => b.AttentionCore),
            Row("attention all-reduce", b => b.AttentionAllReduce),
            Row("dense MLP", b => b.DenseMlp),
            Row("MLP all-reduce", b => b.MlpAllReduce),
            Row("router", b => b.Router),
            Row("shared experts", b => b.SharedExperts),
            Row("routed experts", b => b.RoutedExperts),
            Row("dispatch", b => b.Dispatch),
            Row("combine", b => b.Combine),
            Row("norms, activations, layouts", b => b.Glue),
            Row("output head", b => b.Head),
            Row("total", b => b.Total),
            Row("total (overlap)", b => b.Overlapped),
            Row("compute-bound part", b => b.ComputeBound),
            Row("memory-bound part", b => b.MemoryBound),
            Row("network-bound part", b => b.ScaleUpBound + b.ScaleOutBound),
            Row("latency-bound part", b => b.LatencyBound),
        ]);
    }

    private static List<KeyValuePair<string, string>> Inputs(ModelSpec model, IReadOnlyList<GpuSpec> gpus, PrecisionSet p, RooflineInputs inputs, List<KeyValuePair<string, string>> extra) =>
    [
        new("model", model.Name),
        new("preset", "default (per-operator roofline)"),
        new("GPUs", string.Join(", ", gpus.Select(g => g.Name))),
        new("precisions", $"weights {p.Weights.Name()}, experts {p.ExpertWeights.Name()}, KV cache {p.KvCache.Name()}, attention {p.Attention.Name()}, dispatch {p.Dispatch.Name()}, combine {p.Combine.Name()}"),
        new("kernels", PerGpu(gpus, g => new Kernels.KernelModel(g).Description)),
        new("efficiency", PerGpu(gpus, g => $"{(g.EfficiencyFromFile ? "from its file" : "named defaults")}: GEMM {Num.S(g.Efficiency.Compute)} of roofline, streaming {Num.S(g.Efficiency.Memory)} of HBM, NVLink {Num.S(g.Efficiency.ScaleUp)}, NIC {Num.S(g.Efficiency.ScaleOut)} where kernel data is missing{(g.AllReduceBus is { } bus ? $"; a large all-reduce at the bus bandwidth NCCL measured by group ({bus})" : "")}")),
        new("experts", $"{(inputs.Options.Imbalance is { } imb ? $"imbalance {Num.S(imb)} before redundancy" : $"imbalance derived from an expert load spread of {Num.S(inputs.Options.ExpertLoadSpread)}{(inputs.Options.ExpertLoadSpread == RooflineLayout.ExpertLoadSpread ? " (calibrated)" : "")}, the slots per GPU and the batch")}; redundant experts {(inputs.Redundant is { } r ? Num.S(r) : "the fewest that spread evenly")}"),
        .. inputs.Options.MtpDraftTokens > 0
            ? [new KeyValuePair<string, string>("multi-token prediction", $"{Num.S(inputs.Options.MtpDraftTokens)} draft token(s) per step, {Num.S(Math.Round(inputs.Options.TokensPerStep, 3))} tokens gained per step{(inputs.Options.MtpTokensPerStep is null ? $" ({RooflineOptions.MtpAcceptanceSource})" : "")}")]
            : Array.Empty<KeyValuePair<string, string>>(),
        .. extra,
    ];

    private static Cell T(Duration d) => Cell.Of(d.Milliseconds, Ms);

    // One description per group of GPUs that share it.
    private static string PerGpu(IReadOnlyList<GpuSpec> gpus, Func<GpuSpec, string> describe) =>
        string.Join("; ", gpus.GroupBy(describe).Select(g => $"{string.Join(", ", g.Select(x => x.Name))}: {g.Key}"));
}

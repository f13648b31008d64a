using InferencePlanner.Hardware;
using InferencePlanner.Input;
using InferencePlanner.Json;

namespace InferencePlanner.Models;

/// <summary>
/// Built-in models (the HuggingFace config.json files under data/models, embedded at build time) and the
/// loader for a config.json given by path.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The model used when none is named.</summary>
    public const string DefaultName = "deepseek-v3";

    private static readonly string[] MlaTypes = ["deepseek_v2", "deepseek_v3", "kimi_k2", "kimi_k25", "deepseek_v32", "glm_moe_dsa"];
    private static readonly string[] DenseTypes = ["llama", "qwen2", "qwen3", "mistral", "qwen3_5", "qwen3_5_text"];
    private static readonly string[] MoeTypes = ["qwen3_moe", "mixtral", "gpt_oss", "qwen3_next", "qwen3_5_moe", "qwen3_5_moe_text", "glm4_moe", "minimax_m2"];

    // Families with Gated DeltaNet layers interleaved with full attention.
    private static readonly string[] HybridLinearTypes = ["qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"];

    /// <summary>The model_type values the loader reads.</summary>
    public static IReadOnlyList<string> KnownTypes { get; } = [.. MlaTypes, .. DenseTypes, .. MoeTypes];

    private static readonly Lazy<IReadOnlyList<ModelSpec>> BuiltInList = new(LoadBuiltIns);

    /// <summary>The built-in models, in name order.</summary>
    public static IReadOnlyList<ModelSpec> BuiltIn => BuiltInList.Value;

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Aliases = new(() =>
    {
        var (name, text) = EmbeddedData.Under("model-aliases/").Single();
        var root = JsonFields.Parse(text, "built-in " + name);
        var aliases = root.OptionalObject("aliases") ?? throw new InputException($"built-in {name}: missing 'aliases'");
        return aliases.Names().ToDictionary(n => n, n => aliases.OptionalObject(n)!.Value.Text("model"), StringComparer.OrdinalIgnoreCase);
    });

    /// <summary>The built-in model a release of the same architecture maps to (data/models/aliases.json), or null.</summary>
    public static string? Alias(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Aliases.Value.TryGetValue(name, out var model) ? model : null;
    }

    /// <summary>
    /// A built-in model by name (case-insensitive), a release of the same architecture by its name (priced as the
    /// built-in, under its own name), or the config.json at that path (a folder holding one is accepted).
    /// </summary>
    public static ModelSpec Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        var match = BuiltIn.FirstOrDefault(m => string.Equals(m.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match;
        }

        if (Alias(nameOrPath) is { } aliased && BuiltIn.FirstOrDefault(m => m.Name == aliased) is { } same)
        {
            return same with { Name = nameOrPath.ToLowerInvariant() };
        }

        if (Catalog.LooksLikePath(nameOrPath))
        {
            var path = Directory.Exists(nameOrPath) ? Path.Combine(nameOrPath, "config.json") : nameOrPath;
            return Parse(JsonFields.ReadFile(path), name: path);
        }

        throw new InputException(
            $"unknown model '{nameOrPath}'{NameSuggestions.Hint(nameOrPath, BuiltIn.Select(m => m.Name))}: built-in models are {string.Join(", ", BuiltIn.Select(m => m.Name))}, or give the path of a HuggingFace config.json");
    }

    /// <summary>Parses a HuggingFace config.json.</summary>
    public static ModelSpec Parse(string json, string name, string origin) => Parse(JsonFields.Parse(json, origin), name);

    private static ModelSpec Parse(JsonFields root, string name)
    {
        // Multimodal wrappers keep the language model under text_config.
        var f = root.OptionalObject("text_config") ?? root;
        var type = f.OptionalText("model_type") ?? root.OptionalText("model_type")
            ?? throw new InputException($"{root.Origin}: missing field 'model_type' (supported: {string.Join(", ", KnownTypes)})");
        var (weights, experts) = CheckpointPrecisions(f.OptionalObject("quantization_config") ?? root.OptionalObject("quantization_config"));
        var contextWindow = ContextWindow(f);
        if (MlaTypes.Contains(type))
        {
            var mla = ParseMla(f);
            var transformer = MlaTransformer(type, mla, f) with { CheckpointWeights = weights, CheckpointExperts = experts, ContextWindow = contextWindow };
            // The seed's accounting knows dense MLA only: a sparse-attention model has no seed view.
            return new ModelSpec(name, f.Origin, transformer, transformer.Attention.Sparse is null ? mla : null);
        }

        if (DenseTypes.Contains(type) || MoeTypes.Contains(type))
        {
            return new ModelSpec(name, f.Origin, ParseGqa(type, f) with { CheckpointWeights = weights, CheckpointExperts = experts, ContextWindow = contextWindow }, null);
        }

        var unread = f.Names().Where(n => !ReadFields.Contains(n) && !DescriptiveFields.Contains(n)).Take(12).ToList();
        throw new InputException(
            $"{root.Origin}: model_type '{type}' is not supported; the loader reads {string.Join(", ", KnownTypes)}"
            + (unread.Count > 0 ? $"; fields no supported family reads: {string.Join(", ", unread)}" : ""));
    }

    // The fields the readers of the supported families use (an unknown architecture's error names the others).
    private static readonly HashSet<string> ReadFields =
    [
        "model_type", "text_config", "quantization_config", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
        "intermediate_size", "vocab_size", "tie_word_embeddings", "attention_bias", "mlp_bias", "sliding_window", "layer_types", "use_sliding_window",
        "max_window_layers", "num_local_experts", "num_experts", "num_experts_per_tok", "moe_intermediate_size", "decoder_sparse_step", "mlp_only_layers",
        "shared_expert_intermediate_size", "n_routed_experts", "n_shared_experts", "first_k_dense_replace", "n_group", "topk_group", "topk_method",
        "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "num_nextn_predict_layers", "mtp_num_hidden_layers",
        "index_topk", "index_n_heads", "index_head_dim", "full_attention_interval", "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
        "linear_value_head_dim", "linear_conv_kernel_dim", "attn_output_gate", "use_qk_norm", "qk_norm_type", "use_routing_bias",
        "max_position_embeddings", "rope_scaling", "rope_parameters",
    ];

    // Fields that describe training, tokens, positions or numerics rather than the shapes the model computes with.
    private static readonly HashSet<string> DescriptiveFields =
    [
        "architectures", "auto_map", "bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype", "dtype", "transformers_version", "use_cache",
        "initializer_range", "rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon", "rope_theta", "partial_rotary_factor",
        "attention_dropout", "hidden_dropout", "hidden_act", "router_aux_loss_coef", "output_router_logits", "norm_topk_prob",
        "routed_scaling_factor", "scoring_func", "name_or_path", "_name_or_path",
    ];

    // RoPE scalings whose factor stretches the positions the model was trained on (YaRN, linear, dynamic NTK); Llama 3's
    // and LongRoPE's configs already state the stretched window in max_position_embeddings.
    private static readonly string[] StretchingRopes = ["yarn", "linear", "dynamic"];

    // The tokens of context a request may hold: max_position_embeddings, or, where a stretching RoPE scaling is
    // declared, its original window times its factor when that is longer (as vLLM derives max_model_len); null when
    // the config states neither.
    private static int? ContextWindow(JsonFields f)
    {
        var window = f.OptionalInteger("max_position_embeddings", 1);
        var rope = f.OptionalObject("rope_scaling") ?? f.OptionalObject("rope_parameters");
        if (rope is not { } r || (r.OptionalText("rope_type") ?? r.OptionalText("type")) is not { } kind || !StretchingRopes.Contains(kind)
            || r.OptionalPositive("factor") is not { } factor)
        {
            return window;
        }

        var original = r.OptionalInteger("original_max_position_embeddings", 1) ?? window;
        if (original is not { } from)
        {
            return window;
        }

        var stretched = (int)Math.Min(int.MaxValue, Math.Floor(from * factor));
        return window is { } w ? Math.Max(w, stretched) : stretched;
    }

    private static MlaMoeArchitecture ParseMla(JsonFields f)
    {
        var layers = f.Integer("num_hidden_layers", 1);
        var (dense, routed, topk, groups, limited) = LeadingDenseExperts.Read(f, layers);
        return new MlaMoeArchitecture(
            Dim: f.Integer("hidden_size", 1),
            InterDim: f.Integer("intermediate_size", 1),
            MoeInterDim: f.Integer("moe_intermediate_size", 1),
            Layers: layers,
            DenseLayers: dense,
            Heads: f.Integer("num_attention_heads", 1),
            RoutedExperts: routed,
            SharedExperts: f.Integer("n_shared_experts", 0),
            ActivatedExperts: topk,
            ExpertGroups: groups,
            LimitedGroups: limited,
            QLoraRank: f.OptionalInteger("q_lora_rank", 1) ?? 0,
            KvLoraRank: f.Integer("kv_lora_rank", 1),
            QkNopeHeadDim: f.Integer("qk_nope_head_dim", 1),
            QkRopeHeadDim: f.Integer("qk_rope_head_dim", 1),
            VHeadDim: f.Integer("v_head_dim", 1),
            Vocab: f.Integer("vocab_size", 1));
    }

    private static TransformerSpec MlaTransformer(string type, MlaMoeArchitecture m, JsonFields f) => new(
        type, m.Dim, m.Layers, m.Vocab, f.OptionalBool("tie_word_embeddings") ?? false,
        new AttentionSpec(AttentionKind.Mla, m.Heads, m.Heads, m.QkNopeHeadDim + m.QkRopeHeadDim, m.VHeadDim,
            QkvBias: f.OptionalBool("attention_bias") ?? false, OutputBias: f.OptionalBool("attention_bias") ?? false,
            QLoraRank: m.QLoraRank, KvLoraRank: m.KvLoraRank, QkNopeHeadDim: m.QkNopeHeadDim, QkRopeHeadDim: m.QkRopeHeadDim,
            Sparse: ParseSparse(type, f)),
        new FeedForwardSpec(m.InterDim, m.DenseLayers, m.MoeLayers, m.RoutedExperts, m.SharedExperts, m.ActivatedExperts, m.MoeInterDim,
            m.ExpertGroups, m.LimitedGroups, RouterBias: (f.OptionalText("topk_method") ?? "") == "noaux_tc" || type == "glm_moe_dsa"),
        MtpLayers: f.OptionalInteger("num_nextn_predict_layers", 0) ?? 0);

    // DeepSeek Sparse Attention: the lightning indexer's heads and the tokens it selects. A sparse family whose config
    // lacks them is an error naming the fields, not a model silently run as dense attention.
    private static SparseAttentionSpec? ParseSparse(string type, JsonFields f)
    {
        string[] fields = ["index_topk", "index_n_heads", "index_head_dim"];
        var given = fields.Count(f.Has);
        if (given == 0 && type is not ("deepseek_v32" or "glm_moe_dsa"))
        {
            return null;
        }

        if (given < fields.Length)
        {
            throw new InputException(
                $"{f.Origin}: model_type '{type}' runs sparse attention, but the config lacks {string.Join(", ", fields.Where(n => !f.Has(n)).Select(n => $"'{n}'"))} (the lightning indexer's top-k, heads and head size)");
        }

        return new SparseAttentionSpec(f.Integer("index_topk", 1), f.Integer("index_n_heads", 1), f.Integer("index_head_dim", 1));
    }

    // Gated DeltaNet layers: those layer_types marks linear_attention, or every layer but each full_attention_interval-th.
    private static LinearAttentionSpec? ParseLinear(string type, JsonFields f, int layers)
    {
        if (!HybridLinearTypes.Contains(type))
        {
            return null;
        }

        int linear;
        if (f.OptionalTextArray("layer_types") is { } kinds)
        {
            if (kinds.Count != layers)
            {
                throw new InputException($"{f.Origin}: layer_types lists {kinds.Count} layers but num_hidden_layers is {layers}");
            }

            linear = kinds.Count(k => k == "linear_attention");
        }
        else
        {
            var interval = f.Integer("full_attention_interval", 1);
            linear = layers - layers / interval;
        }

        if (linear == 0)
        {
            return null;
        }

        var keyHeads = f.Integer("linear_num_key_heads", 1);
        var valueHeads = f.Integer("linear_num_value_heads", 1);
        if (valueHeads % keyHeads != 0)
        {
            throw new InputException($"{f.Origin}: linear_num_value_heads ({valueHeads}) is not a multiple of linear_num_key_heads ({keyHeads})");
        }

        return new LinearAttentionSpec(linear, keyHeads, valueHeads, f.Integer("linear_key_head_dim", 1), f.Integer("linear_value_head_dim", 1),
            f.Integer("linear_conv_kernel_dim", 1));
    }

    /// <summary>
    /// The weight formats a checkpoint's quantization_config declares: FP8 (fine-grained FP8, or compressed-tensors with
    /// 8-bit floats), MXFP4 experts (GPT-OSS), INT4 weight-only experts (compressed-tensors with 4-bit integers, as
    /// Kimi-K2.5 ships its routed experts); null where nothing is declared (BF16).
    /// </summary>
    private static (Units.Precision? Weights, Units.Precision? Experts) CheckpointPrecisions(JsonFields? q)
    {
        if (q is not { } config)
        {
            return (null, null);
        }

        switch ((config.OptionalText("quant_method") ?? "").ToLowerInvariant())
        {
            case "fp8":
                return (Units.Precision.Fp8, null);
            case "mxfp4":
                return (Units.Precision.Bf16, Units.Precision.Mxfp4);
            case "compressed-tensors":
                if (config.OptionalObject("config_groups") is not { } groups)
                {
                    return (null, null);
                }

                foreach (var group in groups.Names())
                {
                    if (groups.OptionalObject(group) is not { } g || g.OptionalObject("weights") is not { } w)
                    {
                        continue;
                    }

                    var bits = w.OptionalInteger("num_bits", 1);
                    var kind = w.OptionalText("type");
                    if (bits == 4 && kind == "int")
                    {
                        // The quantised modules are the routed experts; attention, shared experts and dense MLPs stay BF16.
                        return (Units.Precision.Bf16, Units.Precision.Int4);
                    }

                    if (bits == 8 && kind == "float")
                    {
                        return (Units.Precision.Fp8, null);
                    }
                }

                return (null, null);
            default:
                return (null, null);
        }
    }

    private static TransformerSpec ParseGqa(string type, JsonFields f)
    {
        var hidden = f.Integer("hidden_size", 1);
        var layers = f.Integer("num_hidden_layers", 1);
        var heads = f.Integer("num_attention_heads", 1);
        var kvHeads = f.OptionalInteger("num_key_value_heads", 1) ?? heads;
        if (heads % kvHeads != 0)
        {
            throw new InputException($"{f.Origin}: num_attention_heads ({heads}) is not a multiple of num_key_value_heads ({kvHeads})");
        }

        var headDim = f.OptionalInteger("head_dim", 1) ?? (hidden % heads == 0 ? hidden / heads
            : throw new InputException($"{f.Origin}: hidden_size ({hidden}) is not a multiple of num_attention_heads ({heads}) and there is no head_dim"));
        var kind = kvHeads == heads ? AttentionKind.Mha : kvHeads == 1 ? AttentionKind.Mqa : AttentionKind.Gqa;
        var attentionBias = f.OptionalBool("attention_bias") ?? false;

        // Sliding windows: GPT-OSS lists each layer's type; Mistral-style configs apply one window to every layer.
        var window = f.OptionalInteger("sliding_window", 1) ?? 0;
        var layerTypes = f.OptionalTextArray("layer_types");
        var useSliding = f.OptionalBool("use_sliding_window");
        int slidingLayers;
        if (layerTypes is not null)
        {
            slidingLayers = layerTypes.Take(layers).Count(t => t == "sliding_attention");
        }
        else if (type is "qwen2" or "qwen3" or "qwen3_moe")
        {
            // Qwen configs carry a sliding_window but only apply it above max_window_layers when use_sliding_window is set.
            var maxWindowLayers = f.OptionalInteger("max_window_layers", 0) ?? layers;
            slidingLayers = useSliding == true ? Math.Max(0, layers - maxWindowLayers) : 0;
        }
        else
        {
            slidingLayers = window > 0 ? layers : 0;
        }

        if (slidingLayers == 0)
        {
            window = 0;
        }

        var hybrid = HybridLinearTypes.Contains(type);
        var qkNorm = type is "qwen3" or "qwen3_moe" || hybrid || (type is "glm4_moe" or "minimax_m2" && (f.OptionalBool("use_qk_norm") ?? false));
        var attention = new AttentionSpec(kind, heads, kvHeads, headDim, headDim,
            QkvBias: type == "qwen2" || attentionBias, OutputBias: type == "gpt_oss" || (attentionBias && type is not ("qwen2" or "glm4_moe")),
            QkNorm: qkNorm, Sinks: type == "gpt_oss", SlidingWindow: window, SlidingLayers: slidingLayers,
            OutputGate: hybrid && (f.OptionalBool("attn_output_gate") ?? true),
            QkNormPerLayer: type == "minimax_m2" && (f.OptionalText("qk_norm_type") ?? "per_layer") == "per_layer",
            Linear: ParseLinear(type, f, layers));

        FeedForwardSpec ffn = type switch
        {
            "mixtral" => Moe(f, layers, f.Integer("num_local_experts", 1), expertInter: f.Integer("intermediate_size", 1), expertBias: false, routerBias: false),
            "gpt_oss" => Moe(f, layers, f.Integer("num_local_experts", 1), expertInter: f.Integer("intermediate_size", 1), expertBias: true, routerBias: true),
            // MiniMax-M2 routes with a score-correction bias (use_routing_bias) and has no shared expert.
            "minimax_m2" => Moe(f, layers, f.Integer("num_local_experts", 1), expertInter: f.Integer("intermediate_size", 1), expertBias: false,
                routerBias: f.OptionalBool("use_routing_bias") ?? true),
            "qwen3_moe" or "qwen3_next" or "qwen3_5_moe" or "qwen3_5_moe_text" => QwenMoe(f, layers),
            "glm4_moe" => LeadingDenseMoe(f, layers),
            _ => new FeedForwardSpec(f.Integer("intermediate_size", 1), layers, 0, MlpBias: f.OptionalBool("mlp_bias") ?? false),
        };
        var mtp = f.OptionalInteger("num_nextn_predict_layers", 0) ?? f.OptionalInteger("mtp_num_hidden_layers", 0) ?? 0;
        return new TransformerSpec(type, hidden, layers, f.Integer("vocab_size", 1), f.OptionalBool("tie_word_embeddings") ?? false, attention, ffn, mtp);
    }

    // GLM-4.5/4.6: dense MLPs in the first first_k_dense_replace layers, then routed and shared experts (DeepSeek's
    // layout), routed with a score-correction bias.
    private static FeedForwardSpec LeadingDenseMoe(JsonFields f, int layers)
    {
        var (dense, experts, topk, groups, limited) = LeadingDenseExperts.Read(f, layers);
        return new FeedForwardSpec(dense > 0 ? f.Integer("intermediate_size", 1) : 0, dense, layers - dense, experts, f.OptionalInteger("n_shared_experts", 0) ?? 0, topk,
            f.Integer("moe_intermediate_size", 1), groups, limited, RouterBias: true);
    }

    // DeepSeek's expert fields, which GLM's configs share: dense layers first, then routed experts of which each token
    // takes top-k, within topk_group of n_group groups.
    private readonly record struct LeadingDenseExperts(int Dense, int Routed, int TopK, int Groups, int Limited)
    {
        public static LeadingDenseExperts Read(JsonFields f, int layers)
        {
            var dense = f.Integer("first_k_dense_replace", 0);
            if (dense > layers)
            {
                throw new InputException($"{f.Origin}: first_k_dense_replace ({dense}) exceeds num_hidden_layers ({layers})");
            }

            var routed = f.Integer("n_routed_experts", 1);
            var topk = f.Integer("num_experts_per_tok", 1);
            if (topk > routed)
            {
                throw new InputException($"{f.Origin}: num_experts_per_tok ({topk}) exceeds n_routed_experts ({routed})");
            }

            var groups = f.OptionalInteger("n_group", 1) ?? 1;
            var limited = f.OptionalInteger("topk_group", 1) ?? groups;
            if (limited > groups)
            {
                throw new InputException($"{f.Origin}: topk_group ({limited}) exceeds n_group ({groups})");
            }

            return new LeadingDenseExperts(dense, routed, topk, groups, limited);
        }
    }

    private static FeedForwardSpec Moe(JsonFields f, int layers, int experts, int expertInter, bool expertBias, bool routerBias)
    {
        var topk = f.Integer("num_experts_per_tok", 1);
        if (topk > experts)
        {
            throw new InputException($"{f.Origin}: num_experts_per_tok ({topk}) exceeds the {experts} experts");
        }

        return new FeedForwardSpec(0, 0, layers, experts, 0, topk, expertInter, ExpertBias: expertBias, RouterBias: routerBias);
    }

    private static FeedForwardSpec QwenMoe(JsonFields f, int layers)
    {
        var experts = f.Integer("num_experts", 1);
        var topk = f.Integer("num_experts_per_tok", 1);
        if (topk > experts)
        {
            throw new InputException($"{f.Origin}: num_experts_per_tok ({topk}) exceeds num_experts ({experts})");
        }

        // Layers listed in mlp_only_layers, or off the decoder_sparse_step grid, keep a dense MLP.
        var step = f.OptionalInteger("decoder_sparse_step", 1) ?? 1;
        var mlpOnly = f.OptionalIntArray("mlp_only_layers") ?? [];
        var dense = Enumerable.Range(0, layers).Count(i => mlpOnly.Contains(i) || (i + 1) % step != 0);
        // Qwen3-Next and Qwen3.5 add one shared expert of its own width, scaled by a sigmoid gate.
        var shared = f.OptionalInteger("shared_expert_intermediate_size", 0) ?? 0;
        return new FeedForwardSpec(dense > 0 ? f.Integer("intermediate_size", 1) : 0, dense, layers - dense, experts, shared > 0 ? 1 : 0, topk, f.Integer("moe_intermediate_size", 1),
            SharedIntermediate: shared, SharedGate: shared > 0);
    }

    private static List<ModelSpec> LoadBuiltIns() =>
        [.. EmbeddedData.Under("models/").Select(r => Parse(JsonFields.Parse(r.Text, "built-in " + r.Name), r.Name.Split('/')[1]))];
}

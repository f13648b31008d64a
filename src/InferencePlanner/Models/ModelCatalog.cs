using InferencePlanner.Hardware;
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

    private static readonly string[] MlaTypes = ["deepseek_v2", "deepseek_v3", "kimi_k2"];
    private static readonly string[] DenseTypes = ["llama", "qwen2", "qwen3", "mistral"];
    private static readonly string[] MoeTypes = ["qwen3_moe", "mixtral", "gpt_oss"];

    /// <summary>The model_type values the loader reads.</summary>
    public static IReadOnlyList<string> KnownTypes { get; } = [.. MlaTypes, .. DenseTypes, .. MoeTypes];

    private static readonly Lazy<IReadOnlyList<ModelSpec>> BuiltInList = new(LoadBuiltIns);

    /// <summary>The built-in models, in name order.</summary>
    public static IReadOnlyList<ModelSpec> BuiltIn => BuiltInList.Value;

    /// <summary>A built-in model by name (case-insensitive), or the config.json at that path (a folder holding one is accepted).</summary>
    public static ModelSpec Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        var match = BuiltIn.FirstOrDefault(m => string.Equals(m.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match;
        }

        if (Catalog.LooksLikePath(nameOrPath))
        {
            var path = Directory.Exists(nameOrPath) ? Path.Combine(nameOrPath, "config.json") : nameOrPath;
            return Parse(JsonFields.ReadFile(path), name: path);
        }

        throw new InputException(
            $"unknown model '{nameOrPath}': built-in models are {string.Join(", ", BuiltIn.Select(m => m.Name))}, or give the path of a HuggingFace config.json");
    }

    /// <summary>Parses a HuggingFace config.json.</summary>
    public static ModelSpec Parse(string json, string name, string origin) => Parse(JsonFields.Parse(json, origin), name);

    private static ModelSpec Parse(JsonFields root, string name)
    {
        // Multimodal wrappers keep the language model under text_config.
        var f = root.OptionalObject("text_config") ?? root;
        var type = f.OptionalText("model_type") ?? root.OptionalText("model_type")
            ?? throw new InputException($"{root.Origin}: missing field 'model_type' (supported: {string.Join(", ", KnownTypes)})");
        if (MlaTypes.Contains(type))
        {
            var mla = ParseMla(f);
            return new ModelSpec(name, f.Origin, MlaTransformer(type, mla, f), mla);
        }

        if (DenseTypes.Contains(type) || MoeTypes.Contains(type))
        {
            return new ModelSpec(name, f.Origin, ParseGqa(type, f), null);
        }

        throw new InputException(
            $"{root.Origin}: model_type '{type}' is not supported; the loader reads {string.Join(", ", KnownTypes)}");
    }

    private static MlaMoeArchitecture ParseMla(JsonFields f)
    {
        var layers = f.Integer("num_hidden_layers", 1);
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
            QLoraRank: m.QLoraRank, KvLoraRank: m.KvLoraRank, QkNopeHeadDim: m.QkNopeHeadDim, QkRopeHeadDim: m.QkRopeHeadDim),
        new FeedForwardSpec(m.InterDim, m.DenseLayers, m.MoeLayers, m.RoutedExperts, m.SharedExperts, m.ActivatedExperts, m.MoeInterDim,
            m.ExpertGroups, m.LimitedGroups, RouterBias: (f.OptionalText("topk_method") ?? "") == "noaux_tc"),
        MtpLayers: f.OptionalInteger("num_nextn_predict_layers", 0) ?? 0);

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

        var attention = new AttentionSpec(kind, heads, kvHeads, headDim, headDim,
            QkvBias: type == "qwen2" || attentionBias, OutputBias: type == "gpt_oss" || (attentionBias && type != "qwen2"),
            QkNorm: type is "qwen3" or "qwen3_moe", Sinks: type == "gpt_oss", SlidingWindow: window, SlidingLayers: slidingLayers);

        FeedForwardSpec ffn = type switch
        {
            "mixtral" => Moe(f, layers, f.Integer("num_local_experts", 1), expertInter: f.Integer("intermediate_size", 1), expertBias: false, routerBias: false),
            "gpt_oss" => Moe(f, layers, f.Integer("num_local_experts", 1), expertInter: f.Integer("intermediate_size", 1), expertBias: true, routerBias: true),
            "qwen3_moe" => QwenMoe(f, layers),
            _ => new FeedForwardSpec(f.Integer("intermediate_size", 1), layers, 0, MlpBias: f.OptionalBool("mlp_bias") ?? false),
        };
        return new TransformerSpec(type, hidden, layers, f.Integer("vocab_size", 1), f.OptionalBool("tie_word_embeddings") ?? false, attention, ffn);
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
        return new FeedForwardSpec(dense > 0 ? f.Integer("intermediate_size", 1) : 0, dense, layers - dense, experts, 0, topk, f.Integer("moe_intermediate_size", 1));
    }

    private static List<ModelSpec> LoadBuiltIns() =>
        [.. EmbeddedData.Under("models/").Select(r => Parse(JsonFields.Parse(r.Text, "built-in " + r.Name), r.Name.Split('/')[1]))];
}

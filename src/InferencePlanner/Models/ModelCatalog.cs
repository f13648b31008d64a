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

    private static readonly string[] KnownTypes = ["deepseek_v2", "deepseek_v3"];

    private static readonly Lazy<IReadOnlyList<ModelSpec>> BuiltInList = new(LoadBuiltIns);

    /// <summary>The built-in models, in name order.</summary>
    public static IReadOnlyList<ModelSpec> BuiltIn => BuiltInList.Value;

    /// <summary>A built-in model by name (case-insensitive), or the config.json at that path.</summary>
    public static ModelSpec Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        foreach (var model in BuiltIn)
        {
            if (string.Equals(model.Name, nameOrPath, StringComparison.OrdinalIgnoreCase))
            {
                return model;
            }
        }

        if (Catalog.LooksLikePath(nameOrPath))
        {
            var path = Directory.Exists(nameOrPath) ? Path.Combine(nameOrPath, "config.json") : nameOrPath;
            return Parse(JsonFields.ReadFile(path), name: path);
        }

        throw new InputException(
            $"unknown model '{nameOrPath}': built-in models are {string.Join(", ", BuiltIn.Select(m => m.Name))}, or give the path of a HuggingFace config.json");
    }

    /// <summary>Parses a HuggingFace config.json of the DeepSeek-V2/V3 family.</summary>
    public static ModelSpec Parse(string json, string name, string origin) => Parse(JsonFields.Parse(json, origin), name);

    private static ModelSpec Parse(JsonFields f, string name)
    {
        var type = f.OptionalText("model_type");
        if (type is not null && !KnownTypes.Contains(type))
        {
            throw new InputException(
                $"{f.Origin}: model_type '{type}' is not supported; this version reads the DeepSeek-V2/V3 family ({string.Join(", ", KnownTypes)})");
        }

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

        var arch = new MlaMoeArchitecture(
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
        return new ModelSpec(name, f.Origin, arch);
    }

    private static List<ModelSpec> LoadBuiltIns()
    {
        return [.. EmbeddedData.Under("models/").Select(r => Parse(JsonFields.Parse(r.Text, "built-in " + r.Name), r.Name.Split('/')[1]))];
    }
}

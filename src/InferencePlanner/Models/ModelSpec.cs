namespace InferencePlanner.Models;

/// <summary>A named model: where it came from and its shapes.</summary>
/// <param name="Name">Name in tables (the built-in name, or the path it was read from).</param>
/// <param name="Source">Where the configuration was read from.</param>
/// <param name="Transformer">The shapes, as the default model uses them.</param>
/// <param name="Mla">The same model in the seed's terms, for the DeepSeek-V2/V3 family; null for other families.</param>
public sealed record ModelSpec(string Name, string Source, TransformerSpec Transformer, MlaMoeArchitecture? Mla)
{
    /// <summary>The model in the seed's terms; the seed preset models only the DeepSeek-V2/V3 family.</summary>
    public MlaMoeArchitecture RequireMla() =>
        Mla ?? throw new InputException(
            $"the seed preset models MLA + MoE models of the DeepSeek-V2/V3 family only; {Name} is {Transformer.Family} (use --preset default)");
}

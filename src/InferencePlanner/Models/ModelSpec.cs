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

    /// <summary>
    /// Throws <see cref="InputException"/> when a request of <paramref name="promptTokens"/> and
    /// <paramref name="outputTokens"/> is longer than the model's context window: no framework admits it.
    /// </summary>
    public void RequireContext(long promptTokens, long outputTokens)
    {
        if (Transformer.ContextWindow is { } window && promptTokens + outputTokens > window)
        {
            var request = outputTokens == 0
                ? FormattableString.Invariant($"a prompt of {promptTokens} tokens")
                : FormattableString.Invariant($"a request of {promptTokens} prompt and {outputTokens} output tokens ({promptTokens + outputTokens} in all)");
            throw new InputException(FormattableString.Invariant(
                $"{request} is longer than {Name}'s context window of {window} tokens (its config.json's max_position_embeddings, or the window a YaRN, linear or dynamic rope_scaling stretches it to): shorten --isl or --osl, or give a config.json whose max_position_embeddings or rope_scaling covers the window you serve it with"));
        }
    }
}

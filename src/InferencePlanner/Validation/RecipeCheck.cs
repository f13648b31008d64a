namespace InferencePlanner.Validation;

/// <summary>How the benchmark's recipes read a run whose layout another row of the dataset states.</summary>
/// <param name="Stated">The reading of the row that states its workers and layout.</param>
/// <param name="Read">The reading of its twin, which states neither and was read by the recipes.</param>
public sealed record RecipeCheck(ServingCase Stated, ServingCase Read)
{
    /// <summary>What the recipes' reading came to against the stated one.</summary>
    public RecipeAgreement Agreement =>
        Readings.Any(r => r.Deployment == Stated.Deployment) ? RecipeAgreement.Deployment
        : Readings.Any(r => Workers(r) == Workers(Stated)) ? RecipeAgreement.Workers
        : RecipeAgreement.None;

    /// <summary>The recipes' reading nearest the stated one: the stated deployment, else the stated workers, else the first.</summary>
    public ServingCase Nearest =>
        Readings.FirstOrDefault(r => r.Deployment == Stated.Deployment) ?? Readings.FirstOrDefault(r => Workers(r) == Workers(Stated)) ?? Read;

    private IEnumerable<ServingCase> Readings => new[] { Read }.Concat(Read.Alternatives);

    // Prefill and decode workers of a disaggregated reading; the engine's GPUs of an aggregated one.
    private static (int, int) Workers(ServingCase c) =>
        c.Disaggregated is { } d ? (d.PrefillWorkers, d.DecodeWorkers) : (c.Engine!.Gpus, 0);
}

/// <summary>How far the recipes' reading of a run agrees with the reading of a row that states its layout.</summary>
public enum RecipeAgreement
{
    /// <summary>One of the recipes' readings is the stated deployment (workers, layouts, batch caps and MTP).</summary>
    Deployment,

    /// <summary>One of the recipes' readings has the stated worker counts, none the stated deployment.</summary>
    Workers,

    /// <summary>No reading has the stated worker counts.</summary>
    None,
}

namespace InferencePlanner.Work;

/// <summary>How MLA runs in decode.</summary>
public enum MlaForm
{
    /// <summary>Absorbed on the fly (FlashMLA): W_UK and W_UV applied to the queries and outputs, attention over the latent.</summary>
    OnTheFly,

    /// <summary>Absorbed with the products W_UQ·W_UK and W_UV·W_O stored as weights (the seed's absorbed form).</summary>
    AbsorbedMaterialised,

    /// <summary>Standard: the cached latent re-expanded into per-head keys and values at every step.</summary>
    Standard,
}

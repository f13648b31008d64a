namespace InferencePlanner.Pricing;

/// <summary>An inference phase.</summary>
public enum Phase
{
    /// <summary>Processing the prompt.</summary>
    Prefill,

    /// <summary>Generating one token per request per step.</summary>
    Decode,
}

namespace InferencePlanner.Kernels;

/// <summary>Which end of the kernel data's spread to price with.</summary>
public enum Band
{
    /// <summary>The interpolated value.</summary>
    Mid,

    /// <summary>The least efficient measurement near the shape (slow end).</summary>
    Low,

    /// <summary>The most efficient measurement near the shape (fast end).</summary>
    High,
}

using InferencePlanner.Units;

namespace InferencePlanner.Pricing;

/// <summary>
/// The rates a cost policy grants one GPU in one phase, computed once per GPU and phase so that pricing an
/// operator is a division.
/// </summary>
/// <param name="Fp8">Achievable FP8 tensor rate.</param>
/// <param name="Bf16">Achievable BF16 tensor rate.</param>
/// <param name="Memory">Achievable HBM bandwidth.</param>
/// <param name="ScaleUp">Achievable scale-up (NVLink) bandwidth per GPU.</param>
/// <param name="ScaleOut">Achievable scale-out (NIC) bandwidth per GPU.</param>
/// <param name="ExpertEfficiency">Further factor on the compute rate of expert GEMMs.</param>
public readonly record struct EffectiveRates(FlopRate Fp8, FlopRate Bf16, Bandwidth Memory, Bandwidth ScaleUp, Bandwidth ScaleOut, double ExpertEfficiency)
{
    /// <summary>The compute rate for a precision.</summary>
    public FlopRate Compute(Precision p) => p == Precision.Fp8 ? Fp8 : Bf16;
}

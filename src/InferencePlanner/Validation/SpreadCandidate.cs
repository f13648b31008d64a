namespace InferencePlanner.Validation;

/// <summary>The calibration error of one candidate value of the expert load spread.</summary>
/// <param name="Spread">Candidate spread.</param>
/// <param name="SquaredLogError">Sum over the end-to-end rows of ln(predicted / measured)^2.</param>
public readonly record struct SpreadCandidate(double Spread, double SquaredLogError);

using System.CommandLine;
using InferencePlanner.Models;
using InferencePlanner.Units;
using InferencePlanner.Work;

namespace InferencePlanner.Cli;

/// <summary>Reads a precision option (fp4, fp8, bf16, ...); an unknown name is an input error naming the option.</summary>
internal static class PrecisionOptions
{
    /// <summary>The precision given to <paramref name="option"/>, or null when it was not given.</summary>
    public static Precision? GetPrecision(this ParseResult p, Option<string?> option) =>
        p.GetValue(option) is { } text ? PrecisionExtensions.Parse(text, option.Name) : null;

    /// <summary>Refuses a weights-only format (INT4, MXFP4) given to an option that is not a weight's.</summary>
    public static void RejectWeightOnly(params (Option<string?> Option, Precision? Value)[] given)
    {
        foreach (var (option, value) in given)
        {
            if (value is Precision.Int4 or Precision.Mxfp4)
            {
                throw new InputException($"{option.Name}: {value.Value.Name().ToLowerInvariant()} is a format for weights only; use fp8 or bf16");
            }
        }
    }

    /// <summary>
    /// The precisions of a serving deployment: the checkpoint's, with the weights, the experts (default: as the
    /// weights) and the KV cache as given.
    /// </summary>
    public static PrecisionSet ServingPrecisions(this ParseResult p, TransformerSpec t, Option<string?> weights, Option<string?> experts, Option<string?>? kv)
    {
        var native = PrecisionSet.NativeFor(t);
        var w = p.GetPrecision(weights);
        var k = kv is null ? null : p.GetPrecision(kv);
        if (kv is not null)
        {
            RejectWeightOnly((kv, k));
        }

        return native with
        {
            Weights = w ?? native.Weights,
            ExpertWeights = p.GetPrecision(experts) ?? w ?? native.ExpertWeights,
            KvCache = k ?? native.KvCache,
        };
    }
}

using System.CommandLine;
using System.Globalization;
using InferencePlanner.Models;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using InferencePlanner.Units;
using InferencePlanner.Work;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The default model's inputs: precisions and expert balance.</summary>
internal sealed class ModelOptions
{
    private readonly Option<string?> _weights = new("--weights") { Description = "default: weight precision, fp4|fp8|bf16 (default: the checkpoint's)." };
    private readonly Option<string?> _expertWeights = new("--expert-weights") { Description = "default: expert weight precision, fp4|mxfp4|fp8|bf16|int4 (default: as --weights, or the checkpoint's)." };
    private readonly Option<string?> _kv = new("--kv-cache") { Description = "default: KV-cache precision, fp8|bf16 (default: bf16)." };
    private readonly Option<string?> _attention = new("--attention-precision") { Description = "default: attention compute precision, fp8|bf16 (default: bf16)." };
    private readonly Option<string?> _dispatch = new("--dispatch") { Description = "default: dispatch payload precision (default: fp8)." };
    private readonly Option<string?> _combine = new("--combine") { Description = "default: combine payload precision (default: bf16)." };
    private readonly Option<double?> _imbalance = new Option<double?>("--imbalance") { Description = "default: expert load imbalance before redundancy, busiest GPU over the mean (default: derived from the expert load spread, the slots per GPU and the batch)." }.Within(1, 1000);
    private readonly Option<double?> _spread = new Option<double?>("--expert-spread") { Description = "default: spread of load across experts (coefficient of variation) the imbalance is derived from (default: 0.7, calibrated on the bundled measurements)." }.Within(0, 10);
    private readonly Option<int?> _mtp = new Option<int?>("--mtp") { Description = "default: multi-token prediction, draft tokens per request and decode step (default: 0, none; the model needs an MTP module)." }.Within(0, 16);
    private readonly Option<double?> _mtpTokens = new Option<double?>("--mtp-tokens") { Description = "default: tokens a request gains per step with --mtp, between 1 and 1 + drafts (default: DeepSeek-R1's measured acceptance with that many chained drafts: " + string.Join(", ", RooflineOptions.MtpMeasuredTokensPerStep.Skip(1).Select(x => x.ToString(CultureInfo.InvariantCulture))) + " for 1 to " + (RooflineOptions.MtpMeasuredTokensPerStep.Count - 1).ToString(CultureInfo.InvariantCulture) + ")." }.Within(1, 17);
    private readonly Option<int?> _redundant = new Option<int?>("--redundant") { Description = "default: redundant experts (default: the fewest that spread the experts evenly)." }.Within(0, 100_000);
    private readonly Option<bool> _band = new("--band") { Description = "default: add low and high predictions from the spread of the kernel data." };
    private readonly Option<string?> _mlaForm = new("--mla-form") { Description = "default: how MLA runs in decode: on-the-fly (absorbed, as FlashMLA; the default), absorbed (materialised weights) or standard." };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { _weights, _expertWeights, _kv, _attention, _dispatch, _combine, _imbalance, _spread, _mtp, _mtpTokens, _redundant, _mlaForm, _band })
        {
            cmd.Options.Add(o);
        }
    }

    /// <summary>Throws when an option of the default model is given under the seed preset, which would ignore it.</summary>
    public void RejectUnderSeed(ParseResult p)
    {
        foreach (var o in new Option[] { _weights, _expertWeights, _kv, _attention, _dispatch, _combine, _imbalance, _spread, _mtp, _mtpTokens, _redundant, _mlaForm, _band })
        {
            if (p.GetResult(o) is { Implicit: false })
            {
                throw new InputException($"{o.Name} belongs to the default preset; the seed preset has its own fixed assumptions");
            }
        }
    }

    public RooflineInputs Inputs(ParseResult p, ModelSpec model, string command)
    {
        RejectMeaningless(p, model, command);
        var weights = p.GetPrecision(_weights);
        var experts = p.GetPrecision(_expertWeights);
        var kv = p.GetPrecision(_kv);
        var attention = p.GetPrecision(_attention);
        var dispatch = p.GetPrecision(_dispatch);
        var combine = p.GetPrecision(_combine);
        if (kv == Precision.Fp4)
        {
            throw new InputException("--kv-cache: fp4 is not supported; use fp8 or bf16");
        }

        PrecisionOptions.RejectWeightOnly((_kv, kv), (_attention, attention), (_dispatch, dispatch), (_combine, combine));
        var options = WithImbalance(new RooflineOptions(), p.GetValue(_imbalance));
        if (p.GetValue(_spread) is { } spread)
        {
            if (!(spread >= 0) || !double.IsFinite(spread))
            {
                throw new InputException($"--expert-spread is a coefficient of variation and must be 0 or more, got {spread.ToString(CultureInfo.InvariantCulture)}");
            }

            if (options.Imbalance is not null)
            {
                throw new InputException("give --imbalance or --expert-spread, not both: a fixed imbalance ignores the spread");
            }

            options = options with { ExpertLoadSpread = spread };
        }

        if (p.GetValue(_mtp) is { } drafts)
        {
            options = options with { MtpDraftTokens = drafts };
        }

        if (p.GetValue(_mtpTokens) is { } gained)
        {
            if (options.MtpDraftTokens <= 0)
            {
                throw new InputException("--mtp-tokens needs --mtp (draft tokens per step)");
            }

            options = options with { MtpTokensPerStep = gained };
        }

        options.CheckMtp();

        if (p.GetValue(_mlaForm) is { } form)
        {
            options = options with
            {
                MlaDecodeForm = form.ToLowerInvariant() switch
                {
                    "on-the-fly" => MlaForm.OnTheFly,
                    "absorbed" => MlaForm.AbsorbedMaterialised,
                    "standard" => MlaForm.Standard,
                    _ => throw new InputException($"--mla-form: unknown form '{form}' (use on-the-fly, absorbed or standard)"),
                },
            };
        }

        var redundant = p.GetValue(_redundant);
        if (redundant is < 0)
        {
            throw new InputException($"--redundant must not be negative, got {redundant}");
        }

        return new RooflineInputs(t =>
        {
            var n = PrecisionSet.NativeFor(t);
            return new PrecisionSet(weights ?? n.Weights, experts ?? weights ?? n.ExpertWeights, kv ?? n.KvCache, attention ?? n.Attention, dispatch ?? n.Dispatch, combine ?? n.Combine);
        }, options, redundant) { Band = p.GetValue(_band) };
    }

    // An option the model or the command has no use for is refused, not silently ignored.
    private void RejectMeaningless(ParseResult p, ModelSpec model, string command)
    {
        var t = model.Transformer;
        bool Given(Option o) => p.GetResult(o) is { Implicit: false };
        if (!t.FeedForward.IsMoe)
        {
            foreach (var o in new Option[] { _expertWeights, _dispatch, _combine, _imbalance, _spread, _redundant })
            {
                if (Given(o))
                {
                    throw new InputException($"{o.Name} applies to models with experts; {model.Name} is dense");
                }
            }
        }

        if (Given(_mlaForm) && t.Attention.Kind != AttentionKind.Mla)
        {
            throw new InputException($"--mla-form applies to models with multi-head latent attention; {model.Name} has {t.Attention.Kind.ToString().ToUpperInvariant()} attention");
        }

        if (Given(_mlaForm) && command == "prefill")
        {
            throw new InputException("--mla-form sets how MLA runs in decode; prefill runs it in the standard form");
        }

        if ((Given(_mtp) || Given(_mtpTokens)) && command == "prefill")
        {
            throw new InputException("--mtp and --mtp-tokens apply to decode; prefill computes no drafts");
        }

        if (Given(_mtp) && p.GetValue(_mtp) is > 0 && t.MtpLayers == 0)
        {
            throw new InputException("--mtp needs a model with a multi-token-prediction module (its config.json has num_nextn_predict_layers 0)");
        }

        if (Given(_band) && command is "batch" or "blocks" or "compare" or "report")
        {
            throw new InputException($"--band adds low and high predictions to the prefill and decode tables; {command} has no band");
        }
    }
}

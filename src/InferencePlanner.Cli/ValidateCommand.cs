using System.CommandLine;
using InferencePlanner.Phases;
using InferencePlanner.Reporting;
using static InferencePlanner.Cli.CommandOptions;

namespace InferencePlanner.Cli;

/// <summary>The validate command: predictions against the bundled deployment, kernel and serving measurements.</summary>
internal static class ValidateCommand
{
    public static Command Build(TextWriter stdout)
    {
        var format = new Option<string>("--format") { Description = $"Output format: {string.Join(", ", OutputFormats.Names)}.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var band = new Option<bool>("--band") { Description = "Add a low and a high prediction from the spread of the kernel data." };
        var imbalance = new Option<double?>("--imbalance") { Description = "Expert load imbalance before redundancy, busiest GPU over the mean (default: derived from the expert load spread, the slots per GPU and the batch)." }.Within(1, 1000);
        var serving = new Option<string?>("--serving")
        {
            Description = "Score the serving level instead: the bundled serving measurements, or the CSV at this path (aiconfigurator's silicon_sample.csv columns).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cmd = new Command("validate", "Predicted against measured for the bundled measurements of DeepSeek-V3/R1 deployments and kernels, under both presets, with the median and worst error; --serving scores TTFT and TPOT on measured serving points.")
        {
            format, band, imbalance, serving,
        };
        cmd.SetAction(p =>
        {
            if (p.GetResult(serving) is not null)
            {
                if (p.GetValue(band) || p.GetValue(imbalance) is not null)
                {
                    throw new InputException("--band and --imbalance apply to the deployment validation, not to --serving");
                }

                var path = p.GetValue(serving);
                var servingRows = path is null ? Validation.ServingMeasurement.Bundled : Validation.ServingMeasurement.ParseCsv(Input.InputFile.ReadText(path), path);
                var outcome = ServingValidationReport.Run(servingRows);
                if (p.GetValue(format) == "json")
                {
                    stdout.WriteLine(ServingValidationReport.Json(outcome));
                    return 0;
                }

                OutputFormats.For(p.GetValue(format)!).Write(ServingValidationReport.Document(outcome, path ?? "bundled data/measurements/serving/silicon-sample.csv"), stdout);
                return 0;
            }

            var options = WithImbalance(new RooflineOptions(), p.GetValue(imbalance));

            var rows = Validation.Validator.Run(Validation.Measurement.BuiltIn, options, p.GetValue(band));
            var calibration = Validation.Calibration.Run(Validation.Measurement.BuiltIn, options);
            if (p.GetValue(format) == "json")
            {
                stdout.WriteLine(ValidationReport.Json(rows, calibration));
                return 0;
            }

            OutputFormats.For(p.GetValue(format)!).Write(ValidationReport.Document(rows, p.GetValue(band), calibration), stdout);
            return 0;
        });
        return cmd;
    }
}

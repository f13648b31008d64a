using InferencePlanner.Serving;
using InferencePlanner.Units;

namespace InferencePlanner.Reporting;

/// <summary>The document of the serve command.</summary>
public static class ServingReport
{
    /// <summary>TTFT and TPOT with their parts, throughput, memory and what limits the rate.</summary>
    public static Document Serve(ServingScenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var (r, step, kernels) = s.EvaluateWithStep();
        var w = s.Workload;
        var p = s.Precisions;
        var mode = s.Mode.Word();
        var inputs = new List<KeyValuePair<string, string>>
        {
            new("model", s.Model.Name),
            new("GPU", s.Gpu.Name),
            new("framework", s.Framework.DisplayName),
            new("mode", mode),
            new("layout", s.LayoutText),
            new("workload", $"ISL {w.Isl}, OSL {w.Osl}, concurrency {w.Concurrency}, cache hit {w.CacheHit:0.###}" + (w.Waves > 0 ? $", {w.Waves} waves" : ", steady state")),
            new("delivery", $"scheduler poll every {w.RecvInterval} step(s), batching wait {w.BatchWaitSteps} step(s), attention-DP balance {(w.BalanceTimeoutSteps == 0 ? "off" : $"up to {w.BalanceTimeoutSteps} step(s)")}"),
            new("precisions", $"weights {p.Weights.Name()}, experts {p.ExpertWeights.Name()}, KV cache {p.KvCache.Name()}"),
            new("multi-token prediction", s.MtpDrafts > 0 ? $"{s.MtpDrafts} draft token(s) per step, {new Phases.RooflineOptions { MtpDraftTokens = s.MtpDrafts }.TokensPerStep:0.###} tokens gained per step ({Phases.RooflineOptions.MtpAcceptanceSource})" : "none"),
            new("kernels", kernels),
            new("chunk budget", $"{r.ChunkTokens:0} prompt tokens per step and DP group in the steady state (budget {s.ChunkTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? s.Framework.ChunkTokensFor(s.Gpu.MemoryGB) + " by default"})"),
        };

        var band = ErrorBand.For(s.Framework.Name, s.Mode, (s.Engine ?? s.Disaggregated!.Decode).AttentionTp);
        var (ttftLow, ttftHigh) = band?.Ttft(r.Ttft.Total) ?? default;
        var (tpotLow, tpotHigh) = band?.Tpot(r.Tpot.Total) ?? default;
        var summary = new Table("summary", $"{s.Model.Name} on {r.Gpus} x {s.Gpu.Name}, {s.Framework.DisplayName}, {mode}, {s.LayoutText}",
            ["figure", "value"],
            [
                ["TTFT (ms)", Cell.Of(r.Ttft.Total, 1)],
                ["TPOT (ms)", Cell.Of(r.Tpot.Total, 2)],
                ["tokens/s per user", Cell.Of(r.TokensPerSecondPerUser, 1)],
                ["output tokens/s per GPU", Cell.Of(r.OutputTokensPerSecondPerGpu, 1)],
                ["input and output tokens/s per GPU", Cell.Of(r.TotalTokensPerSecondPerGpu, 1)],
                ["requests/s", Cell.Of(r.RequestsPerSecond, 3)],
                ["requests running", Cell.Of(r.Running, 1)],
                ["requests memory and the framework hold", Cell.Of(r.MaxRunning, 1)],
                ["decode batch per GPU", Cell.Of(r.DecodeBatchPerGpu, 2)],
                ["limited by", LimitText(r.Limit)],
                .. band is null
                    ? Array.Empty<IReadOnlyList<Cell>>()
                    :
                    [
                        ["TTFT band, low (ms)", Cell.Of(ttftLow, 1)],
                        ["TTFT band, high (ms)", Cell.Of(ttftHigh, 1)],
                        ["TPOT band, low (ms)", Cell.Of(tpotLow, 2)],
                        ["TPOT band, high (ms)", Cell.Of(tpotHigh, 2)],
                    ],
            ],
            [
                "Steady state of closed-loop clients: TTFT = (requests in flight - requests decoding) / rate (Little's law), never less than a prompt's own path.",
                BandNote(band, s.Framework, s.Mode),
                $"Step overhead {s.Framework.StepOverheadUs:0} us, host time {s.Framework.HostUsPerRequest:0} us per running request and request overhead {s.Framework.RequestOverheadMs:0.#} ms from {s.Framework.Origin}, prefill steps at {s.Framework.PrefillStepFactor:0.##} x the kernel data's price (calibrated, see validate --serving).",
                .. s.Framework.ProgrammaticDependentLaunch
                    ? ["Programmatic dependent launch: each kernel starts while the one before it drains, so kernels whose time is not measured pay no prologue and tail."]
                    : Array.Empty<string>(),
                s.Framework.KvReservesWholeRequest
                    ? $"A running request holds KV cache for ISL + OSL: {s.Framework.DisplayName} admits a request only with its whole length reserved."
                    : $"A running request holds KV cache for ISL + OSL/2 on average: {s.Framework.DisplayName} takes blocks as tokens arrive.",
                .. r.MemoryShareRaised
                    ? [$"The weights leave less room than {s.Framework.DisplayName}'s default memory share keeps for its runtime: priced with its least reserve ({r.Memory.Reserve:0.#} GB), which needs the memory share raised by hand."]
                    : Array.Empty<string>(),
            ]);

        var ttft = new Table("ttft", "Time to first token by part (ms)", ["part", "ms"],
            [.. r.Ttft.Labelled.Select(p => (IReadOnlyList<Cell>)[p.Part, Cell.Of(p.Ms, 2)]), ["total", Cell.Of(r.Ttft.Total, 2)]]);

        var tpot = new Table("tpot", "Time per output token by part (ms)", ["part", "ms"],
            [.. r.Tpot.Labelled.Select(p => (IReadOnlyList<Cell>)[p.Part, Cell.Of(p.Ms, 3)]), ["total", Cell.Of(r.Tpot.Total, 3)]]);

        static Cell Ms(Units.Duration d) => Cell.Of(d.Milliseconds, 3);
        var stepTable = new Table("decode-step", $"The decode step at {r.StepBatchPerGpu:0.##} requests per GPU by component (ms, all layers)", ["component", "ms"],
        [
            ["attention projections", Ms(step.AttentionProjections)],
            ["attention core (KV read)", Ms(step.AttentionCore)],
            ["all-reduces (attention, MLP, MoE TP)", Ms(step.AttentionAllReduce + step.MlpAllReduce)],
            ["dense MLP", Ms(step.DenseMlp)],
            ["router, shared and routed experts", Ms(step.Router + step.SharedExperts + step.RoutedExperts)],
            ["dispatch and combine", Ms(step.Dispatch + step.Combine)],
            ["norms, activations, layouts, output head", Ms(step.Glue + step.Head)],
            ["total", Ms(step.Total)],
            ["limited by", RooflineReport.LimitText(step.Limit)],
        ],
        [
            AllReduceNote(s.Gpu),
        ]);

        var mem = r.Memory;
        var memory = new Table("memory", $"Memory per {(s.Mode == ServingMode.Aggregated ? "" : "decode ")}GPU (GB)", ["part", "GB"],
        [
            ["HBM (datasheet GB read as GiB)", Cell.Of(mem.Capacity, 1)],
            ["weights", Cell.Of(mem.Weights, 2)],
            ["framework reserve (activations, graphs, workspace)", Cell.Of(mem.Reserve, 2)],
            ["KV cache the memory share leaves", Cell.Of(mem.KvCapacity, 2)],
            ["KV cache of the running requests", Cell.Of(mem.KvInFlight, 2)],
        ]);

        var tables = new List<Table> { summary, ttft, tpot, stepTable, memory };
        if (s.Mode == ServingMode.Disaggregated)
        {
            tables.Add(new Table("balance", "Prefill and decode workers", ["figure", "value"],
            [
                ["requests/s the prefill workers carry at most", Cell.Of(r.PrefillCapacityPerSecond, 3)],
                ["requests/s served", Cell.Of(r.RequestsPerSecond, 3)],
                ["prefill workers per decode worker that would balance this rate", Cell.Of(r.BalancedPrefillPerDecode, 3)],
                ["side that limits the rate", r.Limit == ServingLimit.Prefill ? "prefill" : "decode"],
            ]));
        }

        return new Document($"Serving {s.Model.Name} on {s.Gpu.Name} with {s.Framework.DisplayName}", inputs, tables);
    }

    /// <summary>What a limit means, in words.</summary>
    public static string LimitText(ServingLimit limit) => limit switch
    {
        ServingLimit.Memory => "memory (requests beyond the KV cache wait in the queue)",
        ServingLimit.RunningCap => "the cap on running requests (max batch per DP group)",
        ServingLimit.Prefill => "prefill capacity (prompts wait in the queue)",
        _ => "the clients (every request is served as it arrives)",
    };

    /// <summary>
    /// What the band around a prediction rests on: the held-out spread of the bundled rows of the framework and mode, or
    /// that there is none.
    /// </summary>
    public static string BandNote(ErrorBand? band, ServingFramework framework, ServingMode mode)
    {
        ArgumentNullException.ThrowIfNull(framework);
        return band is not null
            ? band.Describe(framework.DisplayName)
            : $"No band: the bundled serving measurements hold no {framework.DisplayName} {mode.Word()} runs, so how far this prediction may miss is not measured.";
    }

    // The all-reduce start-ups the decode step is priced with, each named by where it comes from: the default's source,
    // or the GPU file that overrides it; and the bandwidth a large one reaches.
    private static string AllReduceNote(Hardware.GpuSpec gpu)
    {
        var l = gpu.Latency;
        var d = Hardware.GpuLatency.Default;
        string From(double value, double standard, string source) => value == standard ? source : "the GPU file";
        var large = gpu.AllReduceBus is { } bus
            ? FormattableString.Invariant($" A large one runs in two shots (reduce-scatter, all-gather; two start-ups) at the bus bandwidth NCCL measured for its group ({bus}, the GPU file's allReduceBusGBps){(bus.Points[0].Ranks > 2 ? $", groups smaller than listed {gpu.ScaleUpShareGBps:0.#} GB/s" : "")}{(gpu.AllReduceHalfBandwidthMiB > 0 ? $", less its pipeline's fill and drain: half that for a message of {gpu.AllReduceHalfBandwidthMiB:0.#} MiB (allReduceHalfBandwidthMiB)" : "")}.")
            : FormattableString.Invariant($" A large one runs in two shots (reduce-scatter, all-gather; two start-ups) at {gpu.ScaleUpShareGBps:0.#} GB/s of bus bandwidth ({gpu.Efficiency.ScaleUp:0.##} of the link; no measured figure in the GPU file).");
        return FormattableString.Invariant(
            $"A small all-reduce inside one node runs in one shot, each GPU reading every other's message at {gpu.ScaleUpShareGBps:0.#} GB/s ({gpu.Efficiency.ScaleUp:0.##} of the link), and starts in {l.AllReduceUs:0.#} us between two GPUs ({From(l.AllReduceUs, d.AllReduceUs, "NCCL issue #1259")}) and {l.AllReduceDoublingUs:0.#} us more each time its group doubles ({From(l.AllReduceDoublingUs, d.AllReduceDoublingUs, "calibrated, see validate --serving")}); one across nodes in {l.AllReduceScaleOutUs:0.#} us ({From(l.AllReduceScaleOutUs, d.AllReduceScaleOutUs, "NCCL issue #1244")}).") + large + " Each all-reduce takes the faster of the two.";
    }
}

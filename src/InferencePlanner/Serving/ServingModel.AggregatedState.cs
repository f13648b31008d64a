namespace InferencePlanner.Serving;

/// <content>The aggregated steady state: one engine runs decode steps and the steps that carry prompt chunks.</content>
public sealed partial class ServingModel
{
    // Aggregated: decode steps, and the steps that carry a prefill chunk (mixed, or a prefill step and a decode step).
    private readonly struct AggregatedState : ISteadyState
    {
        private readonly ServingModel _m;
        private readonly PreparedEngine _e;
        private readonly ServingWorkload _w;
        private readonly double _osl1, _c, _cap;
        private readonly int _steps;

        public AggregatedState(ServingModel m, in PreparedEngine e, in ServingWorkload w, double maxRunning)
        {
            _m = m;
            _e = e;
            _w = w;
            _osl1 = w.Osl - 1;
            _c = w.Concurrency;
            Missed = w.MissedTokens;
            Overhead = m.Framework.StepOverheadUs / 1000;
            _steps = m.Framework.MixesPrefill ? 1 : 2;
            FirstBudget = m.PrefillTokensPerStep(e.Budget, Missed);

            // The most requests that can decode at once: memory, the framework's cap, and the prefill capacity
            // (every step carrying a full chunk).
            _cap = Math.Min(maxRunning, _c);
            PrefillBound = _osl1 * e.Dp * FirstBudget / Missed;
            Upper = Math.Min(_cap, PrefillBound);
        }

        public double Missed { get; }

        public double Overhead { get; }

        public double FirstBudget { get; }

        public double PrefillBound { get; }

        public double Upper { get; }

        public double LastGraphed => _e.LastGraphedPerGpu * _e.Gpus;

        public Point At(double b)
        {
            var fw = _m.Framework;
            var bGpu = b / _e.Gpus;
            var bp = fw.BudgetIncludesDecode ? Math.Max(1, _e.Budget - bGpu * _e.Layout.Tp) : _e.Budget;
            bp = _m.PrefillTokensPerStep(bp, Missed);
            // The prompts a step carries. Where each request starts decoding as its own prompt's step ends (steps that mix
            // prompt chunks with decode), requests finish, and their clients' next prompts reach the engine, at random:
            // a prompts per step on average (b requests finish every OSL / k steps), so a share 1 - e^-a of steps carry
            // any, a / (1 - e^-a) prompts each. Where prompts run ahead of decode in steps of their own (SGLang), a wave's
            // requests decode in lockstep and finish together, and a step takes every request not decoding.
            var notDecoding = Math.Max(1, (_cap - b) / _e.Dp);
            var arrivals = b * _m.TokensPerStep / (_osl1 * _e.Dp);
            var inPrefill = fw.MixesPrefill ? Math.Min(notDecoding, arrivals < 1e-9 ? 1 : arrivals / (1 - Math.Exp(-arrivals))) : notDecoding;
            var chunk = Math.Min(bp, Missed * inPrefill);
            var sd = _m.DecodeStep(_e, bGpu, _w);
            var sm = ChunkStep(bGpu, chunk, sd);
            var delta = sm - sd + (_steps - 1) * Overhead;
            // A step gains k tokens per request (multi-token prediction; 1 without), so requests finish, and new prompts
            // arrive, k times as often per step.
            var k = _m.TokensPerStep;
            var pace = _m.Pace(sd, b / _e.Dp);
            var step = pace + Overhead + delta * b * Missed * k / (_osl1 * _e.Dp * chunk);
            var tpot = step / k;
            var rate = b / (_osl1 * tpot) * 1000;
            double own;
            if (Missed <= bp)
            {
                own = sm + _steps * Overhead;
            }
            else
            {
                // Its full chunks, then its remainder.
                var full = Math.Floor(Missed / bp);
                var rest = Missed - full * bp;
                own = full * (ChunkStep(bGpu, bp, sd) + _steps * Overhead) + (rest > 0 ? ChunkStep(bGpu, rest, sd) + _steps * Overhead : 0);
            }

            var floor = fw.RequestOverheadMs + step / 2 + own + Delivery(_w, step) + BalanceWait(_w, _e.Dp, step, rate);
            return new Point(tpot, sd / k, rate, floor, own, chunk, step, (pace - sd) / k);
        }

        public double PrefillStepMs(double chunk) => _m.PrefillStep(_e, chunk, _w) + Overhead;

        // A step carrying a chunk: mixed with the decode tokens (plus the prefill step factor's excess over 1 of the
        // chunk's own prefill price), or a prefill step before a decode step.
        private double ChunkStep(double bGpu, double chunk, double decodeStep) =>
            _m.Framework.MixesPrefill
                ? _m.MixedStep(_e, bGpu, chunk, _w) + (_m.Framework.PrefillStepFactor - 1) * _m.PrefillStepPriced(_e, chunk, _w)
                : _m.PrefillStep(_e, chunk, _w) + decodeStep;
    }
}

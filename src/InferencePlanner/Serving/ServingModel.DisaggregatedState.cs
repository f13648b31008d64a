namespace InferencePlanner.Serving;

/// <content>The disaggregated steady state: prefill workers batch prompts, decode workers run the batch alone.</content>
public sealed partial class ServingModel
{
    // Disaggregated: prefill workers batch prompts into their budget; decode workers run the batch alone.
    private readonly struct DisaggregatedState : ISteadyState
    {
        private readonly ServingModel _m, _pm;
        private readonly PreparedEngine _p, _d;
        private readonly ServingWorkload _w;
        private readonly double _osl1, _c, _px, _dy;

        public DisaggregatedState(ServingModel m, ServingModel pm, in PreparedEngine prefill, int px, in PreparedEngine decode, int dy, in ServingWorkload w, double maxRunning)
        {
            _m = m;
            _pm = pm;
            _p = prefill;
            _d = decode;
            _w = w;
            _osl1 = w.Osl - 1;
            _c = w.Concurrency;
            _px = px;
            _dy = dy;
            Missed = w.MissedTokens;
            Overhead = m.Framework.StepOverheadUs / 1000;
            // A prefill worker's max batch caps the prompts one of its steps carries per DP group.
            FullChunk = m.PrefillTokensPerStep(prefill.Budget, Missed);
            if (prefill.Engine.MaxBatch is { } prompts)
            {
                FullChunk = Math.Min(FullChunk, prompts * Missed);
            }

            PrefillCapacity = _px * prefill.Dp * FullChunk / Missed / (pm.PrefillStep(prefill, FullChunk, w) + Overhead) * 1000;
            Transfer = pm.KvTransferMs(prefill.Engine, w, m._gpu);
            Cap = Math.Min(maxRunning * _dy, _c);
        }

        public double Missed { get; }

        public double Overhead { get; }

        public double FullChunk { get; }

        public double PrefillCapacity { get; }

        public double Transfer { get; }

        public double Cap { get; }

        public double LastGraphed => _d.LastGraphedPerGpu * _d.Gpus * _dy;

        // Requests per decode GPU the step of a worker holding a request is priced at.
        public double StepBatchPerGpu(double b) => RequestsPerDecodeWorker(b, _dy) / _d.Gpus;

        public Point At(double b)
        {
            var bGpu = StepBatchPerGpu(b);
            var inPrefill = Math.Max(1, (_c - b) / (_px * _p.Dp));
            var chunk = Math.Min(FullChunk, Missed * inPrefill);
            var sd = _m.DecodeStep(_d, bGpu, _w);
            var pace = _m.Pace(sd, bGpu * _d.Gpus / _d.Dp);
            var step = pace + Overhead;
            var tpot = step / _m.TokensPerStep;
            var rate = b / (_osl1 * tpot) * 1000;
            double own;
            if (Missed <= FullChunk)
            {
                own = PrefillStepMs(chunk);
            }
            else
            {
                var full = Math.Floor(Missed / FullChunk);
                var rest = Missed - full * FullChunk;
                own = full * PrefillStepMs(FullChunk) + (rest > 0 ? PrefillStepMs(rest) : 0);
            }

            // The balance holds prompts on the prefill workers, in their iterations; each worker takes its share of the rate.
            var floor = _m.Framework.RequestOverheadMs + own + Transfer + step / 2 + Delivery(_w, step) + BalanceWait(_w, _p.Dp, PrefillStepMs(chunk), rate / _px);
            return new Point(tpot, sd / _m.TokensPerStep, rate, floor, own, chunk, step, (pace - sd) / _m.TokensPerStep);
        }

        public double PrefillStepMs(double chunk) => _pm.PrefillStep(_p, chunk, _w) + Overhead;
    }
}

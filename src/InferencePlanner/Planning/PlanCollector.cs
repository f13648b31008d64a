using InferencePlanner.Serving;

namespace InferencePlanner.Planning;

/// <summary>
/// What one thread of the search keeps of the candidates it evaluates, as it goes: for each GPU type and mode the points
/// no other beats on both tokens/s per user and output tokens/s per GPU, the best point of each mode under the targets,
/// and the point closest to them. A candidate that changes none of these is counted and dropped without becoming an
/// object, so the search allocates per kept point, not per candidate. Collectors of several threads merge into one.
/// </summary>
internal sealed class PlanCollector(PlanRequest request)
{
    private readonly Dictionary<(string, ServingMode), ParetoSet> _frontiers = [];
    private readonly Choice[] _best = [new(), new()];
    private PlanPoint? _closest;
    private double _closestShortfall = double.PositiveInfinity;
    private long _closestOrder = long.MaxValue;

    /// <summary>Candidates evaluated: those offered and those counted as dropped.</summary>
    public long Evaluated { get; private set; }

    /// <summary>Counts a candidate evaluated but not offered (a saturated point the sweep replaces by its knee).</summary>
    public void Drop() => Evaluated++;

    /// <summary>Takes one evaluated candidate into account.</summary>
    public void Offer(SweepSite site, int concurrency, in ServingResult result)
    {
        Evaluated++;
        var key = site.FrontierKey;
        if (!_frontiers.TryGetValue(key, out var set))
        {
            set = new ParetoSet();
            _frontiers.Add(key, set);
        }

        set.Offer(site, concurrency, result);
        var order = site.Order;

        var r = request;
        if (r.GpuBudget is not { } cap || result.Gpus <= cap)
        {
            var shortfall = Coarse(r.Targets.Shortfall(result, site.TtftMargin, site.TpotMargin));
            if (shortfall < _closestShortfall || (shortfall == _closestShortfall && order < _closestOrder))
            {
                _closestShortfall = shortfall;
                _closestOrder = order;
                _closest = site.Point(concurrency, result);
            }
        }

        if (!r.Targets.Met(result, site.TtftMargin, site.TpotMargin))
        {
            return;
        }

        var replicas = r.Load is { } load ? (int)Math.Min(int.MaxValue, Math.Ceiling(load.Requests(r.Osl) / result.RequestsPerSecond - 1e-9)) : 1;
        var gpus = (long)replicas * result.Gpus;
        if (r.GpuBudget is { } budget && gpus > budget)
        {
            return;
        }

        var best = _best[(int)site.Mode];
        if (Better(gpus, Coarse(result.OutputTokensPerSecondPerGpu), order, best))
        {
            best.Point = site.Point(concurrency, result);
            best.Gpus = gpus;
            best.Order = order;
            best.Replicas = Math.Max(1, replicas);
        }
    }

    /// <summary>Takes in what another thread's collector kept.</summary>
    public void Merge(PlanCollector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Evaluated += other.Evaluated;
        foreach (var (key, set) in other._frontiers)
        {
            if (!_frontiers.TryGetValue(key, out var mine))
            {
                _frontiers.Add(key, set);
                continue;
            }

            foreach (var (p, u, g, order) in set.Members)
            {
                mine.Offer(p, u, g, order);
            }
        }

        for (var m = 0; m < _best.Length; m++)
        {
            var theirs = other._best[m];
            if (theirs.Point is { } p && Better(theirs.Gpus, Coarse(p.Result.OutputTokensPerSecondPerGpu), theirs.Order, _best[m]))
            {
                _best[m] = theirs;
            }
        }

        if (other._closestShortfall < _closestShortfall || (other._closestShortfall == _closestShortfall && other._closestOrder < _closestOrder))
        {
            _closestShortfall = other._closestShortfall;
            _closestOrder = other._closestOrder;
            _closest = other._closest;
        }
    }

    /// <summary>Every point some frontier kept (several threads' frontiers may overlap until merged).</summary>
    public IEnumerable<PlanPoint> FrontierPoints => _frontiers.Values.SelectMany(s => s.Members.Select(m => m.Point));

    /// <summary>The best point under the targets and the budget of one mode, or of either; null when none meets them.</summary>
    public (PlanPoint Point, int Replicas)? Best(ServingMode? mode)
    {
        Choice? chosen = null;
        foreach (var m in mode is { } only ? [only] : new[] { ServingMode.Aggregated, ServingMode.Disaggregated })
        {
            var c = _best[(int)m];
            if (c.Point is { } p && (chosen is null || Better(c.Gpus, Coarse(p.Result.OutputTokensPerSecondPerGpu), c.Order, chosen)))
            {
                chosen = c;
            }
        }

        return chosen?.Point is { } point ? (point, chosen.Replicas) : null;
    }

    /// <summary>The point within the budget that misses the targets by the least.</summary>
    public PlanPoint? Closest => _closest;

    // Without a load: the most output tokens/s per GPU. With one: the fewest GPUs, then the most tokens/s per GPU.
    // Equal figures: the earlier in the search's order.
    private bool Better(long gpus, double perGpu, long order, Choice current)
    {
        if (current.Point is not { } b)
        {
            return true;
        }

        var theirs = Coarse(b.Result.OutputTokensPerSecondPerGpu);
        if (request.Load is not null && gpus != current.Gpus)
        {
            return gpus < current.Gpus;
        }

        return perGpu > theirs || (perGpu == theirs && order < current.Order);
    }

    /// <summary>
    /// A figure as the search compares it: rounded down to 20 bits of mantissa (one part in a million), the steady-state
    /// solver's own tolerance, so that deployments the search cannot tell apart count as equal and the earlier is kept.
    /// </summary>
    internal static double Coarse(double x) => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & ~((1L << 32) - 1));

    private sealed class Choice
    {
        public PlanPoint? Point { get; set; }

        public long Gpus { get; set; } = long.MaxValue;

        public long Order { get; set; } = long.MaxValue;

        public int Replicas { get; set; } = 1;
    }

    /// <summary>
    /// Points no other beats on both tokens/s per user (u) and output tokens/s per GPU (g): kept in rising u, hence
    /// falling g, so that whether a candidate is beaten is one binary search.
    /// </summary>
    private sealed class ParetoSet
    {
        private readonly List<double> _u = [];
        private readonly List<double> _g = [];
        private readonly List<long> _order = [];
        private readonly List<PlanPoint> _points = [];

        public IEnumerable<(PlanPoint Point, double U, double G, long Order)> Members => _points.Select((p, i) => (p, _u[i], _g[i], _order[i]));

        public void Offer(SweepSite site, int concurrency, in ServingResult result)
        {
            var u = Coarse(result.TokensPerSecondPerUser);
            var g = Coarse(result.OutputTokensPerSecondPerGpu);
            var at = FirstAtLeast(u);
            if (!Beaten(at, u, g, site.Order))
            {
                Insert(at, u, g, site.Order, site.Point(concurrency, result));
            }
        }

        public void Offer(PlanPoint point, double u, double g, long order)
        {
            var at = FirstAtLeast(u);
            if (!Beaten(at, u, g, order))
            {
                Insert(at, u, g, order, point);
            }
        }

        // The member with the least u at or above the candidate's has the most g of those: the candidate is beaten when
        // that g is no lower, unless both figures are equal and the candidate comes first.
        private bool Beaten(int at, double u, double g, long order) =>
            at < _u.Count && _g[at] >= g && (_u[at] != u || _g[at] != g || _order[at] <= order);

        // The new point beats the members at or below its u whose g is no higher: those just below `at`, and one at
        // `at` with the same u.
        private void Insert(int at, double u, double g, long order, PlanPoint point)
        {
            var end = at;
            if (end < _u.Count && _u[end] == u)
            {
                end++;
            }

            var start = at;
            while (start > 0 && _g[start - 1] <= g)
            {
                start--;
            }

            _u.RemoveRange(start, end - start);
            _g.RemoveRange(start, end - start);
            _order.RemoveRange(start, end - start);
            _points.RemoveRange(start, end - start);
            _u.Insert(start, u);
            _g.Insert(start, g);
            _order.Insert(start, order);
            _points.Insert(start, point);
        }

        private int FirstAtLeast(double u)
        {
            int lo = 0, hi = _u.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_u[mid] < u)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}

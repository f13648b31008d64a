namespace InferencePlanner.Serving;

/// <summary>
/// Step prices of one prepared engine under one workload, kept on geometric grids so that a search evaluating the
/// engine at many concurrencies prices each step shape once: decode steps by the batch per GPU, prefill steps by the
/// chunk, mixed steps by both. Between grid points (4% apart) the price is interpolated linearly, which a step price, a sum of rooflines
/// over power laws of the batch, follows to far below the model's own error.
/// Grids are filled on demand; the arrays are allocated once, so evaluating allocates nothing. Concurrent fills write
/// the same value, so one cache may serve several threads.
/// </summary>
public sealed class StepCache
{
    /// <summary>Ratio between neighbouring grid points.</summary>
    public const double Ratio = 1.04;

    private const double Origin = 1e-3;
    private const int Points = 625; // 1e-3 .. ~4.4e7
    private const int MixedSlots = 1 << 12; // 32 KB a table: the planner holds one cache per engine, kept off the large-object heap
    private static readonly double LogRatio = Math.Log(Ratio);
    private static readonly double[] Grid = [.. Enumerable.Range(0, Points).Select(i => Origin * Math.Exp(i * LogRatio))];

    // Decode prices by grid index, the step with no requests (Empty) first.
    private readonly double[] _decode = Filled(Points + 1);
    private readonly double[] _decodeOverlapped = Filled(Points + 1);
    private readonly double[] _prefill = Filled(Points);
    private MixedTable? _mixed; // made on the first mixed step: engines of frameworks that never mix steps need none

    /// <summary>The workload the prices hold for: input length and cache hit (context and chunk shapes follow from them).</summary>
    public (int Isl, int Osl, double CacheHit) Workload { get; }

    /// <summary>An empty cache for one workload.</summary>
    public StepCache(int isl, int osl, double cacheHit)
    {
        Workload = (isl, osl, cacheHit);
    }

    /// <summary>The grid position of <paramref name="x"/>: the point below and the share of the way to the next, or -1 outside the grid.</summary>
    public static (int Index, double Fraction) Locate(double x)
    {
        if (!(x >= Origin))
        {
            return (-1, 0);
        }

        var position = Math.Log(x / Origin) / LogRatio;
        var i = (int)position;
        return i >= Points - 1 ? (-1, 0) : (i, position - i);
    }

    /// <summary>The grid value at <paramref name="index"/>.</summary>
    public static double At(int index) => Grid[index];

    /// <summary>
    /// The index of the decode step with no requests (what remains is reading the weights and the fixed costs), which a
    /// search's solver prices at the edge of every bracket, below the grid's first point.
    /// </summary>
    public const int Empty = -1;

    /// <summary>
    /// A cached decode step price at a grid point (or <see cref="Empty"/>), as one batch or, with
    /// <paramref name="overlapped"/>, as two overlapped micro-batches where that is faster; NaN when not yet priced. A
    /// search with and without two-batch overlap shares one cache: the overlapped price starts from the one-batch price.
    /// </summary>
    public double Decode(int index, bool overlapped = false) => (overlapped ? _decodeOverlapped : _decode)[index + 1];

    /// <summary>Records a decode step price.</summary>
    public void SetDecode(int index, double ms, bool overlapped = false) => (overlapped ? _decodeOverlapped : _decode)[index + 1] = ms;

    /// <summary>A cached prefill step price at a grid point; NaN when not yet priced.</summary>
    public double Prefill(int index) => _prefill[index];

    /// <summary>Records a prefill step price.</summary>
    public void SetPrefill(int index, double ms) => _prefill[index] = ms;

    /// <summary>A cached mixed step price at grid points of the batch and the chunk; NaN when not held.</summary>
    public double Mixed(int batch, int chunk)
    {
        if (Volatile.Read(ref _mixed) is not { } table)
        {
            return double.NaN;
        }

        var key = ((long)batch << 32) | (uint)chunk;
        var slot = Slot(key);
        if (Volatile.Read(ref table.Keys[slot]) != key)
        {
            return double.NaN;
        }

        // The value is the key's only if no other write replaced the slot meanwhile.
        var value = Volatile.Read(ref table.Values[slot]);
        return Volatile.Read(ref table.Keys[slot]) == key ? value : double.NaN;
    }

    /// <summary>Records a mixed step price (replacing whatever held its slot).</summary>
    public void SetMixed(int batch, int chunk, double ms)
    {
        var table = Volatile.Read(ref _mixed);
        if (table is null)
        {
            Interlocked.CompareExchange(ref _mixed, new MixedTable(), null);
            table = Volatile.Read(ref _mixed)!;
        }

        var key = ((long)batch << 32) | (uint)chunk;
        var slot = Slot(key);
        Volatile.Write(ref table.Keys[slot], -1L);
        Volatile.Write(ref table.Values[slot], ms);
        Volatile.Write(ref table.Keys[slot], key);
    }

    private static int Slot(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> (64 - 12));

    // Mixed step prices by (batch, chunk) grid indices, open addressing without probing: a slot holds the last key
    // written to it.
    private sealed class MixedTable
    {
        public MixedTable() => Array.Fill(Keys, -1L);

        public long[] Keys { get; } = new long[MixedSlots];

        public double[] Values { get; } = new double[MixedSlots];
    }

    private static double[] Filled(int n)
    {
        var a = new double[n];
        Array.Fill(a, double.NaN);
        return a;
    }
}

namespace InferencePlanner.Work;

/// <summary>
/// One layer's feed-forward work on one GPU: a dense MLP, or experts with their exchange; and the layer's
/// memory-bound glue between GEMMs.
/// </summary>
public readonly record struct FeedForwardLayerWork(
    Operator Dense, Operator AllReduce, Operator Router, Operator Shared, Operator Routed, Operator Dispatch, Operator Combine, Operator Glue);

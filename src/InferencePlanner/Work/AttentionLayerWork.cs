namespace InferencePlanner.Work;

/// <summary>One layer's attention work on one GPU.</summary>
/// <param name="Projections">Query, key/value and output projections (for MLA also the latent up- or absorbed projections).</param>
/// <param name="Core">Scores and score x V over the context, reading the KV cache.</param>
/// <param name="AllReduce">Tensor-parallel all-reduce of the attention output (none at TP1).</param>
public readonly record struct AttentionLayerWork(Operator Projections, Operator Core, Operator AllReduce)
{
    /// <summary>Sparse attention's lightning indexer: scoring every context token and selecting the top-k (none without sparse attention).</summary>
    public Operator Indexer { get; init; }
}

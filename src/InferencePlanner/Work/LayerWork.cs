namespace InferencePlanner.Work;

/// <summary>
/// The work of every kind of layer the model has, per GPU: full- and sliding-window attention, dense and MoE
/// feed-forward, and the output head once per step. Layer counts come from the model.
/// </summary>
public readonly record struct LayerWork(
    AttentionLayerWork FullAttention, AttentionLayerWork SlidingAttention, FeedForwardLayerWork DenseFeedForward, FeedForwardLayerWork MoeFeedForward)
{
    /// <summary>The output head (vocabulary projection), for the tokens that produce a next token.</summary>
    public Operator Head { get; init; }

    /// <summary>For a multi-token-prediction pass: the projection of hidden state and embedding into the draft layer.</summary>
    public Operator DraftProjection { get; init; }

    /// <summary>
    /// For a mixed serving step: the attention core of the prefill chunk that shares the step with the decode
    /// tokens, in each full-attention layer (its projections and feed-forward are in the shared operators).
    /// </summary>
    public Operator ChunkCore { get; init; }

    /// <summary>The same for the sliding-window layers.</summary>
    public Operator SlidingChunkCore { get; init; }

    /// <summary>For a mixed serving step with sparse attention: the lightning indexer over the prefill chunk's prompts.</summary>
    public Operator ChunkIndexer { get; init; }

    /// <summary>The linear-attention (Gated DeltaNet) layers' attention: projections, the recurrent or chunked core, all-reduce.</summary>
    public AttentionLayerWork LinearAttention { get; init; }

    /// <summary>For a mixed serving step: the chunked linear-attention core of the prefill chunk in each linear-attention layer.</summary>
    public Operator LinearChunkCore { get; init; }
}

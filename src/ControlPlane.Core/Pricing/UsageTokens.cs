namespace ControlPlane.Pricing;

/// <summary>
/// Token counts of one call, partitioned like the OpenAI usage object: <see cref="InputTokens"/> is the whole
/// prompt and includes <see cref="CachedInputTokens"/> and <see cref="CacheWriteTokens"/>;
/// <see cref="OutputTokens"/> includes <see cref="ReasoningTokens"/>. Usage validation rejects counts that do
/// not add up before they reach pricing. Every count defaults to 0.
/// </summary>
public readonly record struct UsageTokens
{
    /// <summary>Total prompt tokens, cached and cache-write tokens included.</summary>
    public UsageTokens()
    {
    }

    /// <summary>All five counts at once, in the order the usage object lists them.</summary>
    public UsageTokens(long inputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens, long reasoningTokens)
    {
        InputTokens = inputTokens;
        CachedInputTokens = cachedInputTokens;
        CacheWriteTokens = cacheWriteTokens;
        OutputTokens = outputTokens;
        ReasoningTokens = reasoningTokens;
    }

    public long InputTokens { get; init; }

    /// <summary>Prompt tokens read from the provider's cache.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Total completion tokens, reasoning tokens included.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Completion tokens spent on hidden reasoning.</summary>
    public long ReasoningTokens { get; init; }
}

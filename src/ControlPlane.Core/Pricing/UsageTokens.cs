namespace ControlPlane.Pricing;

/// <summary>
/// Token counts of one call, partitioned like the OpenAI usage object: <see cref="InputTokens"/> is the whole prompt
/// and includes <see cref="CachedInputTokens"/> and <see cref="CacheWriteTokens"/>; <see cref="OutputTokens"/>
/// includes <see cref="ReasoningTokens"/>.
/// </summary>
public readonly record struct UsageTokens(long InputTokens, long CachedInputTokens, long CacheWriteTokens, long OutputTokens, long ReasoningTokens);

/// <summary>What decides which price applies to a call.</summary>
public readonly record struct PricingContext(string? Provider, string Model, string? DeploymentType, bool Batch, DateTimeOffset Timestamp)
{
    /// <summary>Batch pricing applies to calls flagged batch and to the batch deployment type.</summary>
    public bool IsBatch => Batch || string.Equals(DeploymentType, "batch", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Per-million-token rates after choosing the entry, the tier and batch pricing.</summary>
public readonly record struct EffectiveRates(
    decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning,
    long? TierAboveInputTokens, bool Batch, PriceEntry Entry);

/// <summary>The cost of one call in USD, exact (never rounded). <see cref="Priced"/> is false for unknown models.</summary>
public readonly record struct CostBreakdown(
    bool Priced,
    decimal UncachedInputCost,
    decimal CachedInputCost,
    decimal CacheWriteCost,
    decimal OutputCost,
    decimal ReasoningCost,
    decimal TotalCost,
    long? TierAboveInputTokens,
    bool BatchPriced,
    PriceEntry? Entry)
{
    public static CostBreakdown Unpriced => default;
}

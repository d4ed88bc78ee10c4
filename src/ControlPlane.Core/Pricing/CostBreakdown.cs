namespace ControlPlane.Pricing;

/// <summary>
/// Cost of one call in USD, exact (no rounding), split by token kind. An unknown model gives
/// <see cref="Priced"/> <c>false</c> and every amount 0: the call is still recorded and flagged unpriced.
/// </summary>
public readonly record struct CostBreakdown
{
    /// <summary>The result for a call no entry prices.</summary>
    public static CostBreakdown Unpriced => default;

    /// <summary>Whether an entry priced the call.</summary>
    public bool Priced { get; init; }

    /// <summary>Input tokens that were neither read from nor written to the cache.</summary>
    public decimal UncachedInputCost { get; init; }

    public decimal CachedInputCost { get; init; }

    public decimal CacheWriteCost { get; init; }

    /// <summary>Output tokens other than reasoning tokens.</summary>
    public decimal OutputCost { get; init; }

    public decimal ReasoningCost { get; init; }

    /// <summary>Sum of the five parts.</summary>
    public decimal TotalCost { get; init; }

    /// <summary>Threshold of the long-context tier that priced the call, or <c>null</c> for base rates.</summary>
    public long? TierAboveInputTokens { get; init; }

    public bool BatchPriced { get; init; }

    /// <summary>The entry that priced the call, or <c>null</c> when unpriced.</summary>
    public PriceEntry? Entry { get; init; }
}

using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>
/// A usage event together with the cost it was charged when it was recorded. The cost is fixed at ingest time:
/// a later price change never rewrites history (the ledger is what finance reconciles against).
/// </summary>
public sealed record PricedUsageEvent(UsageEvent Event, UsageCost Cost);

/// <summary>The money side of one recorded call, in USD.</summary>
/// <param name="TotalUsd">Exact total, never rounded.</param>
/// <param name="Unpriced">True when no price entry matched the model: recorded at zero and reported as unpriced.</param>
/// <param name="PricedWith">The price entry that was used, for explaining a number later; null when unpriced.</param>
public sealed record UsageCost(
    decimal TotalUsd,
    decimal UncachedInputUsd,
    decimal CachedInputUsd,
    decimal CacheWriteUsd,
    decimal OutputUsd,
    decimal ReasoningUsd,
    bool Unpriced,
    bool BatchPriced,
    long? TierAboveInputTokens,
    PriceReference? PricedWith)
{
    public static UsageCost From(in CostBreakdown breakdown) => new(
        breakdown.TotalCost,
        breakdown.UncachedInputCost,
        breakdown.CachedInputCost,
        breakdown.CacheWriteCost,
        breakdown.OutputCost,
        breakdown.ReasoningCost,
        !breakdown.Priced,
        breakdown.BatchPriced,
        breakdown.TierAboveInputTokens,
        breakdown.Entry is { } entry
            ? new PriceReference(entry.Provider, entry.Model, entry.DeploymentType, entry.EffectiveFrom)
            : null);
}

/// <summary>Identifies the price entry a call was priced with.</summary>
public sealed record PriceReference(string Provider, string Model, string? DeploymentType, DateTimeOffset? EffectiveFrom);

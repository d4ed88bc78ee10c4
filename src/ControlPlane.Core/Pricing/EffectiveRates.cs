namespace ControlPlane.Pricing;

/// <summary>
/// The rates that price one call, USD per million tokens, after the entry, the long-context tier and batch
/// pricing have been chosen and every default has been filled in.
/// </summary>
public readonly record struct EffectiveRates
{
    public decimal Input { get; init; }

    public decimal CachedInput { get; init; }

    public decimal CacheWrite { get; init; }

    /// <summary>Output rate for non-reasoning output tokens.</summary>
    public decimal Output { get; init; }

    public decimal Reasoning { get; init; }

    /// <summary>Threshold of the tier that applies, or <c>null</c> when the entry's base rates apply.</summary>
    public long? TierAboveInputTokens { get; init; }

    /// <summary>Whether batch prices apply.</summary>
    public bool BatchPriced { get; init; }

    /// <summary>The entry the rates come from.</summary>
    public PriceEntry Entry { get; init; }
}

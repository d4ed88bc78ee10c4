namespace ControlPlane.Pricing;

/// <summary>
/// A long-context price band of a <see cref="PriceEntry"/>. When a call's total input tokens are strictly
/// greater than <see cref="AboveInputTokens"/>, the band with the highest such threshold prices
/// <em>every</em> token of that call, not only the tokens above the threshold (this is how providers bill
/// long prompts). Prices are USD per million tokens.
/// </summary>
public sealed record PriceTier
{
    /// <summary>Threshold the call's total input tokens must strictly exceed. Required, at least 0.</summary>
    public long AboveInputTokens { get; init; }

    /// <summary>Uncached input price in this band.</summary>
    public decimal InputPerMTok { get; init; }

    /// <summary>Cache-read price in this band. Default (<c>null</c>): this band's <see cref="InputPerMTok"/>,
    /// so a missing price never under-reports spend.</summary>
    public decimal? CachedInputPerMTok { get; init; }

    /// <summary>Cache-write price in this band. Default (<c>null</c>): this band's <see cref="InputPerMTok"/>.</summary>
    public decimal? CacheWritePerMTok { get; init; }

    /// <summary>Output price in this band.</summary>
    public decimal OutputPerMTok { get; init; }

    /// <summary>Reasoning-token price in this band. Default (<c>null</c>): this band's <see cref="OutputPerMTok"/>.</summary>
    public decimal? ReasoningPerMTok { get; init; }
}

namespace ControlPlane.Pricing;

/// <summary>
/// The price of one model from one provider, optionally for one deployment type and from a point in time.
/// Prices are USD per million tokens. The JSON shape (System.Text.Json web defaults, camelCase) is a public
/// contract: it is what <c>PUT /api/prices</c> accepts and what the shipped default sheet contains.
/// An entry is identified by its <see cref="PriceEntryKey"/>: provider, model, deployment type and effective date.
/// </summary>
public sealed record PriceEntry
{
    /// <summary>Fraction taken off every rate for batch calls when <see cref="BatchDiscount"/> is not given.</summary>
    public const decimal DefaultBatchDiscount = 0.5m;

    /// <summary>Who bills the call, for example <c>azure-openai</c>, <c>openai</c>, <c>anthropic</c>, <c>google</c>.
    /// Required; compared case-insensitively.</summary>
    public string Provider { get; init; } = "";

    /// <summary>Model name as reported in usage events, for example <c>gpt-4o</c>. Required; compared case-insensitively.</summary>
    public string Model { get; init; } = "";

    /// <summary>One of <c>global</c>, <c>datazone</c>, <c>regional</c>, <c>batch</c>, <c>provisioned</c>.
    /// Default (<c>null</c>): applies to every deployment type; an entry naming the call's deployment type
    /// beats a general one. The rates of a <c>batch</c> entry are batch prices already and are not discounted again.</summary>
    public string? DeploymentType { get; init; }

    /// <summary>First instant the price applies to. Default (<c>null</c>): since the beginning of time.
    /// Among matching entries the latest one in force at the call's timestamp wins.</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>Uncached input price.</summary>
    public decimal InputPerMTok { get; init; }

    /// <summary>Cache-read price. Default (<c>null</c>): <see cref="InputPerMTok"/> (no discount known).</summary>
    public decimal? CachedInputPerMTok { get; init; }

    /// <summary>Cache-write price. Default (<c>null</c>): <see cref="InputPerMTok"/>.</summary>
    public decimal? CacheWritePerMTok { get; init; }

    /// <summary>Output price, reasoning tokens excluded.</summary>
    public decimal OutputPerMTok { get; init; }

    /// <summary>Reasoning-token price. Default (<c>null</c>): <see cref="OutputPerMTok"/>.</summary>
    public decimal? ReasoningPerMTok { get; init; }

    /// <summary>Batch input price. Default (<c>null</c>): <see cref="InputPerMTok"/> × (1 − batch discount).</summary>
    public decimal? BatchInputPerMTok { get; init; }

    /// <summary>Batch output price. Default (<c>null</c>): <see cref="OutputPerMTok"/> × (1 − batch discount).</summary>
    public decimal? BatchOutputPerMTok { get; init; }

    /// <summary>Fraction off (0..1) for batch calls; it also discounts cache-read, cache-write and reasoning rates
    /// and every tier. Default (<c>null</c>): <see cref="DefaultBatchDiscount"/> (0.5).</summary>
    public decimal? BatchDiscount { get; init; }

    /// <summary>Long-context bands, strictly ascending by <see cref="PriceTier.AboveInputTokens"/>, at most 8.
    /// Default (<c>null</c>): one price whatever the prompt length.</summary>
    public IReadOnlyList<PriceTier>? Tiers { get; init; }

    /// <summary>Public URL the price was taken from. Optional for overrides; every shipped default has one.</summary>
    public string? Source { get; init; }

    /// <summary>Date the price was read from <see cref="Source"/>. Optional.</summary>
    public DateOnly? AsOf { get; init; }
}

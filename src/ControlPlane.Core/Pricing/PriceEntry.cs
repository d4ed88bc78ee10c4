namespace ControlPlane.Pricing;

/// <summary>
/// The price of one model, per million tokens in USD, from <see cref="EffectiveFrom"/> on. Optional rates fall back
/// as documented on each property; the JSON shape (camelCase) is a public contract.
/// </summary>
public sealed record PriceEntry
{
    /// <summary>Who bills the call: <c>azure-openai</c>, <c>openai</c>, <c>anthropic</c>, <c>google</c>, <c>azure-ai</c>, ...</summary>
    public required string Provider { get; init; }

    /// <summary>Model name as apps report it (matched case-insensitively).</summary>
    public required string Model { get; init; }

    /// <summary>Only calls with this deployment type (global, datazone, regional, batch, provisioned); null for all.</summary>
    public string? DeploymentType { get; init; }

    /// <summary>When this price starts to apply; null for "always". A later entry supersedes an earlier one.</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    public decimal InputPerMTok { get; init; }

    /// <summary>Cache reads. Default: the input rate (no discount known).</summary>
    public decimal? CachedInputPerMTok { get; init; }

    /// <summary>Cache writes (Anthropic charges 1.25× input). Default: the input rate.</summary>
    public decimal? CacheWritePerMTok { get; init; }

    public decimal OutputPerMTok { get; init; }

    /// <summary>Reasoning tokens. Default: the output rate (how every current provider bills them).</summary>
    public decimal? ReasoningPerMTok { get; init; }

    /// <summary>Batch input rate. Default: input × (1 − <see cref="BatchDiscount"/>).</summary>
    public decimal? BatchInputPerMTok { get; init; }

    /// <summary>Batch output rate. Default: output × (1 − <see cref="BatchDiscount"/>).</summary>
    public decimal? BatchOutputPerMTok { get; init; }

    /// <summary>Fraction taken off every rate without an explicit batch price. Default 0.5.</summary>
    public decimal? BatchDiscount { get; init; }

    /// <summary>Long-context tiers, ascending by threshold.</summary>
    public IReadOnlyList<PriceTier>? Tiers { get; init; }

    /// <summary>Public page the price was taken from.</summary>
    public string? Source { get; init; }

    /// <summary>Day the price was read from <see cref="Source"/>.</summary>
    public DateOnly? AsOf { get; init; }

    public const decimal DefaultBatchDiscount = 0.5m;
}

/// <summary>
/// Long-context prices: when a call's total input tokens are strictly above <see cref="AboveInputTokens"/>, these
/// rates apply to all of its tokens. Missing cache rates default to the tier's input rate (never under-report
/// spend); a missing reasoning rate to the tier's output rate.
/// </summary>
public sealed record PriceTier
{
    public long AboveInputTokens { get; init; }
    public decimal InputPerMTok { get; init; }
    public decimal? CachedInputPerMTok { get; init; }
    public decimal? CacheWritePerMTok { get; init; }
    public decimal OutputPerMTok { get; init; }
    public decimal? ReasoningPerMTok { get; init; }
}

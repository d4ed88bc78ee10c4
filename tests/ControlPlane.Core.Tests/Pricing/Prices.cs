namespace ControlPlane.Pricing;

/// <summary>Small builders for pricing tests: an entry, a call, its tokens, a sheet.</summary>
internal static class Prices
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static PriceEntry Entry(decimal input = 2m, decimal output = 8m, string model = "m", string provider = "p") =>
        new() { Provider = provider, Model = model, InputPerMTok = input, OutputPerMTok = output };

    public static PriceTier Tier(long above, decimal input, decimal output) =>
        new() { AboveInputTokens = above, InputPerMTok = input, OutputPerMTok = output };

    /// <summary>Claude Sonnet 4.5 list prices, long-context tier included.</summary>
    public static PriceEntry Sonnet() => Entry(3m, 15m, "claude-sonnet-4-5", "anthropic") with
    {
        CachedInputPerMTok = 0.3m,
        CacheWritePerMTok = 3.75m,
        Tiers = [Tier(200_000, 6m, 22.5m) with { CachedInputPerMTok = 0.6m, CacheWritePerMTok = 7.5m }],
    };

    public static PricingContext Call(
        string model = "m",
        string? provider = null,
        string? deploymentType = null,
        bool batch = false,
        DateTimeOffset? at = null) =>
        new() { Model = model, Provider = provider, DeploymentType = deploymentType, Batch = batch, Timestamp = at ?? T0 };

    public static UsageTokens Tokens(long input = 0, long cached = 0, long cacheWrite = 0, long output = 0, long reasoning = 0) =>
        new()
        {
            InputTokens = input,
            CachedInputTokens = cached,
            CacheWriteTokens = cacheWrite,
            OutputTokens = output,
            ReasoningTokens = reasoning,
        };

    public static PriceSheet Sheet(params PriceEntry[] defaults) => PriceSheet.Create(defaults, []);
}

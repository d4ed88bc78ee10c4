using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>Exact cost of a call; every expected amount is worked out by hand in the comment beside it.</summary>
public class PriceSheetPriceTests
{
    /// <summary>Expected costs in USD: uncached input, cached input, cache write, output, reasoning, total.</summary>
    public sealed record Expected(decimal Uncached, decimal Cached, decimal CacheWrite, decimal Output, decimal Reasoning, decimal Total, long? Tier = null, bool Batch = false);

    public static TheoryData<string, PriceEntry, PricingContext, UsageTokens, Expected> Cases => new()
    {
        {
            "every token kind at its explicit rate",
            Entry(3m, 15m) with { CachedInputPerMTok = 0.3m, CacheWritePerMTok = 3.75m, ReasoningPerMTok = 20m },
            Call(),
            Tokens(input: 10_000, cached: 4_000, cacheWrite: 1_000, output: 2_000, reasoning: 500),
            // 5000×3, 4000×0.3, 1000×3.75, 1500×15, 500×20 per million
            new(0.015m, 0.0012m, 0.00375m, 0.0225m, 0.01m, 0.05245m)
        },
        {
            "missing rates default to input and output",
            Entry(2m, 8m),
            Call(),
            Tokens(input: 1_000, cached: 400, cacheWrite: 100, output: 300, reasoning: 100),
            // 500×2, 400×2, 100×2, 200×8, 100×8 per million
            new(0.001m, 0.0008m, 0.0002m, 0.0016m, 0.0008m, 0.0044m)
        },
        {
            "long-context tier prices every token, cached and reasoning included",
            Sonnet(),
            Call("claude-sonnet-4-5"),
            Tokens(input: 250_000, cached: 100_000, cacheWrite: 50_000, output: 10_000, reasoning: 4_000),
            // 100000×6, 100000×0.6, 50000×7.5, 6000×22.5, 4000×22.5 per million
            new(0.6m, 0.06m, 0.375m, 0.135m, 0.09m, 1.26m, 200_000)
        },
        {
            "input exactly at the tier threshold keeps base rates",
            Sonnet(),
            Call("claude-sonnet-4-5"),
            Tokens(input: 200_000, cached: 100_000, cacheWrite: 50_000, output: 10_000, reasoning: 4_000),
            // 50000×3, 100000×0.3, 50000×3.75, 6000×15, 4000×15 per million
            new(0.15m, 0.03m, 0.1875m, 0.09m, 0.06m, 0.5175m)
        },
        {
            "batch discount on every rate",
            Sonnet(),
            Call("claude-sonnet-4-5", batch: true),
            Tokens(input: 10_000, cached: 2_000, cacheWrite: 1_000, output: 1_000),
            // 7000×1.5, 2000×0.15, 1000×1.875, 1000×7.5 per million
            new(0.0105m, 0.0003m, 0.001875m, 0.0075m, 0m, 0.020175m, Batch: true)
        },
        {
            "batch on the long-context tier",
            Sonnet(),
            Call("claude-sonnet-4-5", batch: true),
            Tokens(input: 300_000, output: 1_000),
            // 300000×3, 1000×11.25 per million
            new(0.9m, 0m, 0m, 0.01125m, 0m, 0.91125m, 200_000, true)
        },
        {
            "explicit batch prices; reasoning at the batch output rate",
            Entry(2.5m, 10m) with { CachedInputPerMTok = 1.25m, BatchInputPerMTok = 1.25m, BatchOutputPerMTok = 5m },
            Call(batch: true),
            Tokens(input: 1_000_000, cached: 500_000, output: 1_000_000, reasoning: 200_000),
            // 500000×1.25, 500000×0.625, 800000×5, 200000×5 per million
            new(0.625m, 0.3125m, 0m, 4m, 1m, 5.9375m, Batch: true)
        },
        {
            "a single token is priced exactly, without rounding",
            Entry(0.05m, 0.4m),
            Call(),
            Tokens(input: 1, output: 1),
            new(0.00000005m, 0m, 0m, 0.0000004m, 0m, 0.00000045m)
        },
        {
            "no tokens cost nothing but are priced",
            Entry(2m, 8m),
            Call(),
            Tokens(),
            new(0m, 0m, 0m, 0m, 0m, 0m)
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Price_Usage_ReturnsExactCost(string because, PriceEntry entry, PricingContext call, UsageTokens tokens, Expected expected)
    {
        var cost = Sheet(entry).Price(call, tokens);

        Assert.True(cost.Priced, because);
        var actual = new Expected(cost.UncachedInputCost, cost.CachedInputCost, cost.CacheWriteCost, cost.OutputCost, cost.ReasoningCost, cost.TotalCost, cost.TierAboveInputTokens, cost.BatchPriced);
        Assert.True(expected == actual, $"{because}: expected {expected}, got {actual}");
        Assert.Same(entry, cost.Entry);
    }

    [Fact]
    public void Price_UnknownModel_IsUnpricedAndFree()
    {
        var cost = Sheet(Entry(model: "known")).Price(Call(model: "unknown"), Tokens(input: 1_000, output: 1_000));

        Assert.Equal(CostBreakdown.Unpriced, cost);
        Assert.False(cost.Priced);
        Assert.Equal(0m, cost.TotalCost);
        Assert.Null(cost.Entry);
    }

    [Fact]
    public void Price_DefaultContext_IsUnpriced()
    {
        var cost = Sheet(Entry()).Price(default, Tokens(input: 1_000));

        Assert.False(cost.Priced);
    }
}

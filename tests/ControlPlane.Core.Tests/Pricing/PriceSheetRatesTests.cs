using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>Which rates apply to a call: defaults, long-context tiers and batch pricing.</summary>
public class PriceSheetRatesTests
{
    /// <summary>Expected rates per million tokens, in the order input, cached input, cache write, output, reasoning.</summary>
    public sealed record Expected(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning, long? Tier = null, bool Batch = false);

    private static readonly PriceEntry Explicit = Entry(2m, 8m) with { CachedInputPerMTok = 0.5m, CacheWritePerMTok = 2.5m, ReasoningPerMTok = 12m };

    public static TheoryData<string, PriceEntry, PricingContext, long, Expected> Cases => new()
    {
        { "cached input, cache write default to input; reasoning to output", Entry(2m, 8m), Call(), 1000, new(2m, 2m, 2m, 8m, 8m) },
        { "explicit rates are used as given", Explicit, Call(), 1000, new(2m, 0.5m, 2.5m, 8m, 12m) },
        { "input exactly at a tier threshold keeps base rates", Entry() with { Tiers = [Tier(1000, 4m, 16m)] }, Call(), 1000, new(2m, 2m, 2m, 8m, 8m) },
        { "one token above a tier threshold takes the tier", Entry() with { Tiers = [Tier(1000, 4m, 16m)] }, Call(), 1001, new(4m, 4m, 4m, 16m, 16m, 1000) },
        { "a tier's missing rates default to the tier's input and output, not the base rates", Explicit with { Tiers = [Tier(1000, 4m, 16m)] }, Call(), 1001, new(4m, 4m, 4m, 16m, 16m, 1000) },
        { "a tier's explicit rates are used as given", Entry() with { Tiers = [Tier(1000, 4m, 16m) with { CachedInputPerMTok = 0.4m, CacheWritePerMTok = 5m, ReasoningPerMTok = 20m }] }, Call(), 1001, new(4m, 0.4m, 5m, 16m, 20m, 1000) },
        { "the highest threshold below the input wins", Entry() with { Tiers = [Tier(1000, 4m, 16m), Tier(5000, 6m, 24m)] }, Call(), 5001, new(6m, 6m, 6m, 24m, 24m, 5000) },
        { "at the higher threshold the lower tier applies", Entry() with { Tiers = [Tier(1000, 4m, 16m), Tier(5000, 6m, 24m)] }, Call(), 5000, new(4m, 4m, 4m, 16m, 16m, 1000) },
        { "a tier above 0 applies to any input", Entry() with { Tiers = [Tier(0, 4m, 16m)] }, Call(), 1, new(4m, 4m, 4m, 16m, 16m, 0) },
        { "a tier above 0 does not apply to an empty prompt", Entry() with { Tiers = [Tier(0, 4m, 16m)] }, Call(), 0, new(2m, 2m, 2m, 8m, 8m) },
        { "batch without a discount takes half off every rate", Explicit, Call(batch: true), 1000, new(1m, 0.25m, 1.25m, 4m, 6m, Batch: true) },
        { "batch with a discount of 0.2", Explicit with { BatchDiscount = 0.2m }, Call(batch: true), 1000, new(1.6m, 0.4m, 2m, 6.4m, 9.6m, Batch: true) },
        { "batch discount 0 charges the full price", Entry(2m, 8m) with { BatchDiscount = 0m }, Call(batch: true), 1000, new(2m, 2m, 2m, 8m, 8m, Batch: true) },
        { "batch defaults discount the defaulted rates", Entry(2m, 8m), Call(batch: true), 1000, new(1m, 1m, 1m, 4m, 4m, Batch: true) },
        { "explicit batch prices win; cached and cache write are discounted; reasoning defaults to the batch output", Entry(2m, 8m) with { CachedInputPerMTok = 0.5m, CacheWritePerMTok = 2.5m, BatchInputPerMTok = 0.9m, BatchOutputPerMTok = 3m }, Call(batch: true), 1000, new(0.9m, 0.25m, 1.25m, 3m, 3m, Batch: true) },
        { "an explicit reasoning rate is discounted even with an explicit batch output", Explicit with { BatchOutputPerMTok = 3m }, Call(batch: true), 1000, new(1m, 0.25m, 1.25m, 3m, 6m, Batch: true) },
        { "deployment type batch implies batch pricing", Entry(2m, 8m), Call(deploymentType: "batch"), 1000, new(1m, 1m, 1m, 4m, 4m, Batch: true) },
        { "deployment type batch in another case implies batch pricing", Entry(2m, 8m), Call(deploymentType: "Batch"), 1000, new(1m, 1m, 1m, 4m, 4m, Batch: true) },
        { "batch on a tier discounts the tier's rates and ignores the base batch prices", Entry(2m, 8m) with { BatchInputPerMTok = 0.9m, BatchOutputPerMTok = 3m, Tiers = [Tier(1000, 4m, 16m) with { CachedInputPerMTok = 0.4m }] }, Call(batch: true), 1001, new(2m, 0.2m, 2m, 8m, 8m, 1000, true) },
        { "batch on a tier uses the entry's discount", Entry(2m, 8m) with { BatchDiscount = 0.25m, Tiers = [Tier(1000, 4m, 16m) with { ReasoningPerMTok = 20m }] }, Call(batch: true), 1001, new(3m, 3m, 3m, 12m, 15m, 1000, true) },
        { "a batch deployment entry states batch prices and is not discounted again", Entry(1.5m, 6m) with { DeploymentType = "batch" }, Call(deploymentType: "batch"), 1000, new(1.5m, 1.5m, 1.5m, 6m, 6m, Batch: true) },
        { "a batch deployment entry's tiers are not discounted again", Entry(1.5m, 6m) with { DeploymentType = "batch", Tiers = [Tier(1000, 3m, 9m)] }, Call(deploymentType: "batch", batch: true), 1001, new(3m, 3m, 3m, 9m, 9m, 1000, true) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryGetRates_Rule_ReturnsExpectedRates(string because, PriceEntry entry, PricingContext call, long inputTokens, Expected expected)
    {
        var found = Sheet(entry).TryGetRates(call, inputTokens, out var rates);

        Assert.True(found, because);
        var actual = new Expected(rates.Input, rates.CachedInput, rates.CacheWrite, rates.Output, rates.Reasoning, rates.TierAboveInputTokens, rates.BatchPriced);
        Assert.True(expected == actual, $"{because}: expected {expected}, got {actual}");
        Assert.Same(entry, rates.Entry);
    }

    [Fact]
    public void TryGetRates_UnknownModel_ReturnsFalse()
    {
        var found = Sheet(Entry(model: "known")).TryGetRates(Call(model: "unknown"), 1000, out var rates);

        Assert.False(found);
        Assert.Equal(default, rates);
    }
}

using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>What an authorization reserves: the worst case, and how much output a budget affords.</summary>
public class PriceSheetWorstCaseTests
{
    /// <summary>Expected costs in USD: uncached input, cached input, cache write, output, reasoning, total.</summary>
    public sealed record Expected(decimal Uncached, decimal Cached, decimal CacheWrite, decimal Output, decimal Reasoning, decimal Total, long? Tier = null);

    public static TheoryData<string, PriceEntry, PricingContext, long, long, Expected> WorstCases => new()
    {
        // 1000×2.5 + 500×10 per million
        { "every input token uncached, every output token at the output rate", Entry(2.5m, 10m), Call(), 1_000, 500, new(0.0025m, 0m, 0m, 0.005m, 0m, 0.0075m) },
        { "a cheaper cached rate is ignored", Entry(2.5m, 10m) with { CachedInputPerMTok = 1.25m }, Call(), 1_000, 500, new(0.0025m, 0m, 0m, 0.005m, 0m, 0.0075m) },
        // 200000×3.75 + 1000×15 per million: a cache write costs more than an uncached token
        { "a dearer cache write is the worst case for input", Sonnet(), Call("claude-sonnet-4-5"), 200_000, 1_000, new(0m, 0m, 0.75m, 0.015m, 0m, 0.765m) },
        // 200001×7.5 + 1000×22.5 per million
        { "the tier selected by the input prices input and output", Sonnet(), Call("claude-sonnet-4-5"), 200_001, 1_000, new(0m, 0m, 1.5000075m, 0.0225m, 0m, 1.5225075m, 200_000) },
        // 100×1 + 100×6 per million
        { "a dearer reasoning rate is the worst case for output", Entry(1m, 4m) with { ReasoningPerMTok = 6m }, Call(), 100, 100, new(0.0001m, 0m, 0m, 0m, 0.0006m, 0.0007m) },
        // 1000×1 + 1000×4 per million
        { "batch rates", Entry(2m, 8m), Call(batch: true), 1_000, 1_000, new(0.001m, 0m, 0m, 0.004m, 0m, 0.005m) },
        { "no tokens", Entry(2m, 8m), Call(), 0, 0, new(0m, 0m, 0m, 0m, 0m, 0m) },
    };

    [Theory]
    [MemberData(nameof(WorstCases))]
    public void PriceWorstCase_Call_ReturnsUpperBound(string because, PriceEntry entry, PricingContext call, long inputTokens, long maxOutputTokens, Expected expected)
    {
        var cost = Sheet(entry).PriceWorstCase(call, inputTokens, maxOutputTokens);

        Assert.True(cost.Priced, because);
        var actual = new Expected(cost.UncachedInputCost, cost.CachedInputCost, cost.CacheWriteCost, cost.OutputCost, cost.ReasoningCost, cost.TotalCost, cost.TierAboveInputTokens);
        Assert.True(expected == actual, $"{because}: expected {expected}, got {actual}");
    }

    [Fact]
    public void PriceWorstCase_UnknownModel_IsUnpriced()
    {
        Assert.Equal(CostBreakdown.Unpriced, Sheet(Entry()).PriceWorstCase(Call("unknown"), 1_000, 1_000));
    }

    [Fact]
    public void PriceWorstCase_NegativeTokens_Throws()
    {
        var sheet = Sheet(Entry());

        Assert.Throws<ArgumentOutOfRangeException>(() => sheet.PriceWorstCase(Call(), -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => sheet.PriceWorstCase(Call(), 0, -1));
    }

    public static TheoryData<string, PriceEntry, PricingContext, long, decimal, long> Affordable => new()
    {
        // input 1000×2 = 0.002; (0.01 − 0.002) / 0.000008 = 1000 exactly
        { "the budget fits exactly 1000 output tokens", Entry(2m, 8m), Call(), 1_000, 0.01m, 1_000 },
        // (0.009999 − 0.002) / 0.000008 = 999.875
        { "a fraction of a token is not affordable", Entry(2m, 8m), Call(), 1_000, 0.009999m, 999 },
        { "the input alone exceeds the budget", Entry(2m, 8m), Call(), 1_000, 0.0019m, 0 },
        { "the input exactly uses the budget", Entry(2m, 8m), Call(), 1_000, 0.002m, 0 },
        { "a negative budget affords nothing", Entry(2m, 8m), Call(), 0, -1m, 0 },
        { "a free output rate is capped", Entry(2m, 0m), Call(), 1_000, 1m, PriceSheet.MaxAffordableOutputTokensCap },
        { "a huge budget is capped", Entry(2m, 8m), Call(), 1_000, 1e20m, PriceSheet.MaxAffordableOutputTokensCap },
        { "the largest possible budget is capped", Entry(2m, 8m), Call(), 1_000, decimal.MaxValue, PriceSheet.MaxAffordableOutputTokensCap },
        // 1 / 0.000003 = 333333.33…
        { "a rate that does not divide the budget", Entry(1m, 3m), Call(), 0, 1m, 333_333 },
        // 1 / 0.0000015 = 666666.66…: batch halves the output rate
        { "batch rates", Entry(1m, 3m), Call(batch: true), 0, 1m, 666_666 },
        // (2 − 200001×7.5/10^6) / 0.0000225 = 0.4999925 / 0.0000225 = 22221.88…
        { "the long-context tier and the dearer cache write", Sonnet(), Call("claude-sonnet-4-5"), 200_001, 2m, 22_221 },
        // 6.99999999 − 10^-28 = 233333333 × 0.00000003 − 10^-28: the exact quotient is 233333333 − 3.3×10^-21,
        // which decimal division rounds up to 233333333; that many tokens would exceed the budget.
        { "a quotient that decimal division rounds up", Entry(1m, 0.03m), Call(), 0, 6.9999999899999999999999999999m, 233_333_332 },
        { "an unknown model affords nothing", Entry(model: "other"), Call(), 0, 1m, 0 },
    };

    [Theory]
    [MemberData(nameof(Affordable))]
    public void MaxAffordableOutputTokens_Budget_ReturnsLargestFittingCount(string because, PriceEntry entry, PricingContext call, long inputTokens, decimal budget, long expected)
    {
        var sheet = Sheet(entry);

        var affordable = sheet.MaxAffordableOutputTokens(call, inputTokens, budget);

        Assert.True(expected == affordable, $"{because}: expected {expected}, got {affordable}");
        var worstCase = sheet.PriceWorstCase(call, inputTokens, affordable);
        if (affordable > 0)
        {
            Assert.True(worstCase.TotalCost <= budget, $"{because}: {affordable} tokens cost {worstCase.TotalCost}");
        }

        if (worstCase.Priced && affordable < PriceSheet.MaxAffordableOutputTokensCap)
        {
            var oneMore = sheet.PriceWorstCase(call, inputTokens, affordable + 1);
            Assert.True(oneMore.TotalCost > budget, $"{because}: one more token costs {oneMore.TotalCost}, within {budget}");
        }
    }
}

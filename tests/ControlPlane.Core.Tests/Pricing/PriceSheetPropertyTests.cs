using FsCheck;
using FsCheck.Xunit;
using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>
/// Properties the budget guarantees rest on, checked over generated usage: a reservation bounds the settled
/// cost, and the affordable output count is the exact boundary.
/// </summary>
public class PriceSheetPropertyTests
{
    // Token counts are scaled so generated calls land on both sides of Sonnet's 200K long-context threshold.
    private const long Scale = 4_999;

    private static readonly PriceSheet Sheet = PriceSheet.Create(
        [
            Sonnet(),
            Entry(1m, 4m) with { CachedInputPerMTok = 0.1m, CacheWritePerMTok = 1.25m, ReasoningPerMTok = 6m, BatchDiscount = 0.3m },
        ],
        []);

    private static PricingContext AnyCall(bool sonnet, bool batch) => Call(sonnet ? "claude-sonnet-4-5" : "m", batch: batch);

    [Property]
    public bool Price_AnyUsage_NeverExceedsWorstCase(
        NonNegativeInt uncached, NonNegativeInt cached, NonNegativeInt cacheWrite, NonNegativeInt output, NonNegativeInt reasoning, bool sonnet, bool batch)
    {
        var call = AnyCall(sonnet, batch);
        var tokens = Tokens(
            input: (uncached.Get + cached.Get + cacheWrite.Get) * Scale,
            cached: cached.Get * Scale,
            cacheWrite: cacheWrite.Get * Scale,
            output: (output.Get + reasoning.Get) * Scale,
            reasoning: reasoning.Get * Scale);

        var actual = Sheet.Price(call, tokens);
        var reserved = Sheet.PriceWorstCase(call, tokens.InputTokens, tokens.OutputTokens);

        return actual.Priced && actual.TotalCost <= reserved.TotalCost;
    }

    [Property]
    public bool MaxAffordableOutputTokens_AnyBudget_IsTheExactBoundary(NonNegativeInt input, NonNegativeInt budgetMicros, bool sonnet, bool batch)
    {
        var call = AnyCall(sonnet, batch);
        var inputTokens = input.Get * Scale;
        var budget = budgetMicros.Get * 0.0131m;

        var affordable = Sheet.MaxAffordableOutputTokens(call, inputTokens, budget);

        var fits = Sheet.PriceWorstCase(call, inputTokens, affordable).TotalCost <= budget;
        var oneMoreFits = Sheet.PriceWorstCase(call, inputTokens, affordable + 1).TotalCost <= budget;
        var inputFits = Sheet.PriceWorstCase(call, inputTokens, 0).TotalCost <= budget;
        return inputFits ? fits && !oneMoreFits : affordable == 0;
    }
}

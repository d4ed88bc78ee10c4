using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>
/// Pricing runs on every call, so it must not allocate. Allocation is deterministic where time is not:
/// speed is measured by PricingBenchmarks, allocation is asserted here.
/// </summary>
public class PriceSheetAllocationTests
{
    private const int Calls = 10_000;

    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), [Entry(model: "gpt-4o") with { Provider = "azure-openai", DeploymentType = "global", EffectiveFrom = T0.AddDays(-1) }]);

    public static TheoryData<string, PricingContext, UsageTokens> Calls_ => new()
    {
        { "chat call with cache and reasoning", Call("gpt-5", "azure-openai", "global"), Tokens(input: 12_000, cached: 8_000, output: 900, reasoning: 300) },
        { "override", Call("GPT-4O", "azure-openai", "global"), Tokens(input: 1_000, output: 100) },
        { "long-context tier", Call("claude-sonnet-4-5", "anthropic"), Tokens(input: 250_000, cached: 100_000, cacheWrite: 50_000, output: 4_000) },
        { "batch", Call("gpt-4.1", "openai", batch: true), Tokens(input: 2_000, output: 500) },
        { "unknown model", Call("no-such-model", "openai"), Tokens(input: 2_000, output: 500) },
    };

    [Theory]
    [MemberData(nameof(Calls_))]
    public void Price_ManyCalls_AllocatesNothing(string because, PricingContext call, UsageTokens tokens)
    {
        var total = 0m;
        for (var i = 0; i < 100; i++)
        {
            total += Sheet.Price(call, tokens).TotalCost;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            total += Sheet.Price(call, tokens).TotalCost;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated == 0, $"{because}: {allocated} bytes over {Calls} calls");
        Assert.True(total >= 0m);
    }

    [Fact]
    public void AuthorizationPath_ManyCalls_AllocatesNothing()
    {
        var call = Call("claude-sonnet-4-5", "anthropic");
        long sum = 0;
        for (var i = 0; i < 100; i++)
        {
            sum += Work(i);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            sum += Work(i);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated == 0, $"{allocated} bytes over {Calls} calls");
        Assert.True(sum > 0);

        long Work(int i)
        {
            Sheet.TryGetRates(call, 1_000 + i, out var rates);
            var worst = Sheet.PriceWorstCase(call, 1_000 + i, 4_096);
            return Sheet.MaxAffordableOutputTokens(call, 1_000 + i, 1.5m) + (long)(worst.TotalCost + rates.Input);
        }
    }
}

using ControlPlane.Validation;
using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

public class PriceEntryValidatorTests
{
    private const string Prefix = "prices[3]";

    public static TheoryData<string, PriceEntry> ValidEntries => new()
    {
        { "minimal", Entry() },
        { "every optional field", Entry() with
            {
                DeploymentType = "datazone",
                EffectiveFrom = T0,
                CachedInputPerMTok = 0.5m,
                CacheWritePerMTok = 2.5m,
                ReasoningPerMTok = 10m,
                BatchInputPerMTok = 1m,
                BatchOutputPerMTok = 4m,
                BatchDiscount = 0.5m,
                Tiers = [Tier(0, 3m, 9m), Tier(200_000, 4m, 12m)],
                Source = "https://example.com/pricing",
                AsOf = new DateOnly(2026, 3, 1),
            } },
        { "names of exactly 256 characters", Entry(provider: new string('p', 256), model: new string('m', 256)) },
        { "zero rates", Entry(0m, 0m) },
        { "rates of exactly 100000", Entry(100_000m, 100_000m) },
        { "deployment type in another case", Entry() with { DeploymentType = "DataZone" } },
        { "batch discount 0", Entry() with { BatchDiscount = 0m } },
        { "batch discount 1", Entry() with { BatchDiscount = 1m } },
        { "eight tiers", Entry() with { Tiers = [.. Enumerable.Range(0, 8).Select(i => Tier(i * 1000L, 1m, 1m))] } },
        { "http source", Entry() with { Source = "http://example.com/prices" } },
    };

    public static TheoryData<string, PriceEntry, string, string> InvalidEntries => new()
    {
        { "provider empty", Entry(provider: ""), PricingErrors.ProviderMissing, "prices[3].provider" },
        { "provider whitespace", Entry(provider: "  "), PricingErrors.ProviderMissing, "prices[3].provider" },
        { "provider null", Entry() with { Provider = null! }, PricingErrors.ProviderMissing, "prices[3].provider" },
        { "model empty", Entry(model: ""), PricingErrors.ModelMissing, "prices[3].model" },
        { "model null", Entry() with { Model = null! }, PricingErrors.ModelMissing, "prices[3].model" },
        { "provider 257 characters", Entry(provider: new string('p', 257)), PricingErrors.NameTooLong, "prices[3].provider" },
        { "model 257 characters", Entry(model: new string('m', 257)), PricingErrors.NameTooLong, "prices[3].model" },
        { "input negative", Entry(input: -0.01m), PricingErrors.RateNegative, "prices[3].inputPerMTok" },
        { "cached input negative", Entry() with { CachedInputPerMTok = -1m }, PricingErrors.RateNegative, "prices[3].cachedInputPerMTok" },
        { "cache write negative", Entry() with { CacheWritePerMTok = -1m }, PricingErrors.RateNegative, "prices[3].cacheWritePerMTok" },
        { "output negative", Entry(output: -1m), PricingErrors.RateNegative, "prices[3].outputPerMTok" },
        { "reasoning negative", Entry() with { ReasoningPerMTok = -1m }, PricingErrors.RateNegative, "prices[3].reasoningPerMTok" },
        { "batch input negative", Entry() with { BatchInputPerMTok = -1m }, PricingErrors.RateNegative, "prices[3].batchInputPerMTok" },
        { "batch output negative", Entry() with { BatchOutputPerMTok = -1m }, PricingErrors.RateNegative, "prices[3].batchOutputPerMTok" },
        { "input above 100000", Entry(input: 100_000.01m), PricingErrors.RateTooLarge, "prices[3].inputPerMTok" },
        { "output above 100000", Entry(output: 250_000m), PricingErrors.RateTooLarge, "prices[3].outputPerMTok" },
        { "batch output above 100000", Entry() with { BatchOutputPerMTok = 100_001m }, PricingErrors.RateTooLarge, "prices[3].batchOutputPerMTok" },
        { "unknown deployment type", Entry() with { DeploymentType = "spot" }, PricingErrors.DeploymentTypeInvalid, "prices[3].deploymentType" },
        { "empty deployment type", Entry() with { DeploymentType = "" }, PricingErrors.DeploymentTypeInvalid, "prices[3].deploymentType" },
        { "batch discount negative", Entry() with { BatchDiscount = -0.1m }, PricingErrors.BatchDiscountInvalid, "prices[3].batchDiscount" },
        { "batch discount above 1", Entry() with { BatchDiscount = 1.1m }, PricingErrors.BatchDiscountInvalid, "prices[3].batchDiscount" },
        { "tier null", Entry() with { Tiers = [null!] }, PricingErrors.TierMissing, "prices[3].tiers[0]" },
        { "tier threshold negative", Entry() with { Tiers = [Tier(-1, 4m, 16m)] }, PricingErrors.TierThresholdInvalid, "prices[3].tiers[0].aboveInputTokens" },
        { "tiers descending", Entry() with { Tiers = [Tier(2000, 4m, 16m), Tier(1000, 3m, 12m)] }, PricingErrors.TiersNotAscending, "prices[3].tiers[1].aboveInputTokens" },
        { "tiers share a threshold", Entry() with { Tiers = [Tier(1000, 4m, 16m), Tier(1000, 3m, 12m)] }, PricingErrors.TiersNotAscending, "prices[3].tiers[1].aboveInputTokens" },
        { "nine tiers", Entry() with { Tiers = [.. Enumerable.Range(0, 9).Select(i => Tier(i * 1000L, 1m, 1m))] }, PricingErrors.TiersTooMany, "prices[3].tiers" },
        { "tier input negative", Entry() with { Tiers = [Tier(1000, -4m, 16m)] }, PricingErrors.RateNegative, "prices[3].tiers[0].inputPerMTok" },
        { "tier cached input negative", Entry() with { Tiers = [Tier(1000, 4m, 16m) with { CachedInputPerMTok = -1m }] }, PricingErrors.RateNegative, "prices[3].tiers[0].cachedInputPerMTok" },
        { "tier cache write too large", Entry() with { Tiers = [Tier(1000, 4m, 16m) with { CacheWritePerMTok = 100_001m }] }, PricingErrors.RateTooLarge, "prices[3].tiers[0].cacheWritePerMTok" },
        { "tier output too large", Entry() with { Tiers = [Tier(1000, 4m, 100_001m)] }, PricingErrors.RateTooLarge, "prices[3].tiers[0].outputPerMTok" },
        { "second tier reasoning negative", Entry() with { Tiers = [Tier(1000, 4m, 16m), Tier(2000, 5m, 20m) with { ReasoningPerMTok = -1m }] }, PricingErrors.RateNegative, "prices[3].tiers[1].reasoningPerMTok" },
        { "source not a URL", Entry() with { Source = "the pricing page" }, PricingErrors.SourceInvalid, "prices[3].source" },
        { "source relative", Entry() with { Source = "/pricing" }, PricingErrors.SourceInvalid, "prices[3].source" },
        { "source not http", Entry() with { Source = "ftp://example.com/prices" }, PricingErrors.SourceInvalid, "prices[3].source" },
        { "source too long", Entry() with { Source = "https://example.com/" + new string('a', 2029) }, PricingErrors.SourceInvalid, "prices[3].source" },
    };

    [Theory]
    [MemberData(nameof(ValidEntries))]
    public void Validate_ValidEntry_ReportsNothing(string because, PriceEntry entry)
    {
        var errors = PriceEntryValidator.Validate(entry, Prefix).ToList();

        Assert.True(errors.Count == 0, $"{because}: {string.Join("; ", errors)}");
    }

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public void Validate_OneProblem_ReportsItsCodeAndField(string because, PriceEntry entry, string code, string field)
    {
        var error = Assert.Single(PriceEntryValidator.Validate(entry, Prefix));

        Assert.True(code == error.Code && field == error.Field, $"{because}: got {error.Code} at {error.Field}");
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOne()
    {
        var entry = Entry(input: -1m, provider: "", model: "") with
        {
            DeploymentType = "spot",
            BatchDiscount = 2m,
            Tiers = [Tier(-5, 1m, 200_000m), Tier(-10, 1m, 1m)],
        };

        var errors = PriceEntryValidator.Validate(entry, Prefix).Select(e => (e.Code, e.Field)).ToList();

        Assert.Equal(
            [
                (PricingErrors.ProviderMissing, "prices[3].provider"),
                (PricingErrors.ModelMissing, "prices[3].model"),
                (PricingErrors.DeploymentTypeInvalid, "prices[3].deploymentType"),
                (PricingErrors.RateNegative, "prices[3].inputPerMTok"),
                (PricingErrors.BatchDiscountInvalid, "prices[3].batchDiscount"),
                (PricingErrors.TierThresholdInvalid, "prices[3].tiers[0].aboveInputTokens"),
                (PricingErrors.RateTooLarge, "prices[3].tiers[0].outputPerMTok"),
                (PricingErrors.TierThresholdInvalid, "prices[3].tiers[1].aboveInputTokens"),
                (PricingErrors.TiersNotAscending, "prices[3].tiers[1].aboveInputTokens"),
            ],
            errors);
    }

    [Fact]
    public void Validate_EmptyPrefix_FieldsStartAtTheEntry()
    {
        var error = Assert.Single(PriceEntryValidator.Validate(Entry(provider: ""), ""));

        Assert.Equal(new ValidationError(PricingErrors.ProviderMissing, "provider", error.Message), error);
    }
}

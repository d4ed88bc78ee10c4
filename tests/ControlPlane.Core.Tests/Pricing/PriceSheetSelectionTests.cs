using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

/// <summary>Which entry prices a call. Each entry's input rate doubles as its name: the test reads back the rate.</summary>
public class PriceSheetSelectionTests
{
    private static readonly DateTimeOffset Day = T0;

    private static PriceEntry Marker(decimal input, string provider = "p", string model = "m", string? deploymentType = null, DateTimeOffset? effectiveFrom = null) =>
        Entry(input, 10m, model, provider) with { DeploymentType = deploymentType, EffectiveFrom = effectiveFrom };

    public static TheoryData<string, PriceEntry[], PriceEntry[], PricingContext, decimal?> Cases => new()
    {
        { "model name is matched case-insensitively", [Marker(1m, model: "GPT-4o")], [], Call("gpt-4O"), 1m },
        { "unknown model is unpriced", [Marker(1m, model: "gpt-4o")], [], Call("gpt-4o-mini"), null },
        { "provider filter picks that provider", [Marker(1m, "openai"), Marker(2m, "azure-openai")], [], Call(provider: "Azure-OpenAI"), 2m },
        { "provider filter picks the other provider", [Marker(1m, "openai"), Marker(2m, "azure-openai")], [], Call(provider: "openai"), 1m },
        { "no provider given: any provider matches, ties keep sheet order", [Marker(1m, "openai"), Marker(2m, "azure-openai")], [], Call(), 1m },
        { "provider without an entry is unpriced", [Marker(1m, "openai")], [], Call(provider: "anthropic"), null },
        { "specific deployment type beats the general entry", [Marker(1m), Marker(2m, deploymentType: "datazone")], [], Call(deploymentType: "datazone"), 2m },
        { "deployment type is matched case-insensitively", [Marker(1m), Marker(2m, deploymentType: "datazone")], [], Call(deploymentType: "DataZone"), 2m },
        { "another deployment type falls back to the general entry", [Marker(1m), Marker(2m, deploymentType: "datazone")], [], Call(deploymentType: "global"), 1m },
        { "a call without deployment type takes the general entry", [Marker(2m, deploymentType: "datazone"), Marker(1m)], [], Call(), 1m },
        { "only a specific entry for another deployment type: unpriced", [Marker(2m, deploymentType: "datazone")], [], Call(deploymentType: "global"), null },
        { "only a specific entry and no deployment type: unpriced", [Marker(2m, deploymentType: "datazone")], [], Call(), null },
        { "an entry not yet in force is ignored", [Marker(1m, effectiveFrom: Day.AddDays(1))], [], Call(at: Day), null },
        { "an entry is in force from its effective instant", [Marker(1m, effectiveFrom: Day)], [], Call(at: Day), 1m },
        { "effective instants compare across offsets", [Marker(1m, effectiveFrom: new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.FromHours(2)))], [], Call(at: Day), 1m },
        { "the latest entry in force wins", [Marker(1m), Marker(2m, effectiveFrom: Day.AddDays(-30)), Marker(3m, effectiveFrom: Day.AddDays(-1)), Marker(4m, effectiveFrom: Day.AddDays(1))], [], Call(at: Day), 3m },
        { "price change mid-period: event before the change", [Marker(1m), Marker(2m, effectiveFrom: Day.AddDays(15))], [], Call(at: Day.AddDays(14)), 1m },
        { "price change mid-period: event after the change", [Marker(1m), Marker(2m, effectiveFrom: Day.AddDays(15))], [], Call(at: Day.AddDays(16)), 2m },
        { "a specific deployment type beats a more recent general entry", [Marker(1m, effectiveFrom: Day.AddDays(-1)), Marker(2m, deploymentType: "datazone")], [], Call(deploymentType: "datazone", at: Day), 2m },
        { "override beats default even when older", [Marker(1m, effectiveFrom: Day.AddDays(-1))], [Marker(2m, effectiveFrom: Day.AddDays(-30))], Call(at: Day), 2m },
        { "a general override beats a specific default", [Marker(1m, deploymentType: "datazone")], [Marker(2m)], Call(deploymentType: "datazone"), 2m },
        { "an override not yet in force does not win", [Marker(1m)], [Marker(2m, effectiveFrom: Day.AddDays(1))], Call(at: Day), 1m },
        { "an override with the same key replaces the default", [Marker(1m, "openai", "gpt-4o")], [Marker(2m, "OpenAI", "GPT-4o")], Call("gpt-4o"), 2m },
        { "an override for another provider does not match the call's provider", [Marker(1m, "openai")], [Marker(2m, "azure-openai")], Call(provider: "openai"), 1m },
        { "an override for an unknown model prices it", [], [Marker(2m, model: "my-finetune")], Call("my-finetune"), 2m },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Price_Candidates_SelectsExpectedEntry(string because, PriceEntry[] defaults, PriceEntry[] overrides, PricingContext call, decimal? expectedInputRate)
    {
        var sheet = PriceSheet.Create(defaults, overrides);

        var cost = sheet.Price(call, Tokens(input: 1_000_000));

        Assert.True((expectedInputRate is not null) == cost.Priced, $"{because}: priced {cost.Priced}");
        Assert.True(expectedInputRate.GetValueOrDefault() == cost.TotalCost, $"{because}: expected {expectedInputRate}, got {cost.TotalCost}");
    }
}

using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

public class PriceSheetCreateTests
{
    [Fact]
    public void Create_OverrideWithSameKey_ReplacesDefaultInPlace()
    {
        var first = Entry(1m, model: "a", provider: "openai");
        var replaced = Entry(2m, model: "b", provider: "openai") with { DeploymentType = "datazone", EffectiveFrom = T0 };
        var last = Entry(3m, model: "c", provider: "openai");
        var replacement = Entry(20m, model: "B", provider: "OpenAI") with { DeploymentType = "DataZone", EffectiveFrom = T0.ToOffset(TimeSpan.FromHours(1)) };

        var sheet = PriceSheet.Create([first, replaced, last], [replacement]);

        // The sheet keeps providers in their canonical spelling, the one calls are recorded under.
        Assert.Equal([first, replacement with { Provider = "openai" }, last], sheet.Entries);
    }

    [Fact]
    public void Create_OverrideWithNewKey_IsAddedAfterDefaults()
    {
        var general = Entry(1m, model: "a");
        var dated = Entry(2m, model: "a") with { EffectiveFrom = T0 };
        var specific = Entry(3m, model: "a") with { DeploymentType = "global" };

        var sheet = PriceSheet.Create([general], [dated, specific]);

        Assert.Equal([general, dated, specific], sheet.Entries);
    }

    [Fact]
    public void IsOverride_EntryFromOverrides_ReturnsTrue()
    {
        var fromDefaults = Entry(model: "a");
        var replacedDefault = Entry(model: "b");
        var fromOverrides = Entry(5m, model: "b");
        var added = Entry(model: "c");

        var sheet = PriceSheet.Create([fromDefaults, replacedDefault], [fromOverrides, added]);

        Assert.False(sheet.IsOverride(fromDefaults));
        Assert.True(sheet.IsOverride(fromOverrides));
        Assert.True(sheet.IsOverride(added));
    }

    [Fact]
    public void Create_SameKeyTwiceInOneList_LaterEntryWins()
    {
        var sheet = PriceSheet.Create([Entry(1m), Entry(2m)], []);

        var entry = Assert.Single(sheet.Entries);
        Assert.Equal(2m, entry.InputPerMTok);
    }

    [Fact]
    public void Create_InvalidEntries_ThrowsNamingEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            PriceSheet.Create([Entry(), Entry(input: -1m, model: "x")], [Entry(provider: "")]));

        Assert.Contains("defaults[1].inputPerMTok: price_rate_negative", error.Message, StringComparison.Ordinal);
        Assert.Contains("overrides[0].provider: price_provider_missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NullEntry_Throws()
    {
        Assert.Throws<ArgumentException>(() => PriceSheet.Create([Entry(), null!], []));
    }

    [Fact]
    public void Empty_PricesNothing()
    {
        Assert.Empty(PriceSheet.Empty.Entries);
        Assert.False(PriceSheet.Empty.Price(Call(), Tokens(input: 1)).Priced);
    }
}

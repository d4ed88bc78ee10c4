using ControlPlane.Azure.Pricing;
using ControlPlane.Pricing;
using ControlPlane.Testing;

namespace ControlPlane.Azure.Pricing;

public sealed class TablePriceStoreTests
{
    private readonly TablePriceStore _store = new(new TestStorage().Tables);

    private static PriceEntry Entry(decimal input, DateTimeOffset? from = null, string? type = null) => new()
    {
        Provider = "Azure-OpenAI", Model = "GPT-4o", DeploymentType = type, EffectiveFrom = from, InputPerMTok = input, OutputPerMTok = 8m,
        Tiers = [new PriceTier { AboveInputTokens = 128_000, InputPerMTok = input * 2, OutputPerMTok = 16m }],
    };

    [Fact]
    public async Task Upsert_SameKeyDifferentCase_ReplacesAndOtherKeysAdd()
    {
        var from = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        await _store.UpsertOverridesAsync([Entry(2m), Entry(1.9m, from)]);

        await _store.UpsertOverridesAsync([Entry(1.8m) with { Provider = "azure-openai", Model = "gpt-4o" }, Entry(2.2m, type: "datazone")]);

        var stored = await _store.GetOverridesAsync();
        Assert.Equal(3, stored.Count);
        Assert.Equal([1.8m, 1.9m, 2.2m], stored.Select(e => e.InputPerMTok).Order());
        Assert.Equal(3.6m, stored.Single(e => e.InputPerMTok == 1.8m).Tiers![0].InputPerMTok);
    }

    [Fact]
    public async Task Upsert_MoreThan100_IsRefusedBeforeWriting()
    {
        var entries = Enumerable.Range(0, 101).Select(i => Entry(1m) with { Model = $"m{i}" }).ToList();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.UpsertOverridesAsync(entries));
        Assert.Empty(await _store.GetOverridesAsync());
    }
}

using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

public class DefaultPriceSheetTests
{
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);

    [Fact]
    public void Load_EveryEntry_Validates()
    {
        var entries = DefaultPriceSheet.Load();

        var errors = entries.SelectMany((entry, i) => PriceEntryValidator.Validate(entry, $"prices[{i}]")).ToList();

        Assert.NotEmpty(entries);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Load_EveryEntry_HasHttpsSourceAndAsOf()
    {
        foreach (var entry in DefaultPriceSheet.Load())
        {
            var key = PriceEntryKey.Of(entry);
            Assert.True(Uri.TryCreate(entry.Source, UriKind.Absolute, out var source) && source.Scheme == Uri.UriSchemeHttps, $"{key}: source {entry.Source}");
            Assert.True(entry.AsOf is not null, $"{key}: no asOf");
        }
    }

    [Fact]
    public void Load_NoTwoEntries_ShareAKey()
    {
        var duplicates = DefaultPriceSheet.Load()
            .GroupBy(PriceEntryKey.Of)
            .Where(group => group.Count() > 1)
            .Select(group => group.Key.ToString());

        Assert.Empty(duplicates);
    }

    [Fact]
    public void Load_Twice_ReturnsTheSameParsedList()
    {
        Assert.Same(DefaultPriceSheet.Load(), DefaultPriceSheet.Load());
    }

    public static TheoryData<string, string> RequiredModels()
    {
        var data = new TheoryData<string, string>();
        string[] openAiModels =
        [
            "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano",
            "o1", "o3", "o3-mini", "o4-mini", "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002",
        ];
        foreach (var model in openAiModels)
        {
            data.Add("openai", model);
            data.Add("azure-openai", model);
        }

        foreach (var model in new[] { "claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1", "claude-opus-4-5" })
        {
            data.Add("anthropic", model);
        }

        foreach (var model in new[] { "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite" })
        {
            data.Add("google", model);
        }

        data.Add("azure-ai", "Llama-3.3-70B-Instruct");
        data.Add("azure-ai", "Llama-4-Maverick-17B-128E-Instruct-FP8");
        return data;
    }

    [Theory]
    [MemberData(nameof(RequiredModels))]
    public void Price_ShippedModel_IsPriced(string provider, string model)
    {
        var cost = Sheet.Price(Call(model, provider, at: T0), Tokens(input: 1_000_000, output: 1_000_000));

        Assert.True(cost.Priced);
        Assert.True(cost.TotalCost > 0m);
    }

    [Fact]
    public void Price_SonnetLongContext_UsesTheListedTier()
    {
        var found = Sheet.TryGetRates(Call("claude-sonnet-4-5", "anthropic"), 200_001, out var rates);

        Assert.True(found);
        Assert.Equal((6m, 0.6m, 7.5m, 22.5m, 22.5m, 200_000L), (rates.Input, rates.CachedInput, rates.CacheWrite, rates.Output, rates.Reasoning, rates.TierAboveInputTokens.GetValueOrDefault()));
    }

    [Fact]
    public void Price_GeminiProLongContext_UsesTheListedTier()
    {
        var found = Sheet.TryGetRates(Call("gemini-2.5-pro", "google"), 200_001, out var rates);

        Assert.True(found);
        Assert.Equal((2.5m, 0.25m, 2.5m, 15m), (rates.Input, rates.CachedInput, rates.CacheWrite, rates.Output));
    }

    [Fact]
    public void Price_AzureDataZone_CostsTenPercentMoreThanGlobal()
    {
        Assert.True(Sheet.TryGetRates(Call("gpt-4o", "azure-openai", "global"), 1_000, out var global));
        Assert.True(Sheet.TryGetRates(Call("gpt-4o", "azure-openai", "datazone"), 1_000, out var dataZone));

        Assert.Equal("datazone", dataZone.Entry.DeploymentType);
        Assert.Null(global.Entry.DeploymentType);
        Assert.Equal(global.Input * 1.1m, dataZone.Input);
        Assert.Equal(global.Output * 1.1m, dataZone.Output);
    }

    [Fact]
    public void Price_OpenAiBatch_IsHalfTheListPrice()
    {
        foreach (var entry in DefaultPriceSheet.Load().Where(e => e.Provider == "openai"))
        {
            Assert.True(Sheet.TryGetRates(Call(entry.Model, "openai"), 1_000, out var standard));
            Assert.True(Sheet.TryGetRates(Call(entry.Model, "openai", batch: true), 1_000, out var batch));

            Assert.True(batch.Input * 2 == standard.Input && batch.Output * 2 == standard.Output, $"{entry.Model}: batch {batch.Input}/{batch.Output}");
        }
    }
}

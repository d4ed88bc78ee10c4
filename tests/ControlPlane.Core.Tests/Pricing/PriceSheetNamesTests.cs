using static ControlPlane.Pricing.Prices;

namespace ControlPlane.Pricing;

public sealed class PriceSheetNamesTests
{
    private static readonly PriceSheet Defaults = PriceSheet.Create(DefaultPriceSheet.Load(), []);

    [Theory]
    [InlineData("GPT-4O ")]
    [InlineData("  gpt-4o")]
    [InlineData("Gpt-4o\t")]
    public void ResolveNames_KnownModelInAnyCaseOrSpacing_IsTheSheetsModel(string model)
    {
        var names = Defaults.ResolveNames("openai", model);

        Assert.Equal("gpt-4o", names.Model);
        Assert.True(names.ModelKnown);
        Assert.True(names.ProviderPricesModel);
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("AOAI")]
    [InlineData(" azure_openai ")]
    [InlineData("Azure-OpenAI")]
    public void ResolveNames_DocumentedAlias_IsTheCanonicalProvider(string provider)
    {
        var names = Defaults.ResolveNames(provider, "gpt-4o");

        Assert.Equal(ProviderNames.AzureOpenAI, names.Provider);
        Assert.True(names.ProviderKnown);
        Assert.True(names.ProviderPricesModel);
    }

    [Fact]
    public void ResolveNames_UnknownProvider_IsNotKnown()
    {
        var names = Defaults.ResolveNames("acme-proxy", "gpt-4o");

        Assert.False(names.ProviderKnown);
    }

    [Fact]
    public void ResolveNames_KnownModelUnderProviderThatDoesNotPriceIt_NamesTheProvidersThatDo()
    {
        var names = Defaults.ResolveNames("anthropic", "gpt-4o");

        Assert.True(names.ProviderKnown);
        Assert.False(names.ProviderPricesModel);
        Assert.Equal(["azure-openai", "openai"], names.ProvidersOfModel);
    }

    [Fact]
    public void ResolveNames_UnknownModel_IsTrimmedLowerCaseAndNotAMismatch()
    {
        var names = Defaults.ResolveNames("openai", " My-Finetune-V7 ");

        Assert.Equal("my-finetune-v7", names.Model);
        Assert.False(names.ModelKnown);
        Assert.True(names.ProviderPricesModel);
    }

    [Fact]
    public void ResolveNames_NoOrBlankProvider_IsNoProvider()
    {
        Assert.Null(Defaults.ResolveNames(null, "gpt-4o").Provider);
        Assert.Null(Defaults.ResolveNames("  ", "gpt-4o").Provider);
        Assert.True(Defaults.ResolveNames("  ", "gpt-4o").ProviderKnown);
    }

    [Fact]
    public void Providers_AreTheSheetsCanonicalProvidersIncludingOverrides()
    {
        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), [Entry(model: "house-model", provider: " Acme-Proxy ")]);

        Assert.Equal(["acme-proxy", "anthropic", "azure-ai", "azure-openai", "google", "openai"], sheet.Providers);
        Assert.True(sheet.ResolveNames("ACME-PROXY", "house-model").ProviderPricesModel);
    }

    [Fact]
    public void Create_OverrideUnderAnAlias_ReplacesTheCanonicalProvidersEntry()
    {
        var azure = Entry(2.5m, 10m, "gpt-4o", "azure-openai");

        var sheet = PriceSheet.Create([azure], [Entry(2m, 8m, "gpt-4o", "AOAI")]);

        var entry = Assert.Single(sheet.Entries);
        Assert.Equal("azure-openai", entry.Provider);
        Assert.Equal(2m, entry.InputPerMTok);
        Assert.True(sheet.IsOverride(entry));
    }
}

using System.Net;
using System.Net.Http.Json;

namespace ControlPlane.Pricing;

public sealed class PricesApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ListPrices_ShowsShippedDefaultsWithSources()
    {
        var body = await (await _app.Client().GetAsync("/api/prices?provider=anthropic")).JsonAsync();

        var prices = body.GetProperty("prices").EnumerateArray().ToList();
        Assert.NotEmpty(prices);
        Assert.All(prices, p =>
        {
            Assert.Equal("anthropic", p.GetProperty("provider").GetString());
            Assert.Equal("default", p.GetProperty("origin").GetString());
            Assert.StartsWith("https://", p.GetProperty("source").GetString());
        });
    }

    [Fact]
    public async Task UpsertPrices_NegotiatedOverride_PricesLaterEventsAndIsListedAsOverride()
    {
        var client = _app.Client();
        var put = await client.PutAsJsonAsync("/api/prices", new
        {
            prices = new[] { new { provider = "azure-openai", model = "gpt-4o", inputPerMTok = 2.00m, cachedInputPerMTok = 1.00m, outputPerMTok = 8.00m } },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var recorded = await (await client.PostJsonAsync("/api/usage",
            """{"id":"neg-1","team":"t","feature":"f","provider":"azure-openai","model":"gpt-4o","inputTokens":1000000,"outputTokens":1000000}""")).JsonAsync();

        Assert.Equal(10.00m, recorded.GetProperty("costUsd").GetDecimal());
        var listed = await (await client.GetAsync("/api/prices?provider=azure-openai&model=gpt-4o")).JsonAsync();
        var entry = Assert.Single(listed.GetProperty("prices").EnumerateArray(), p => p.GetProperty("origin").GetString() == "override");
        Assert.Equal(2.00m, entry.GetProperty("inputPerMTok").GetDecimal());
    }

    [Fact]
    public async Task UpsertPrices_NotAdmin_Is403AndChangesNothing()
    {
        var finance = await _app.IssueKeyAsync("finance");

        var response = await _app.Client(finance).PutAsJsonAsync("/api/prices", new { prices = new[] { new { provider = "p", model = "m", inputPerMTok = 1, outputPerMTok = 1 } } });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
    }

    [Theory]
    [InlineData("""{"prices":[]}""", "price_list_empty")]
    [InlineData("""{"prices":[{"provider":"","model":"m","inputPerMTok":1,"outputPerMTok":1}]}""", "price_provider_missing")]
    [InlineData("""{"prices":[{"provider":"p","model":"m","inputPerMTok":-1,"outputPerMTok":1}]}""", "price_rate_negative")]
    [InlineData("""{"prices":[{"provider":"p","model":"m","inputPerMTok":1,"outputPerMTok":1,"deploymentType":"cheap"}]}""", "price_deployment_type_invalid")]
    [InlineData("""{"prices":[{"provider":"p","model":"m","inputPerMTok":1,"outputPerMTok":1,"tiers":[{"aboveInputTokens":200,"inputPerMTok":2,"outputPerMTok":2},{"aboveInputTokens":100,"inputPerMTok":3,"outputPerMTok":3}]}]}""", "price_tiers_not_ascending")]
    [InlineData("""{"prices":[{"provider":"p","model":"m","inputPerMTok":"1","outputPerMTok":1}]}""", "request_json_invalid")]
    public async Task UpsertPrices_BadEntry_Is400AndWritesNothing(string body, string code)
    {
        var response = await _app.Client().PutAsync("/api/prices", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        var listed = await (await _app.Client().GetAsync("/api/prices?provider=p")).JsonAsync();
        Assert.Empty(listed.GetProperty("prices").EnumerateArray());
    }

    [Fact]
    public async Task Quote_LongContextCall_UsesTierAndRecordsNothing()
    {
        var body = await (await _app.Client().PostJsonAsync("/api/prices/quote",
            """{"provider":"anthropic","model":"claude-sonnet-4-5","inputTokens":250000,"outputTokens":2000,"callsPerMonth":1000}""")).JsonAsync();

        // Above 200K input tokens every token is at the long-context rate: 250,000 × $6 + 2,000 × $22.50 per million.
        Assert.True(body.GetProperty("priced").GetBoolean());
        Assert.Equal(1.545m, body.GetProperty("costUsd").GetDecimal());
        Assert.Equal(1545m, body.GetProperty("monthlyCostUsd").GetDecimal());
        Assert.Equal(200000, body.GetProperty("breakdown").GetProperty("tierAboveInputTokens").GetInt64());
        var costs = await (await _app.Client().GetAsync("/api/costs")).JsonAsync();
        Assert.Equal(0, costs.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Quote_UnknownModel_IsUnpricedNotAnError()
    {
        var body = await (await _app.Client().PostJsonAsync("/api/prices/quote", """{"model":"nobody-knows","inputTokens":10,"outputTokens":10}""")).JsonAsync();

        Assert.False(body.GetProperty("priced").GetBoolean());
        Assert.Equal(0m, body.GetProperty("costUsd").GetDecimal());
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ControlPlane.Audits;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Azure.Tests.Audits;

/// <summary>The listings of <see cref="FakeArmServer"/> the SDK does not exercise on its own, checked over plain HTTP.</summary>
public sealed class FakeArmInventoryTests : IAsyncLifetime
{
    private const string Sub = "44444444-4444-4444-4444-444444444444";
    private FakeArmServer _arm = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _arm = await FakeArmServer.StartAsync();
        _http = new HttpClient { BaseAddress = _arm.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
        _arm.AddSubscription(Sub);
        _arm.AddResource(Sub, "rg", AiResourceTypes.CognitiveServicesAccount, "oai", "OpenAI");
        _arm.AddResource(Sub, "rg", AiResourceTypes.SearchService, "srch");
        _arm.AddResource(Sub, "rg", "Microsoft.Web/sites", "web");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _arm.DisposeAsync();
    }

    [Fact]
    public async Task Resources_FilterByTypesJoinedWithOr_KeepsOnlyThoseAndPagesWithAnHttpsNextLink()
    {
        _arm.PageSize = 1;
        var filter = Uri.EscapeDataString($"resourceType eq '{AiResourceTypes.CognitiveServicesAccount}' or resourceType eq '{AiResourceTypes.SearchService.ToLowerInvariant()}'");

        var first = await ReadAsync(await _http.GetAsync($"/subscriptions/{Sub}/resources?$filter={filter}&api-version=2022-09-01"));
        var next = new Uri(first["nextLink"]!.GetValue<string>());
        var second = await ReadAsync(await _http.GetAsync(next.PathAndQuery));

        Assert.Equal("https", next.Scheme);
        Assert.Equal(_arm.PublicEndpoint.Host, next.Host);
        Assert.Equal(["oai", "srch"], new[] { first, second }.Select(p => p["value"]![0]!["name"]!.GetValue<string>()));
        Assert.Null(second["nextLink"]);
    }

    [Fact]
    public async Task Resources_UnsupportedFilter_Is400InvalidFilter()
    {
        using var response = await _http.GetAsync($"/subscriptions/{Sub}/resources?$filter={Uri.EscapeDataString("name eq 'oai'")}&api-version=2022-09-01");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidFilterInQueryString", (await ReadAsync(response))["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Throttled_Is429WithRetryAfterAndAnArmErrorBody()
    {
        _arm.FailNext(1, 429, method: "GET", retryAfterSeconds: 7);

        using var response = await _http.GetAsync("/subscriptions?api-version=2022-12-01");

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("7", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal("TooManyRequests", (await ReadAsync(response))["error"]!["code"]!.GetValue<string>());
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}

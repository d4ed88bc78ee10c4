using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Azure.Tests.Capacity;

/// <summary>The parts of <see cref="FakeArmServer"/> the SDK does not exercise, checked over plain HTTP.</summary>
public sealed class FakeArmServerTests : IAsyncLifetime
{
    private FakeArmServer _arm = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _arm = await FakeArmServer.StartAsync();
        _http = new HttpClient { BaseAddress = _arm.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _arm.DisposeAsync();
    }

    [Fact]
    public async Task Patch_ThenAsyncOperationUrl_InProgressUntilPollsUntilDoneThenSucceeded()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);
        _arm.PollsUntilDone = 1;

        using var patch = await _http.PatchAsync($"{id}?api-version=2023-07-01",
            new StringContent("""{"sku":{"capacity":3}}""", Encoding.UTF8, "application/json"));
        var statusUrl = new Uri(Assert.Single(patch.Headers.GetValues("Azure-AsyncOperation")));

        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("Updating", (await ReadAsync(patch))["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.Equal(_arm.PublicEndpoint.Host, statusUrl.Host);
        Assert.Equal("InProgress", await StatusAsync(statusUrl));
        Assert.Equal("Succeeded", await StatusAsync(statusUrl));
        Assert.Equal(new FakeScaleSet(id, "Standard_NC24ads_A100_v4", 3, "Succeeded"), _arm.Find(id));
    }

    [Fact]
    public async Task Get_WithoutBearerToken_Is401()
    {
        var id = _arm.AddScaleSet("vmss-gpu");
        using var anonymous = new HttpClient { BaseAddress = _arm.BaseAddress };

        using var response = await anonymous.GetAsync($"{id}?api-version=2023-07-01");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("AuthenticationFailed", (await ReadAsync(response))["error"]!["code"]!.GetValue<string>());
    }

    private async Task<string> StatusAsync(Uri statusUrl)
    {
        using var response = await _http.GetAsync(statusUrl.PathAndQuery);
        response.EnsureSuccessStatusCode();
        return (await ReadAsync(response))["status"]!.GetValue<string>();
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}

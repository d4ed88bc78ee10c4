using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Registry;

namespace ControlPlane.Registry;

/// <summary>The teams and features registry through the API: admins write it, finance reads it, every change audited.</summary>
public sealed class RegistryApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TeamAndFeature_PutThenGet_RoundTripAndAPutReplacesTheWholeProfile()
    {
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-1042", owner = "Dana Lee", contact = "search-leads@contoso.com" })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/features/answers", new
        {
            team = "search", expectedTokensPerCall = 2400, callsPerSession = 3.5m, valueUnit = "resolved ticket", valuePerUnitUsd = 1.25m,
        })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-2000" })).EnsureSuccessStatusCode();

        var team = await (await _admin.GetAsync("/api/teams/search")).JsonAsync();
        var feature = await (await _admin.GetAsync("/api/features/answers")).JsonAsync();

        Assert.Equal("CC-2000", team.GetProperty("costCenter").GetString());
        Assert.False(team.TryGetProperty("owner", out _)); // replaced, not merged
        Assert.Equal("search", feature.GetProperty("team").GetString());
        Assert.Equal(2400, feature.GetProperty("expectedTokensPerCall").GetInt64());
        Assert.Equal(3.5m, feature.GetProperty("callsPerSession").GetDecimal());
        Assert.Equal("resolved ticket", feature.GetProperty("valueUnit").GetString());
        Assert.Equal(1.25m, feature.GetProperty("valuePerUnitUsd").GetDecimal());
        Assert.Equal(ControlPlaneApp.Start, feature.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("/api/features/answers", """{"expectedTokensPerCall":100}""", "registry_team_required")]
    [InlineData("/api/features/answers", """{"team":"search","expectedTokensPerCall":0}""", "registry_estimate_invalid")]
    [InlineData("/api/features/answers", """{"team":"search","callsPerSession":-1}""", "registry_estimate_invalid")]
    [InlineData("/api/features/answers", """{"team":"search","valuePerUnitUsd":2}""", "registry_value_invalid")]
    [InlineData("/api/features/answers", """{"team":"search","valueUnit":"ticket","valuePerUnitUsd":-2}""", "registry_value_invalid")]
    [InlineData("/api/features/%20padded", """{"team":"search"}""", "registry_name_invalid")]
    [InlineData("/api/teams/search", """{"costCenter":"CC\u0001"}""", "registry_field_invalid")]
    [InlineData("/api/teams/search", """{"costcenter":"CC-1","region":"eu"}""", "request_json_invalid")]
    public async Task Put_InvalidProfile_Is400WithItsCodeAndNothingIsStored(string path, string body, string code)
    {
        var response = await _admin.PutAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync(path.Replace("%20padded", "padded", StringComparison.Ordinal))).StatusCode);
    }

    [Fact]
    public async Task Roles_AdminWritesFinanceReadsIngestNeither()
    {
        var finance = _app.Client(await _app.IssueKeyAsync("finance"));
        var ingest = _app.Client(await _app.IssueKeyAsync("ingest", "search"));
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-1" })).EnsureSuccessStatusCode();

        await (await finance.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-2" })).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/api/teams/search")).StatusCode);
        await (await ingest.GetAsync("/api/teams/search")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await ingest.GetAsync("/api/features")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await _admin.GetAsync("/api/teams/nobody")).AssertProblemAsync(HttpStatusCode.NotFound, RegistryErrors.TeamNotFound);
        await (await _admin.GetAsync("/api/features/nothing")).AssertProblemAsync(HttpStatusCode.NotFound, RegistryErrors.FeatureNotFound);
    }

    [Fact]
    public async Task Lists_PageInNameOrder_AndNamesWithReservedCharactersRoundTrip()
    {
        foreach (var name in new[] { "ops eu", "search", "ads#1", "labs?", "billing" })
        {
            (await _admin.PutAsJsonAsync($"/api/features/{Uri.EscapeDataString(name)}", new { team = "search" })).EnsureSuccessStatusCode();
        }

        var first = await (await _admin.GetAsync("/api/features?limit=3")).JsonAsync();
        var second = await (await _admin.GetAsync($"/api/features?limit=3&next={Uri.EscapeDataString(first.GetProperty("next").GetString()!)}")).JsonAsync();
        var names = first.GetProperty("features").EnumerateArray().Concat(second.GetProperty("features").EnumerateArray()).Select(f => f.GetProperty("feature").GetString()).ToList();

        Assert.Equal(5, names.Count);
        Assert.Equal(5, names.Distinct().Count());
        Assert.False(second.TryGetProperty("next", out _));
        Assert.Equal("ads#1", (await (await _admin.GetAsync($"/api/features/{Uri.EscapeDataString("ads#1")}")).JsonAsync()).GetProperty("feature").GetString());
        await (await _admin.PutAsJsonAsync($"/api/features/{Uri.EscapeDataString("ops/eu")}", new { team = "search" })).AssertProblemAsync(HttpStatusCode.BadRequest, RegistryErrors.NameInvalid);
    }

    [Fact]
    public async Task Put_IsAuditedWithBeforeAndAfter()
    {
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-1" })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-2" })).EnsureSuccessStatusCode();

        var log = await (await _admin.GetAsync("/api/audit-log?kind=team.")).JsonAsync();
        var entries = log.GetProperty("entries").EnumerateArray().ToList();

        Assert.Equal(2, entries.Count);
        Assert.Equal("search", entries[0].GetProperty("target").GetString());
        Assert.Equal("CC-1", entries[0].GetProperty("before").GetProperty("costCenter").GetString());
        Assert.Equal("CC-2", entries[0].GetProperty("after").GetProperty("costCenter").GetString());
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("before").ValueKind);
    }
}

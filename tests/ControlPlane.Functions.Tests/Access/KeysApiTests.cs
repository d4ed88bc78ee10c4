using System.Net;
using System.Net.Http.Json;

namespace ControlPlane.Access;

public sealed class KeysApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task IssueKey_Ingest_Returns201WithSecretOnceAndListShowsNoSecret()
    {
        var response = await _app.Client().PostAsJsonAsync("/api/keys", new { name = "search prod", role = "ingest", teams = new[] { "search" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.JsonAsync();
        var id = issued.GetProperty("id").GetString()!;
        var secret = issued.GetProperty("key").GetString()!;
        Assert.StartsWith($"cpk_{id}_", secret);
        Assert.Equal($"/api/keys/{id}", response.Headers.Location?.ToString());

        var list = await (await _app.Client().GetAsync("/api/keys")).Content.ReadAsStringAsync();
        Assert.Contains(id, list);
        Assert.DoesNotContain(secret[(id.Length + 5)..], list);
    }

    [Fact]
    public async Task RevokeKey_ThenUse_Is401()
    {
        var secret = await _app.IssueKeyAsync("finance");
        var id = secret.Split('_')[1];
        Assert.Equal(HttpStatusCode.OK, (await _app.Client(secret).GetAsync("/api/costs")).StatusCode);

        var revoke = await _app.Client().DeleteAsync($"/api/keys/{id}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await (await _app.Client(secret).GetAsync("/api/costs")).AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_invalid");
        await (await _app.Client().DeleteAsync("/api/keys/0000000000000000")).AssertProblemAsync(HttpStatusCode.NotFound, "keys_not_found");
    }

    [Fact]
    public async Task KeyWithTamperedSecret_Is401()
    {
        var secret = await _app.IssueKeyAsync("admin");

        var response = await _app.Client(secret[..^2] + "xx").GetAsync("/api/keys");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_invalid");
    }

    [Theory]
    [InlineData("finance", "/api/keys", HttpStatusCode.Forbidden)]
    [InlineData("ingest", "/api/keys", HttpStatusCode.Forbidden)]
    [InlineData("ingest", "/api/costs", HttpStatusCode.OK)]
    [InlineData("ingest", "/api/costs?team=billing", HttpStatusCode.Forbidden)]
    [InlineData("finance", "/api/costs", HttpStatusCode.OK)]
    [InlineData("admin", "/api/keys", HttpStatusCode.OK)]
    [InlineData("ingest", "/api/prices", HttpStatusCode.OK)]
    public async Task Roles_GateEndpoints(string role, string path, HttpStatusCode expected)
    {
        var secret = role == "ingest" ? await _app.IssueKeyAsync(role, "search") : await _app.IssueKeyAsync(role);

        var response = await _app.Client(secret).GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"role":"ingest","teams":["a"]}""", "keys_name_required")]
    [InlineData("""{"name":"x","role":"root"}""", "keys_role_invalid")]
    [InlineData("""{"name":"x","role":"ingest"}""", "keys_teams_required")]
    [InlineData("""{"name":"x","role":"finance","teams":["a"]}""", "keys_teams_not_allowed")]
    [InlineData("""{"name":"x","role":"ingest","teams":[""]}""", "keys_team_invalid")]
    public async Task IssueKey_BadRequest_Is400WithCode(string body, string code)
    {
        var response = await _app.Client().PostJsonAsync("/api/keys", body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }
}

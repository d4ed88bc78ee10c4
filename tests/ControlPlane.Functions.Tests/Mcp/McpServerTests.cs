using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ControlPlane.Mcp;

/// <summary>
/// The advisory MCP server at <c>/api/mcp</c>, driven by the MCP C# SDK's own client over streamable HTTP against the
/// app on real Azurite: its tools answer what the HTTP API answers, under the same keys, roles and team limits, and
/// its proposals change nothing until an admin applies them through the findings endpoint.
/// </summary>
public sealed class McpServerTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;
    private string _finance = null!;

    // Calls on 2026-11-20 and 2026-11-22 (the app's clock stands at 2026-11-23 12:00), three teams, two models.
    private static readonly string[] Events =
    [
        Event("m1", "search", "answers", "gpt-4o", "2026-11-20T09:10:00Z"),
        Event("m2", "search", "answers", "gpt-4o-mini", "2026-11-20T10:10:00Z"),
        Event("m3", "search", "summaries", "gpt-4o", "2026-11-22T08:00:00Z"),
        Event("m4", "billing", "invoices", "gpt-4o", "2026-11-22T09:00:00Z"),
        Event("m5", "billing", "invoices", "gpt-4o-mini", "2026-11-22T23:59:00Z"),
        Event("m6", "legal", "review", "gpt-4o", "2026-11-20T00:00:00Z"),
    ];

    private static string Event(string id, string team, string feature, string model, string at) =>
        $$"""{"id":"{{id}}","team":"{{team}}","feature":"{{feature}}","model":"{{model}}","provider":"azure-openai","timestamp":"{{at}}","inputTokens":12000,"cachedInputTokens":10000,"outputTokens":300}""";

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        var recorded = await (await _admin.PostJsonAsync("/api/usage", $"{{\"events\":[{string.Join(",", Events)}]}}")).JsonAsync();
        Assert.Equal(Events.Length, recorded.GetProperty("recorded").GetInt32());
        _finance = await _app.IssueKeyAsync("finance");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>An MCP client of the app's in-memory server, sending <paramref name="apiKey"/> in <c>x-api-key</c>.</summary>
    private async Task<McpClient> ConnectAsync(string? apiKey = ControlPlaneApp.AdminKey)
    {
        var options = new HttpClientTransportOptions
        {
            Endpoint = new Uri(_app.Server.BaseAddress, "/api/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = apiKey is null ? null : new Dictionary<string, string> { ["x-api-key"] = apiKey },
        };
        return await McpClient.CreateAsync(new HttpClientTransport(options, _app.CreateClient(), ownsHttpClient: true));
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? []);
        var text = Text(result);
        Assert.False(result.IsError is true, $"{tool} failed: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<string> ToolErrorAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        Assert.True(result.IsError is true, $"{tool} did not fail: {Text(result)}");
        return Text(result);
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    [Fact]
    public async Task ListTools_OffersTheReadAndProposeTools_EachDescribedWithTypedParameters()
    {
        await using var client = await ConnectAsync();

        var tools = await client.ListToolsAsync();

        Assert.Equal(
            ["get_budget_status", "get_costs", "get_forecast", "get_top_movers", "list_open_findings", "propose_budget", "propose_isolation"],
            tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tools, t => Assert.False(string.IsNullOrWhiteSpace(t.Description), t.Name));
        var propose = tools.Single(t => t.Name == "propose_budget").JsonSchema;
        Assert.True(propose.GetProperty("properties").GetProperty("limitUsd").TryGetProperty("type", out var type) && type.GetString() == "number", propose.ToString());
        Assert.Equal(["limitUsd", "period", "reason", "scopeType", "scopeValue"],
            propose.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
        // The caller's identity is bound from the request, never an argument an agent could fill in.
        Assert.All(tools, t => Assert.False(t.JsonSchema.GetProperty("properties").TryGetProperty("user", out _), t.Name));
    }

    [Theory]
    [InlineData("team,day", null)]
    [InlineData("model", "search")]
    [InlineData("feature,week", null)]
    public async Task GetCosts_AnswersWhatGetApiCostsAnswers_ForTheSameQuery(string groupBy, string? team)
    {
        await using var client = await ConnectAsync(_finance);
        var arguments = new Dictionary<string, object?> { ["groupBy"] = groupBy, ["from"] = "2026-11-20", ["to"] = "2026-11-23" };
        if (team is not null)
        {
            arguments["filters"] = new Dictionary<string, string[]> { ["team"] = [team] };
        }

        var mcp = await CallAsync(client, "get_costs", arguments);
        var http = await (await _app.Client(_finance).GetAsync($"/api/costs?groupBy={groupBy}&from=2026-11-20&to=2026-11-23{(team is null ? "" : $"&team={team}")}")).JsonAsync();

        Assert.True(mcp.GetProperty("totalCostUsd").GetDecimal() > 0);
        Assert.Equal(http.GetProperty("totalCostUsd").GetDecimal(), mcp.GetProperty("totalCostUsd").GetDecimal());
        Assert.Equal(http.GetProperty("requests").GetInt64(), mcp.GetProperty("requests").GetInt64());
        Assert.Equal(Groups(http), Groups(mcp));

        static List<(string, decimal)> Groups(JsonElement answer) =>
            [.. answer.GetProperty("groups").EnumerateArray().Select(g => (string.Join('|', g.GetProperty("keys").EnumerateArray().Select(k => k.GetString())), g.GetProperty("costUsd").GetDecimal()))];
    }

    [Fact]
    public async Task NoKeyOrWrongKey_IsRefusedWith401_BeforeTheMcpServerSeesIt()
    {
        var missing = await Assert.ThrowsAnyAsync<HttpRequestException>(() => ConnectAsync(apiKey: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        var wrong = await Assert.ThrowsAnyAsync<HttpRequestException>(() => ConnectAsync("not-a-key-of-this-app"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // The same problems, with their stable codes, as every other route.
        var initialize = """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""";
        await (await _app.Client(apiKey: null).PostJsonAsync("/api/mcp", initialize)).AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_missing");
        await (await _app.Client("not-a-key-of-this-app").PostJsonAsync("/api/mcp", initialize)).AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_invalid");
    }

    [Fact]
    public async Task OversizedMessage_Is413_WhetherOrNotItSaysItsLength()
    {
        var huge = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_costs","arguments":{"groupBy":""" + $"\"{new string('x', 70_000)}\"" + "}}}";

        await (await _admin.PostJsonAsync("/api/mcp", huge)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request_body_too_large");
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/mcp") { Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(huge))) };
        chunked.Content.Headers.ContentType = new("application/json");
        await (await _admin.SendAsync(chunked)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request_body_too_large");
    }

    [Fact]
    public async Task IngestKeyOfOneTeam_SeesOnlyItsOwnTeam_ThroughEveryTool()
    {
        var billing = await _app.IssueKeyAsync("ingest", "billing");
        await using var client = await ConnectAsync(billing);

        var named = await ToolErrorAsync(client, "get_costs", new() { ["from"] = "2026-11-20", ["filters"] = new Dictionary<string, string[]> { ["team"] = ["search"] } });
        Assert.Contains("auth_team_forbidden", named, StringComparison.Ordinal);

        var own = await CallAsync(client, "get_costs", new() { ["groupBy"] = "team", ["from"] = "2026-11-20", ["to"] = "2026-11-23" });
        var billingOnly = await (await _admin.GetAsync("/api/costs?groupBy=team&from=2026-11-20&to=2026-11-23&team=billing")).JsonAsync();
        Assert.Equal(["billing"], own.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()));
        Assert.Equal(billingOnly.GetProperty("totalCostUsd").GetDecimal(), own.GetProperty("totalCostUsd").GetDecimal());

        var movers = await CallAsync(client, "get_top_movers", new() { ["days"] = 3 });
        Assert.DoesNotContain(movers.GetProperty("movers").EnumerateArray(), m => m.GetProperty("key").GetString() is "search" or "legal" or "answers" or "review");
        Assert.Contains("auth_team_forbidden", await ToolErrorAsync(client, "get_forecast", new() { ["team"] = "search" }), StringComparison.Ordinal);
        Assert.Contains("auth_role_forbidden", await ToolErrorAsync(client, "get_budget_status", []), StringComparison.Ordinal);
        Assert.Contains("auth_team_forbidden",
            await ToolErrorAsync(client, "propose_isolation", new() { ["scopeType"] = "team", ["scopeValue"] = "search", ["reason"] = "runaway agent" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadArguments_AreToolErrorsWithTheStableCode_AndTheSessionGoesOn()
    {
        await using var client = await ConnectAsync(_finance);

        Assert.Contains("costs_group_by_invalid", await ToolErrorAsync(client, "get_costs", new() { ["groupBy"] = "team,model,day" }), StringComparison.Ordinal);
        Assert.Contains("costs_time_invalid", await ToolErrorAsync(client, "get_costs", new() { ["from"] = "yesterday" }), StringComparison.Ordinal);
        Assert.Contains("costs_range_too_long", await ToolErrorAsync(client, "get_costs", new() { ["from"] = "2024-01-01", ["to"] = "2026-01-01" }), StringComparison.Ordinal);
        Assert.Contains("costs_filter_invalid", await ToolErrorAsync(client, "get_costs", new() { ["filters"] = new Dictionary<string, string[]> { ["tem"] = ["search"] } }), StringComparison.Ordinal);
        Assert.Contains("page_limit_invalid", await ToolErrorAsync(client, "get_costs", new() { ["limit"] = 0 }), StringComparison.Ordinal);
        Assert.Contains("costs_range_invalid", await ToolErrorAsync(client, "get_top_movers", new() { ["days"] = 0 }), StringComparison.Ordinal);
        Assert.Contains("costs_range_too_long", await ToolErrorAsync(client, "get_top_movers", new() { ["days"] = 181 }), StringComparison.Ordinal);
        Assert.Contains("finding_state_invalid", await ToolErrorAsync(client, "list_open_findings", new() { ["state"] = "closed" }), StringComparison.Ordinal);
        var budget = await ToolErrorAsync(client, "propose_budget", new()
        {
            ["scopeType"] = "galaxy", ["scopeValue"] = "search", ["period"] = "monthly", ["limitUsd"] = -5m, ["reason"] = "",
        });
        Assert.Contains("budget_scope_type_invalid", budget, StringComparison.Ordinal);
        Assert.Contains("budget_limit_invalid", budget, StringComparison.Ordinal);
        Assert.Contains("finding_note_invalid", budget, StringComparison.Ordinal);

        // Nothing was raised, and the client still works.
        Assert.Equal(0, (await CallAsync(client, "list_open_findings")).GetProperty("findings").GetArrayLength());
        Assert.True((await CallAsync(client, "get_costs")).GetProperty("totalCostUsd").GetDecimal() > 0);
    }

    [Fact]
    public async Task BudgetStatus_ShowsLimitSpentReservedAndKillSwitch_AsGetApiBudgetsDoes()
    {
        (await _admin.PutAsJsonAsync("/api/budgets/search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 100m })).EnsureSuccessStatusCode();
        var granted = await (await _admin.PostAsJsonAsync("/api/authorize", new { team = "search", feature = "answers", model = "gpt-4o", inputTokens = 1000, maxOutputTokens = 1000 })).JsonAsync();
        Assert.True(granted.GetProperty("allowed").GetBoolean());
        await using var client = await ConnectAsync(_finance);

        var answer = await CallAsync(client, "get_budget_status", new() { ["scopeType"] = "team", ["scopeValue"] = "search" });
        var http = await (await _admin.GetAsync("/api/budgets/search-monthly")).JsonAsync();

        var budget = Assert.Single(answer.GetProperty("budgets").EnumerateArray());
        Assert.Equal("search-monthly", budget.GetProperty("id").GetString());
        Assert.Equal(100m, budget.GetProperty("limitUsd").GetDecimal());
        Assert.True(budget.GetProperty("spentUsd").GetDecimal() > 0, "the month's calls count against it");
        Assert.True(budget.GetProperty("reservedUsd").GetDecimal() > 0, "the authorized call holds money");
        Assert.Equal("armed", budget.GetProperty("killSwitch").GetString());
        foreach (var field in new[] { "spentUsd", "reservedUsd", "remainingUsd" })
        {
            Assert.Equal(http.GetProperty(field).GetDecimal(), budget.GetProperty(field).GetDecimal());
        }

        Assert.Contains("budget_not_found", await ToolErrorAsync(client, "get_budget_status", new() { ["budgetId"] = "nope" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForecastAndTopMovers_AreTheReportsFigures_OverTheSameRows()
    {
        await using var client = await ConnectAsync(_finance);

        var forecast = (await CallAsync(client, "get_forecast")).GetProperty("forecast");
        var month = await (await _admin.GetAsync("/api/costs?groupBy=team&from=2026-11-01&to=2026-11-23T13:00:00Z")).JsonAsync();
        Assert.Equal("2026-11", forecast.GetProperty("month").GetString());
        Assert.Equal(month.GetProperty("totalCostUsd").GetDecimal(), forecast.GetProperty("monthToDateUsd").GetDecimal());
        Assert.True(forecast.GetProperty("monthEndUsd").GetDecimal() >= forecast.GetProperty("monthToDateUsd").GetDecimal());

        // The last 2 days (11-21 13:00 to 11-23 13:00) against the 2 before: only billing and search's summaries moved up.
        var movers = (await CallAsync(client, "get_top_movers", new() { ["days"] = 2 })).GetProperty("movers");
        var billing = movers.EnumerateArray().Single(m => m.GetProperty("dimension").GetString() == "team" && m.GetProperty("key").GetString() == "billing");
        var billingCost = await (await _admin.GetAsync("/api/costs?team=billing&from=2026-11-21T13:00:00Z&to=2026-11-23T13:00:00Z")).JsonAsync();
        Assert.Equal(billingCost.GetProperty("totalCostUsd").GetDecimal(), billing.GetProperty("changeUsd").GetDecimal());
        Assert.Equal(0m, billing.GetProperty("previousUsd").GetDecimal());
    }

    [Fact]
    public async Task ProposeBudget_RaisesOneFinding_ChangesNothing_UntilAnAdminAppliesIt()
    {
        await using var client = await ConnectAsync(_finance);
        var arguments = new Dictionary<string, object?>
        {
            ["scopeType"] = "team", ["scopeValue"] = "search", ["period"] = "monthly", ["limitUsd"] = 250.5m, ["reason"] = "search doubled its spend this week",
        };

        var proposed = await CallAsync(client, "propose_budget", arguments);
        var again = await CallAsync(client, "propose_budget", arguments);

        var id = proposed.GetProperty("finding").GetProperty("id").GetString()!;
        Assert.Equal(id, again.GetProperty("finding").GetProperty("id").GetString());
        var findings = await (await _admin.GetAsync("/api/findings?kind=proposed-budget")).JsonAsync();
        var finding = Assert.Single(findings.GetProperty("findings").EnumerateArray());
        Assert.Equal("open", finding.GetProperty("state").GetString());
        Assert.Equal(2, finding.GetProperty("timesSeen").GetInt32());
        Assert.Equal("finance key", finding.GetProperty("evidence").GetProperty("proposedBy").GetProperty("name").GetString());
        Assert.Equal("finance", finding.GetProperty("evidence").GetProperty("proposedBy").GetProperty("role").GetString());
        Assert.Equal("create-budget", finding.GetProperty("proposedAction").GetProperty("type").GetString());
        Assert.Contains("search doubled its spend", finding.GetProperty("recommendation").GetString(), StringComparison.Ordinal);
        // Proposed, not made: no budget exists, and a call is not checked against one.
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/budgets/team-search-monthly")).StatusCode);
        Assert.Equal(0, (await (await _admin.GetAsync("/api/budgets")).JsonAsync()).GetProperty("budgets").GetArrayLength());

        // A finance key may not apply it; an admin may, through the findings endpoint, audited.
        await (await _app.Client(_finance).PostAsync($"/api/findings/{id}/apply", null)).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        var applied = await _admin.PostAsync($"/api/findings/{id}/apply", null);
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);

        var budget = await (await _admin.GetAsync("/api/budgets/team-search-monthly")).JsonAsync();
        Assert.Equal(250.5m, budget.GetProperty("limitUsd").GetDecimal());
        Assert.Equal("hard", budget.GetProperty("mode").GetString());
        Assert.Equal("team", budget.GetProperty("scope").GetProperty("type").GetString());
        var log = await (await _admin.GetAsync("/api/audit-log?kind=finding.apply")).JsonAsync();
        Assert.Contains(log.GetProperty("entries").EnumerateArray(), e => e.GetProperty("target").GetString() == id);

        // Proposing it once more cannot overwrite the budget it created.
        Assert.Contains("budget_id_invalid", await ToolErrorAsync(client, "propose_budget", arguments), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProposeIsolation_LeavesTheKillSwitchAlone_UntilAnAdminAppliesIt()
    {
        var search = await _app.IssueKeyAsync("ingest", "search");
        await using var client = await ConnectAsync(search);

        var proposed = await CallAsync(client, "propose_isolation", new() { ["scopeType"] = "team", ["scopeValue"] = "search", ["reason"] = "our agent is looping" });

        var id = proposed.GetProperty("finding").GetProperty("id").GetString()!;
        Assert.Equal("proposed-isolation", proposed.GetProperty("finding").GetProperty("kind").GetString());
        Assert.Contains($"/api/findings/{id}/apply", proposed.GetProperty("next").GetString(), StringComparison.Ordinal);
        Assert.False((await Check()).GetProperty("blocked").GetBoolean());
        // The team's own key sees its proposal among its findings.
        var own = await CallAsync(client, "list_open_findings", new() { ["kind"] = "proposed-isolation" });
        Assert.Equal(id, Assert.Single(own.GetProperty("findings").EnumerateArray()).GetProperty("id").GetString());

        (await _admin.PostAsync($"/api/findings/{id}/apply", null)).EnsureSuccessStatusCode();

        Assert.True((await Check()).GetProperty("blocked").GetBoolean());
        var finding = await (await _admin.GetAsync($"/api/findings/{id}")).JsonAsync();
        Assert.Equal("isolate-scope", finding.GetProperty("applied").GetProperty("type").GetString());

        async Task<JsonElement> Check() => await (await _admin.GetAsync("/api/killswitches/check?team=search&feature=answers&model=gpt-4o")).JsonAsync();
    }
}

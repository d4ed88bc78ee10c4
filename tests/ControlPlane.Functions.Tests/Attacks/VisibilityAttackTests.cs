using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Batch;
using ControlPlane.Budgets;

namespace ControlPlane.Attacks;

/// <summary>
/// Hole 9: an ingest key could see other teams — their budgets' scopes and states in the kill-switch list, their
/// answers from /check, their GPU pools' scale sets and prices — and a 409 on a batch id told it another team used
/// that id. An ingest key sees its own teams only, and another team's id answers exactly as a missing one.
/// </summary>
public sealed class VisibilityAttackTests : IAsyncLifetime
{
    private const string SearchScaleSet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/search-gpus";
    private const string BillingScaleSet = "/subscriptions/s/resourceGroups/billing-secret-rg/providers/Microsoft.Compute/virtualMachineScaleSets/billing-gpus";
    private BatchHarness _h = null!;
    private HttpClient _admin = null!;
    private HttpClient _search = null!;
    private HttpClient _billing = null!;

    public async Task InitializeAsync()
    {
        _h = await BatchHarness.StartAsync();
        _admin = _h.Admin;
        _search = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "search"));
        _billing = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "billing"));
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task KillSwitchList_IngestKey_SeesItsTeamsAndTheOrgButNoOtherScope()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 5m });
        await _admin.PutBudgetAsync("org-monthly", new { scope = new { type = "org", value = "contoso" }, period = "monthly", limitUsd = 500m });
        await _admin.PutBudgetAsync("billing-daily", new { scope = new { type = "team", value = "billing" }, period = "daily", limitUsd = 5m });
        await _admin.PutBudgetAsync("billing-fraud-model", new { scope = new { type = "feature", value = "billing-fraud-model" }, period = "daily", limitUsd = 5m });
        await _admin.PutBudgetAsync("vip-user", new { scope = new { type = "user", value = "ceo@contoso.com" }, period = "daily", limitUsd = 5m });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "team", value = "billing" } });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "app", value = "billing-backoffice" } });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "team", value = "search" } });

        var response = await _search.GetAsync("/api/killswitches");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("billing", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ceo@contoso.com", raw, StringComparison.Ordinal);
        var seen = JsonDocument.Parse(raw).RootElement.GetProperty("killSwitches").EnumerateArray()
            .Select(s => $"{s.GetProperty("scope").GetProperty("type").GetString()}:{s.GetProperty("scope").GetProperty("value").GetString()}:{s.GetProperty("state").GetString()}")
            .ToList();
        Assert.Equal(["org:contoso:armed", "team:search:armed", "team:search:isolated"], seen);
        var all = await (await _admin.GetAsync("/api/killswitches")).JsonAsync();
        Assert.Equal(8, all.GetProperty("killSwitches").GetArrayLength());
    }

    [Fact]
    public async Task KillSwitchCheck_ForAnotherTeam_Is403AndSaysNothingAboutThatTeam()
    {
        await _admin.PutBudgetAsync("billing-daily", new { scope = new { type = "team", value = "billing" }, period = "daily", limitUsd = 5m });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "team", value = "billing" } });

        var existing = await _search.GetAsync("/api/killswitches/check?team=billing");
        var unknown = await _search.GetAsync("/api/killswitches/check?team=no-such-team");

        var a = await existing.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        var b = await unknown.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.DoesNotContain("billing", await existing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var own = await (await _search.GetAsync("/api/killswitches/check")).JsonAsync();
        Assert.False(own.GetProperty("blocked").GetBoolean());
        Assert.True((await (await _billing.GetAsync("/api/killswitches/check?team=billing")).JsonAsync()).GetProperty("blocked").GetBoolean());
        Assert.True((await (await _admin.GetAsync("/api/killswitches/check?team=billing")).JsonAsync()).GetProperty("blocked").GetBoolean());
    }

    [Fact]
    public async Task KillSwitchCheck_KeyOfSeveralTeamsWithoutTeam_Is403()
    {
        var both = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "search", "ads"));

        await (await both.GetAsync("/api/killswitches/check")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        Assert.Equal(HttpStatusCode.OK, (await both.GetAsync("/api/killswitches/check?team=ads")).StatusCode);
    }

    [Fact]
    public async Task GpuPools_AnotherTeamsPool_IsInvisibleAndAnswersAsAMissingOne()
    {
        await PutPoolAsync("search-pool", "search", SearchScaleSet);
        await PutPoolAsync("billing-pool", "billing", BillingScaleSet);

        var list = await _search.GetAsync("/api/gpu/pools");
        var raw = await list.Content.ReadAsStringAsync();
        Assert.DoesNotContain("billing", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["search-pool"], JsonDocument.Parse(raw).RootElement.GetProperty("pools").EnumerateArray().Select(p => p.GetProperty("pool").GetProperty("name").GetString()));
        Assert.Equal(2, (await (await _admin.GetAsync("/api/gpu/pools")).JsonAsync()).GetProperty("pools").GetArrayLength());

        foreach (var (method, suffix, body) in new[] { ("GET", "", null), ("GET", "/decisions", null), ("POST", "/samples", """{"utilization":0.5}""") })
        {
            var foreign = await SendAsync(_search, method, $"/api/gpu/pools/billing-pool{suffix}", body);
            var missing = await SendAsync(_search, method, $"/api/gpu/pools/billing-poo1{suffix}", body);
            await foreign.AssertProblemAsync(HttpStatusCode.NotFound, "gpu_pool_not_found");
            await missing.AssertProblemAsync(HttpStatusCode.NotFound, "gpu_pool_not_found");
            Assert.DoesNotContain("billing-secret-rg", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await _search.GetAsync("/api/gpu/pools/search-pool")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _search.GetAsync("/api/gpu/pools/search-pool/decisions")).StatusCode);
    }

    [Fact]
    public async Task BatchSubmit_IdAnotherTeamUsed_IsAcceptedAsAFreeIdNotA409()
    {
        var billings = await SubmitAsync(_billing, "billing", "nightly-digest");
        Assert.Equal(HttpStatusCode.Accepted, billings.StatusCode);

        var foreign = await SubmitAsync(_search, "search", "nightly-digest");
        var free = await SubmitAsync(_search, "search", "never-used-anywhere");

        Assert.Equal(HttpStatusCode.Accepted, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, free.StatusCode);
        var mine = await foreign.JsonAsync();
        Assert.Equal("nightly-digest", mine.GetProperty("id").GetString());
        Assert.Equal("search", mine.GetProperty("team").GetString());
        Assert.Equal($"/api/batch/requests/nightly-digest", foreign.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task BatchSubmit_SameTeamSameId_StaysIdempotentAndADifferentRequestStill409s()
    {
        await SubmitAsync(_billing, "billing", "digest");
        var first = await SubmitAsync(_search, "search", "digest");
        var again = await SubmitAsync(_search, "search", "digest");
        var different = await SubmitAsync(_search, "search", "digest", model: "gpt-4o");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((await first.JsonAsync()).GetProperty("reservationId").GetString(), (await again.JsonAsync()).GetProperty("reservationId").GetString());
        await different.AssertProblemAsync(HttpStatusCode.Conflict, BatchErrors.IdConflict);
    }

    [Fact]
    public async Task BatchGetAndCancel_AnotherTeamsId_AnswerAsAMissingOne()
    {
        await SubmitAsync(_billing, "billing", "billing-only");

        var get = await _search.GetAsync("/api/batch/requests/billing-only");
        var cancel = await _search.DeleteAsync("/api/batch/requests/billing-only");
        var getMissing = await _search.GetAsync("/api/batch/requests/nobody-has-this");
        var cancelMissing = await _search.DeleteAsync("/api/batch/requests/nobody-has-this");

        foreach (var response in new[] { get, cancel, getMissing, cancelMissing })
        {
            await response.AssertProblemAsync(HttpStatusCode.NotFound, BatchErrors.NotFound);
        }

        Assert.Equal("pending", (await (await _billing.GetAsync("/api/batch/requests/billing-only")).JsonAsync()).GetProperty("status").GetString());
        var list = await (await _search.GetAsync("/api/batch/requests")).JsonAsync();
        Assert.Empty(list.GetProperty("requests").EnumerateArray());
    }

    [Fact]
    public async Task BatchSameIdInTwoTeams_EachTeamSeesItsOwnAndBothRunAndAreChargedSeparately()
    {
        await _admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m });
        await _admin.PutBudgetAsync("billing-monthly", new { scope = new { type = "team", value = "billing" }, period = "monthly", limitUsd = 10m });
        Assert.Equal(HttpStatusCode.Accepted, (await SubmitAsync(_billing, "billing", "shared", text: "Billing's own ticket.")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SubmitAsync(_search, "search", "shared", text: "Search's own ticket.")).StatusCode);

        await (await _admin.GetAsync("/api/batch/requests/shared")).AssertProblemAsync(HttpStatusCode.BadRequest, BatchErrors.TeamRequired);
        await _h.RunToEndAsync(await _h.StartNightlyAsync());

        var search = await (await _search.GetAsync("/api/batch/requests/shared")).JsonAsync();
        var billing = await (await _billing.GetAsync("/api/batch/requests/shared")).JsonAsync();
        Assert.Equal("search", search.GetProperty("team").GetString());
        Assert.Equal("billing", billing.GetProperty("team").GetString());
        Assert.Equal("completed", search.GetProperty("status").GetString());
        Assert.Equal("completed", billing.GetProperty("status").GetString());
        Assert.NotEqual(search.GetProperty("usageEventId").GetString(), billing.GetProperty("usageEventId").GetString());
        Assert.Equal("billing", (await (await _admin.GetAsync("/api/batch/requests/shared?team=billing")).JsonAsync()).GetProperty("team").GetString());
        Assert.Equal(search.Money("costUsd"), (await _h.SettledBudgetAsync("search-monthly")).Money("spentUsd"));
        Assert.Equal(billing.Money("costUsd"), (await _h.SettledBudgetAsync("billing-monthly")).Money("spentUsd"));
    }

    private async Task PutPoolAsync(string name, string team, string scaleSetId)
    {
        var response = await _admin.PutAsJsonAsync($"/api/gpu/pools/{name}", new { scaleSetId, minCapacity = 0, maxCapacity = 4, team, hourlyPriceUsd = 3.4m });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? body) =>
        method == "GET" ? client.GetAsync(path) : client.PostJsonAsync(path, body!);

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string team, string id, string model = "gpt-4o-mini", string text = "Summarise the ticket.") =>
        client.PostAsJsonAsync("/api/batch/requests", new
        {
            id,
            team,
            feature = "summaries",
            model,
            maxOutputTokens = 200,
            body = new { messages = new object[] { new { role = "user", content = text } } },
        });
}

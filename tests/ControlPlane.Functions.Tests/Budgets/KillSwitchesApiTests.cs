using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ControlPlane.Budgets;

public sealed class KillSwitchesApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        // $0.01 a day: a gpt-4o call of 1,000 in + 500 out costs $0.0075.
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 0.01m });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<List<JsonElement>> EventsAsync() =>
        [.. (await (await _admin.GetAsync("/api/events")).JsonAsync()).GetProperty("events").EnumerateArray()];

    [Fact]
    public async Task PostHocSpend_CrossingThresholds_WarnsThenTripsOnceAndBlocksAuthorize()
    {
        await _admin.PostUsageAsync("u-1", 1000, 500);
        var warned = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal("warn", warned.GetProperty("state").GetString());
        Assert.Equal("armed", warned.GetProperty("killSwitch").GetString());

        await _admin.PostUsageAsync("u-2", 1000, 500);
        await _admin.PostUsageAsync("u-3", 1000, 500);

        var blocked = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal("blocked", blocked.GetProperty("state").GetString());
        Assert.Equal("tripped", blocked.GetProperty("killSwitch").GetString());
        var denied = await _admin.AuthorizeAsync(maxOutputTokens: 1);
        Assert.Equal("kill_switch_tripped", denied.GetProperty("reason").GetString());
        var check = await (await _admin.GetAsync("/api/killswitches/check?team=search&feature=answers&model=gpt-4o")).JsonAsync();
        Assert.True(check.GetProperty("blocked").GetBoolean());
        Assert.Equal("search-daily", check.GetProperty("by")[0].GetProperty("budgetId").GetString());
        var other = await (await _admin.GetAsync("/api/killswitches/check?team=billing")).JsonAsync();
        Assert.False(other.GetProperty("blocked").GetBoolean());

        var events = await EventsAsync();
        Assert.Equal(
            ["ControlPlane.Budget.ThresholdCrossed:review", "ControlPlane.Budget.ThresholdCrossed:warn", "ControlPlane.KillSwitch.Tripped:block"],
            events.Select(e => $"{e.GetProperty("type").GetString()}:{e.GetProperty("threshold").GetString()}").Order());
    }

    [Fact]
    public async Task Reset_RearmsAndAnnouncesAndRaisingTheLimitRearmsByItself()
    {
        await _admin.PostUsageAsync("u-1", 1000, 1000);
        Assert.Equal("tripped", (await _admin.GetBudgetAsync("search-daily")).GetProperty("killSwitch").GetString());

        var reset = await (await _admin.PostAsJsonAsync("/api/killswitches/reset", new { scope = new { type = "team", value = "search" } })).JsonAsync();

        Assert.Equal(["search-daily"], reset.GetProperty("rearmed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("armed", (await _admin.GetBudgetAsync("search-daily")).GetProperty("killSwitch").GetString());
        Assert.Contains(await EventsAsync(), e => e.GetProperty("type").GetString() == "ControlPlane.KillSwitch.Reset");

        await _admin.PostUsageAsync("u-2", 1000, 100);
        Assert.Equal("tripped", (await _admin.GetBudgetAsync("search-daily")).GetProperty("killSwitch").GetString());
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m });
        var raised = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal("armed", raised.GetProperty("killSwitch").GetString());
        Assert.True((await _admin.AuthorizeAsync()).GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task Isolate_DeniesTheScopeUntilReset()
    {
        var isolate = await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "feature", value = "answers" } });
        Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);

        var denied = await _admin.AuthorizeAsync(team: "billing", feature: "answers");
        var list = await (await _admin.GetAsync("/api/killswitches")).JsonAsync();
        await _admin.PostAsJsonAsync("/api/killswitches/reset", new { scope = new { type = "feature", value = "answers" } });
        var allowed = await _admin.AuthorizeAsync(team: "billing", feature: "answers");

        Assert.Equal("scope_isolated", denied.GetProperty("reason").GetString());
        Assert.Contains(list.GetProperty("killSwitches").EnumerateArray(), k => k.GetProperty("state").GetString() == "isolated");
        Assert.True(allowed.GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task SoftBudget_NeverDeniesButAnnouncesBlock()
    {
        await _admin.PutBudgetAsync("billing-soft", new { scope = new { type = "team", value = "billing" }, period = "monthly", limitUsd = 0.001m, mode = "soft" });

        await _admin.PostUsageAsync("b-1", 1000, 1000, team: "billing");
        var granted = await _admin.AuthorizeAsync(team: "billing");

        Assert.True(granted.GetProperty("allowed").GetBoolean());
        Assert.Contains(await EventsAsync(), e => e.GetProperty("budgetId").GetString() == "billing-soft" && e.GetProperty("threshold").GetString() == "block"
            && e.GetProperty("type").GetString() == "ControlPlane.Budget.ThresholdCrossed");
    }

    [Theory]
    [InlineData("""{"period":"daily","limitUsd":1}""", "budget_scope_required")]
    [InlineData("""{"scope":{"type":"galaxy","value":"x"},"period":"daily","limitUsd":1}""", "budget_scope_type_invalid")]
    [InlineData("""{"scope":{"type":"team","value":"x"},"period":"hourly","limitUsd":1}""", "budget_period_invalid")]
    [InlineData("""{"scope":{"type":"team","value":"x"},"period":"daily","limitUsd":0}""", "budget_limit_invalid")]
    [InlineData("""{"scope":{"type":"team","value":"x"},"period":"daily","limitUsd":1,"mode":"strict"}""", "budget_mode_invalid")]
    [InlineData("""{"scope":{"type":"team","value":"x"},"period":"daily","limitUsd":1,"thresholds":{"warn":0.9,"review":0.5}}""", "budget_thresholds_invalid")]
    public async Task PutBudget_BadBody_Is400(string body, string code)
    {
        var response = await _admin.PutAsync("/api/budgets/b1", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Budgets_ListGetDelete_AndFinanceMayReadButNotWrite()
    {
        var finance = _app.Client(await _app.IssueKeyAsync("finance"));

        var list = await (await finance.GetAsync("/api/budgets")).JsonAsync();
        var put = await finance.PutAsJsonAsync("/api/budgets/x", new { scope = new { type = "org", value = "acme" }, period = "total", limitUsd = 5 });
        var delete = await _admin.DeleteAsync("/api/budgets/search-daily");

        Assert.Single(list.GetProperty("budgets").EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await (await _admin.GetAsync("/api/budgets/search-daily")).AssertProblemAsync(HttpStatusCode.NotFound, "budget_not_found");
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;

namespace ControlPlane.Attacks;

/// <summary>
/// Hole 11: enums parsed with <c>Enum.TryParse</c> took "team,day" (a flag combination), "1" or " team" and answered
/// for some other value without a word. Every enum, in a query or a body, takes exactly one documented name.
/// </summary>
public sealed class StrictEnumAttackTests : IAsyncLifetime
{
    private const string ScaleSetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/infer";
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        await _admin.PostUsageAsync("u-1", 1000, 500);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("team,day,model")]
    [InlineData("day,hour")]
    [InlineData("team,team")]
    [InlineData("team, feature")]
    [InlineData("team,")]
    [InlineData("tag:")]
    [InlineData("1")]
    [InlineData("-1")]
    [InlineData(" team")]
    [InlineData("Team|Day")]
    public async Task CostsGroupBy_ThreeDimensionsTwoBucketsRepeatsOrNumbers_Is400(string groupBy)
    {
        var response = await _admin.GetAsync($"/api/costs?groupBy={Uri.EscapeDataString(groupBy)}");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "costs_group_by_invalid");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("groupBy", error.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task CostsGroupBy_OneNameInAnyCase_StillAnswers()
    {
        var response = await _admin.GetAsync("/api/costs?groupBy=TEAM");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("team", (await response.JsonAsync()).GetProperty("groupBy").GetString());
    }

    [Theory]
    [InlineData("team,feature", "daily", "hard", "budget_scope_type_invalid", "scope.type")]
    [InlineData("3", "daily", "hard", "budget_scope_type_invalid", "scope.type")]
    [InlineData("team", "daily,weekly", "hard", "budget_period_invalid", "period")]
    [InlineData("team", "0", "hard", "budget_period_invalid", "period")]
    [InlineData("team", "daily", "hard,soft", "budget_mode_invalid", "mode")]
    [InlineData("team", "daily", "1", "budget_mode_invalid", "mode")]
    public async Task BudgetBody_CombinationOrNumber_Is400AndWritesNothing(string scopeType, string period, string mode, string code, string field)
    {
        var response = await _admin.PutAsJsonAsync("/api/budgets/attack", new { scope = new { type = scopeType, value = "search" }, period, limitUsd = 1m, mode });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/budgets/attack")).StatusCode);
    }

    [Theory]
    [InlineData("/api/killswitches/isolate")]
    [InlineData("/api/killswitches/reset")]
    public async Task KillSwitchScope_Combination_Is400AndIsolatesNothing(string path)
    {
        var response = await _admin.PostAsJsonAsync(path, new { scope = new { type = "team,feature", value = "search" } });

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "budget_scope_type_invalid");
        var list = await (await _admin.GetAsync("/api/killswitches")).JsonAsync();
        Assert.Empty(list.GetProperty("killSwitches").EnumerateArray());
    }

    [Theory]
    [InlineData("recommend,enforce")]
    [InlineData("1")]
    public async Task PoolMode_CombinationOrNumber_Is400AndRegistersNothing(string mode)
    {
        var response = await _admin.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId = ScaleSetId, minCapacity = 0, maxCapacity = 4, team = "search", mode });

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "gpu_pool_mode_invalid");
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/gpu/pools/infer")).StatusCode);
    }

    [Theory]
    [InlineData("[\"monday,tuesday\"]")]
    [InlineData("[1]")]
    [InlineData("[\"mon\"]")]
    public async Task PoolScheduleDays_CombinationOrNumber_Is400NamingThePath(string days)
    {
        var json = $$"""{"scaleSetId":"{{ScaleSetId}}","minCapacity":0,"maxCapacity":4,"team":"search","schedules":[{"days":{{days}},"startHour":0,"endHour":6,"minCapacity":0}]}""";

        var response = await _admin.PutAsync("/api/gpu/pools/infer", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request_json_invalid");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("$.schedules[0].days[0]", detail);
        Assert.Contains("sunday, monday, tuesday", detail);
    }

    [Fact]
    public async Task PoolScheduleDays_Names_AreAccepted()
    {
        var json = $$"""{"scaleSetId":"{{ScaleSetId}}","minCapacity":0,"maxCapacity":4,"team":"search","schedules":[{"days":["Saturday","sunday"],"startHour":0,"endHour":6,"minCapacity":0}]}""";

        var response = await _admin.PutAsync("/api/gpu/pools/infer", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var days = (await response.JsonAsync()).GetProperty("pool").GetProperty("schedules")[0].GetProperty("days");
        Assert.Equal(["saturday", "sunday"], days.EnumerateArray().Select(d => d.GetString()));
    }

    [Theory]
    [InlineData("ingest,admin")]
    [InlineData("2")]
    public async Task KeyRole_CombinationOrNumber_Is400AndIssuesNothing(string role)
    {
        var before = (await (await _admin.GetAsync("/api/keys")).JsonAsync()).GetProperty("keys").GetArrayLength();

        var response = await _admin.PostAsJsonAsync("/api/keys", new { name = "attack", role, teams = new[] { "search" } });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "keys_role_invalid");
        Assert.Contains("ingest, finance, admin", problem.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.Equal(before, (await (await _admin.GetAsync("/api/keys")).JsonAsync()).GetProperty("keys").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/batch/requests?status=pending,queued", "batch_request_status_invalid")]
    [InlineData("/api/batch/requests?status=0", "batch_request_status_invalid")]
    [InlineData("/api/orchestrations?status=running,waiting", "orchestration_status_invalid")]
    [InlineData("/api/orchestrations?status=4", "orchestration_status_invalid")]
    public async Task StatusFilter_CombinationOrNumber_Is400NamingTheField(string path, string code)
    {
        var problem = await (await _admin.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest, code);

        Assert.Equal("status", problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("global,batch")]
    [InlineData("1")]
    public async Task UsageDeploymentType_CombinationOrNumber_Is400AndRecordsNothing(string deploymentType)
    {
        var response = await _admin.PostAsJsonAsync("/api/usage", new
        {
            id = "attack-1", team = "search", feature = "answers", model = "gpt-4o", deploymentType, inputTokens = 10, outputTokens = 10,
        });

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "usage_deployment_type_invalid");
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/usage/attack-1")).StatusCode);
    }

    [Fact]
    public async Task PriceDeploymentType_Combination_Is400()
    {
        var response = await _admin.PutAsJsonAsync("/api/prices", new
        {
            prices = new[] { new { provider = "azure-openai", model = "attack-model", deploymentType = "global,batch", inputPerMTok = 1m, outputPerMTok = 2m } },
        });

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "price_deployment_type_invalid");
        var prices = await (await _admin.GetAsync("/api/prices?model=attack-model")).JsonAsync();
        Assert.Empty(prices.GetProperty("prices").EnumerateArray());
    }
}

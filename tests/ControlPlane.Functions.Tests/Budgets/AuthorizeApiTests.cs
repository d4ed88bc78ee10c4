using System.Net;
using System.Net.Http.Json;

namespace ControlPlane.Budgets;

public sealed class AuthorizeApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 0.05m, mode = "hard" });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Authorize_WithinBudget_ReservesWorstCaseAndUsageSettlesActualOnce()
    {
        var granted = await _admin.AuthorizeAsync();

        Assert.True(granted.GetProperty("allowed").GetBoolean());
        Assert.Equal(0.0125m, granted.Money("ceilingUsd"));
        Assert.Equal(ControlPlaneApp.Start.AddMinutes(10), granted.GetProperty("expiresAt").GetDateTimeOffset());
        var reservationId = granted.GetProperty("reservationId").GetString()!;
        var held = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal(0.0125m, held.Money("reservedUsd"));
        Assert.Equal(0.0375m, held.Money("remainingUsd"));

        await _admin.PostUsageAsync("call-1", 1000, 200, reservationId);
        await _admin.PostUsageAsync("call-1", 1000, 200, reservationId);

        var settled = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal(0.0045m, settled.Money("spentUsd"));
        Assert.Equal(0m, settled.Money("reservedUsd"));
        var release = await (await _admin.DeleteAsync($"/api/reservations/{reservationId}")).JsonAsync();
        Assert.Equal("settled", release.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Authorize_CeilingAboveRemaining_IsDeniedNamingBudgetAndWhatStillFits()
    {
        var denied = await _admin.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 10_000);

        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("budget_exceeded", denied.GetProperty("reason").GetString());
        Assert.Equal("search-daily", denied.GetProperty("budgetId").GetString());
        Assert.Equal("team", denied.GetProperty("scope").GetProperty("type").GetString());
        Assert.Equal(0.05m, denied.Money("remainingUsd"));

        // $0.05 − 1,000 × $2.50/M leaves $0.0475 for output at $10/M: 4,750 tokens fit, 4,751 do not.
        var affordable = denied.GetProperty("maxAffordableOutputTokens").GetInt64();
        Assert.Equal(4750, affordable);
        Assert.True((await _admin.AuthorizeAsync(maxOutputTokens: affordable)).GetProperty("allowed").GetBoolean());
        Assert.False((await _admin.AuthorizeAsync(maxOutputTokens: 1)).GetProperty("allowed").GetBoolean());
        Assert.Equal(0m, (await _admin.GetBudgetAsync("search-daily")).Money("remainingUsd"));
    }

    [Fact]
    public async Task Release_ReturnsTheMoneyAtOnce()
    {
        var granted = await _admin.AuthorizeAsync();

        var response = await _admin.DeleteAsync($"/api/reservations/{granted.GetProperty("reservationId").GetString()}");

        Assert.Equal("released", (await response.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal(0m, (await _admin.GetBudgetAsync("search-daily")).Money("reservedUsd"));
        await (await _admin.DeleteAsync("/api/reservations/res_nope")).AssertProblemAsync(HttpStatusCode.NotFound, "reservation_not_found");
    }

    [Fact]
    public async Task ExpirySweep_AfterTtl_ReturnsUnsettledMoneyAndLateUsageIsChargedPostHoc()
    {
        var granted = await _admin.AuthorizeAsync();
        _app.Clock.Advance(TimeSpan.FromMinutes(10));

        var sweep = await (await _admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).JsonAsync();

        Assert.Equal(1, sweep.GetProperty("expired").GetInt32());
        Assert.Equal(0m, (await _admin.GetBudgetAsync("search-daily")).Money("reservedUsd"));
        await _admin.PostUsageAsync("late-1", 1000, 200, granted.GetProperty("reservationId").GetString());
        var after = await _admin.GetBudgetAsync("search-daily");
        Assert.Equal(0.0045m, after.Money("spentUsd"));
        Assert.Equal(0m, after.Money("reservedUsd"));
    }

    [Fact]
    public async Task Usage_ActualAboveCeiling_IsRecordedAsCeilingBreach()
    {
        var granted = await _admin.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 100);

        var recorded = await _admin.PostUsageAsync("breach-1", 5000, 100, granted.GetProperty("reservationId").GetString());

        Assert.True(recorded.GetProperty("events")[0].GetProperty("ceilingBreach").GetBoolean());
        Assert.Equal(0.0135m, (await _admin.GetBudgetAsync("search-daily")).Money("spentUsd"));
    }

    [Fact]
    public async Task Authorize_WithoutMaxOutputTokens_Is400()
    {
        var response = await _admin.PostJsonAsync("/api/authorize", """{"team":"search","feature":"f","model":"gpt-4o","inputTokens":10}""");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "authorize_max_output_tokens_required");
    }

    [Fact]
    public async Task Authorize_IngestKeyForOtherTeam_Is403()
    {
        var key = await _app.IssueKeyAsync("ingest", "billing");

        var response = await _app.Client(key).PostAsJsonAsync("/api/authorize", new { team = "search", feature = "f", model = "gpt-4o", inputTokens = 10, maxOutputTokens = 10 });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
    }

    [Fact]
    public async Task Authorize_NoMatchingBudget_IsAllowedWithoutLimit()
    {
        var granted = await _admin.AuthorizeAsync(team: "billing");

        Assert.True(granted.GetProperty("allowed").GetBoolean());
        Assert.Equal(1_000_000_000, granted.GetProperty("maxAffordableOutputTokens").GetInt64());
    }
}

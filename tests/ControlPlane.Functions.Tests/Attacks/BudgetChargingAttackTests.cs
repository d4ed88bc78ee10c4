using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;

namespace ControlPlane.Attacks;

/// <summary>
/// The budget promise tried as a hostile but valid client would (issue 9, holes 1–5): every test reproduces a way
/// money was spent past a hard limit, charged twice, or charged to someone else, and proves it no longer works.
/// gpt-4o on azure-openai costs $2.50 per million input tokens and $10 per million output tokens.
/// </summary>
public sealed class BudgetChargingAttackTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The budget once leased headroom nobody used has come back (a lease folds a little after it ends).</summary>
    private async Task<JsonElement> FoldedBudgetAsync(string id)
    {
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await _admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();
        return await _admin.GetBudgetAsync(id);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Overrun_FarAboveTheCeiling_TripsTheSwitchInTheSameRequest(bool leases)
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Budgets:Leases:Enabled"] = leases ? "true" : "false" });
        var admin = app.Client();
        await admin.PutBudgetAsync("tiny", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, mode = "hard" });

        // Authorize a $0.000125 call, then report 200,000 input tokens ($0.50) on it, in a loop.
        var allowed = 0;
        for (var call = 0; call < 20; call++)
        {
            var granted = await admin.AuthorizeAsync(inputTokens: 10, maxOutputTokens: 10);
            if (!granted.GetProperty("allowed").GetBoolean())
            {
                Assert.Equal("kill_switch_tripped", granted.GetProperty("reason").GetString());
                break;
            }

            allowed++;
            var usage = await admin.PostUsageAsync($"overrun-{call}", 200_000, 0, granted.GetProperty("reservationId").GetString());
            Assert.True(usage.GetProperty("events")[0].GetProperty("ceilingBreach").GetBoolean());
        }

        // The second $0.50 reaches the $1 block threshold: the switch trips before its response, with no fold.
        Assert.Equal(2, allowed);
        var budget = await admin.GetBudgetAsync("tiny");
        Assert.Equal("tripped", budget.GetProperty("killSwitch").GetString());
        Assert.Equal("blocked", budget.GetProperty("state").GetString());
        Assert.Equal(1.00m, budget.Money("spentUsd"));
    }

    [Fact]
    public async Task OneReservation_FiveEvents_OneSettlesAndEveryOtherIsChargedPostHoc()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 10m, mode = "hard" });
        var reservationId = (await _admin.AuthorizeAsync()).GetProperty("reservationId").GetString();

        var outcomes = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            // 1,000 in + 200 out = $0.0045 each.
            var usage = await _admin.PostUsageAsync($"reuse-{i}", 1000, 200, reservationId);
            outcomes.Add(usage.GetProperty("events")[0].GetProperty("reservation").GetString());
        }

        Assert.Equal(["settled", "reused", "reused", "reused", "reused"], outcomes);
        var budget = await FoldedBudgetAsync("search-daily");
        Assert.Equal(0.0225m, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=team")).JsonAsync();
        Assert.Equal(budget.Money("spentUsd"), costs.Money("totalCostUsd"));
    }

    [Fact]
    public async Task OneReservation_TwentyParallelEvents_ExactlyOneSettlesAndAllAreCharged()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 10m, mode = "hard" });
        var reservationId = (await _admin.AuthorizeAsync()).GetProperty("reservationId").GetString();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var client = _app.Client();
            var usage = await client.PostUsageAsync($"race-{i}", 1000, 200, reservationId);
            return usage.GetProperty("events")[0].GetProperty("reservation").GetString();
        }));

        Assert.Single(outcomes, o => o == "settled");
        Assert.Equal(19, outcomes.Count(o => o == "reused"));
        var budget = await FoldedBudgetAsync("search-daily");
        Assert.Equal(20 * 0.0045m, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
    }

    [Fact]
    public async Task ReleaseRacingItsSettlement_OneWins_AndTheCallIsChargedOnce()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 10m, mode = "hard" });
        for (var round = 0; round < 10; round++)
        {
            var reservationId = (await _admin.AuthorizeAsync()).GetProperty("reservationId").GetString();
            var release = _admin.DeleteAsync($"/api/reservations/{reservationId}");
            var usage = _app.Client().PostUsageAsync($"raced-{round}", 1000, 200, reservationId);

            var released = (await (await release).JsonAsync()).GetProperty("status").GetString();
            var outcome = (await usage).GetProperty("events")[0].GetProperty("reservation").GetString();
            Assert.True((released, outcome) is ("released", "released") or ("settled", "settled"), $"release answered {released}, usage {outcome}");
        }

        var budget = await FoldedBudgetAsync("search-daily");
        Assert.Equal(10 * 0.0045m, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
    }

    [Fact]
    public async Task ForeignTeamKey_NamingAnotherTeamsReservation_ChargesItsOwnBudgetAndLeavesTheHold()
    {
        await _admin.PutBudgetAsync("a-daily", new { scope = new { type = "team", value = "team-a" }, period = "daily", limitUsd = 1m, mode = "hard" });
        await _admin.PutBudgetAsync("b-daily", new { scope = new { type = "team", value = "team-b" }, period = "daily", limitUsd = 1m, mode = "hard" });
        var keyA = _app.Client(await _app.IssueKeyAsync("ingest", "team-a"));
        var keyB = _app.Client(await _app.IssueKeyAsync("ingest", "team-b"));
        var reservationId = (await keyA.AuthorizeAsync(team: "team-a")).GetProperty("reservationId").GetString();

        var usage = await keyB.PostUsageAsync("b-call", 1000, 200, reservationId, team: "team-b");

        Assert.Equal("foreign", usage.GetProperty("events")[0].GetProperty("reservation").GetString());
        var a = await FoldedBudgetAsync("a-daily");
        Assert.Equal(0m, a.Money("spentUsd"));
        Assert.Equal(0.0125m, a.Money("reservedUsd"));
        Assert.Equal(0.0045m, (await _admin.GetBudgetAsync("b-daily")).Money("spentUsd"));

        // A's own call still settles its reservation afterwards.
        var own = await keyA.PostUsageAsync("a-call", 1000, 100, reservationId, team: "team-a");
        Assert.Equal("settled", own.GetProperty("events")[0].GetProperty("reservation").GetString());
        Assert.Equal(0.0035m, (await _admin.GetBudgetAsync("a-daily")).Money("spentUsd"));
    }

    [Fact]
    public async Task OtherFeature_NamingAFeaturesReservation_IsChargedToItsOwnFeature()
    {
        await _admin.PutBudgetAsync("shared", new { scope = new { type = "feature", value = "shared" }, period = "daily", limitUsd = 1m, mode = "hard" });
        await _admin.PutBudgetAsync("other", new { scope = new { type = "feature", value = "other" }, period = "daily", limitUsd = 1m, mode = "soft" });
        var reservationId = (await _admin.AuthorizeAsync(feature: "shared")).GetProperty("reservationId").GetString();

        var usage = await _admin.PostUsageAsync("other-call", 1000, 200, reservationId, feature: "other");

        Assert.Equal("foreign", usage.GetProperty("events")[0].GetProperty("reservation").GetString());
        var shared = await FoldedBudgetAsync("shared");
        Assert.Equal(0m, shared.Money("spentUsd"));
        Assert.Equal(0.0125m, shared.Money("reservedUsd"));
        Assert.Equal(0.0045m, (await _admin.GetBudgetAsync("other")).Money("spentUsd"));
    }

    [Fact]
    public async Task DuplicateId_RepostedTodayWithAnotherAttributionAndTenMillionTokens_ChargesNothing()
    {
        await _admin.PutBudgetAsync("org", new { scope = new { type = "org", value = "contoso" }, period = "daily", limitUsd = 100m, mode = "hard" });
        var keyB = _app.Client(await _app.IssueKeyAsync("ingest", "team-b"));
        var first = await keyB.PostUsageAsync("tiny", 10, 10, team: "team-b");
        var spent = (await _admin.GetBudgetAsync("org")).Money("spentUsd");
        _app.Clock.Advance(TimeSpan.FromDays(1));

        // Same team, same id: another feature, user, model and ten million tokens each way.
        var replay = await keyB.PostAsJsonAsync("/api/usage", new
        {
            id = "tiny", team = "team-b", feature = "other", user = "mallory", provider = "azure-openai", model = "o1", inputTokens = 10_000_000, outputTokens = 10_000_000,
        });

        var body = await replay.JsonAsync();
        Assert.Equal("duplicate", body.GetProperty("events")[0].GetProperty("status").GetString());
        Assert.Equal(first.Money("costUsd"), body.GetProperty("events")[0].Money("costUsd"));
        var org = await _admin.GetBudgetAsync("org");
        Assert.Equal(0m, org.Money("spentUsd"));
        Assert.Equal("armed", org.GetProperty("killSwitch").GetString());
        Assert.Equal(0.000125m, spent);
        Assert.True((await _admin.AuthorizeAsync(team: "team-a")).GetProperty("allowed").GetBoolean());
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=team&from=2026-11-24T00:00:00Z")).JsonAsync();
        Assert.Equal(0m, costs.Money("totalCostUsd"));
    }

    [Fact]
    public async Task UsageId_AnotherTeamAlreadyUsed_IsRecordedAsItsOwnAndRevealsNothing()
    {
        await _admin.PutBudgetAsync("org", new { scope = new { type = "org", value = "contoso" }, period = "daily", limitUsd = 100m, mode = "hard" });
        var keyA = _app.Client(await _app.IssueKeyAsync("ingest", "team-a"));
        var keyB = _app.Client(await _app.IssueKeyAsync("ingest", "team-b"));
        await keyA.PostUsageAsync("req-1", 1000, 200, team: "team-a");

        // B's own call with the same id is B's own event: recorded, charged, and nothing about A's shows.
        var b = (await keyB.PostUsageAsync("req-1", 1000, 100, team: "team-b")).GetProperty("events")[0];

        Assert.Equal("recorded", b.GetProperty("status").GetString());
        Assert.Equal(0.0035m, b.Money("costUsd"));
        Assert.Equal(0.0035m, (await (await keyB.GetAsync("/api/usage/req-1")).JsonAsync()).Money("costUsd"));
        Assert.Equal(0.0045m, (await (await keyA.GetAsync("/api/usage/req-1")).JsonAsync()).Money("costUsd"));
        Assert.Equal(0.0080m, (await _admin.GetBudgetAsync("org")).Money("spentUsd"));
        await (await _admin.GetAsync("/api/usage/req-1")).AssertProblemAsync(HttpStatusCode.BadRequest, "usage_team_required");
        Assert.Equal(0.0045m, (await (await _admin.GetAsync("/api/usage/req-1?team=team-a")).JsonAsync()).Money("costUsd"));
        var retry = (await keyB.PostUsageAsync("req-1", 1000, 100, team: "team-b")).GetProperty("events")[0];
        Assert.Equal("duplicate", retry.GetProperty("status").GetString());
        Assert.Equal(0.0080m, (await _admin.GetBudgetAsync("org")).Money("spentUsd"));
    }

    [Fact]
    public async Task DuplicateId_ReplayedAcrossMidnight_IsNotChargedToTheNewDay()
    {
        await _admin.PutBudgetAsync("daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, mode = "hard" });
        _app.Clock.Advance(TimeSpan.FromHours(11) + TimeSpan.FromMinutes(59));
        await _admin.PostUsageAsync("nightly-settle", 100_000, 0);
        Assert.Equal(0.25m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
        _app.Clock.Advance(TimeSpan.FromMinutes(2));

        await _admin.PostUsageAsync("nightly-settle", 100_000, 0);

        var today = await _admin.GetBudgetAsync("daily");
        Assert.Equal("2026-11-24T00:00:00+00:00", today.GetProperty("periodStart").GetString());
        Assert.Equal(0m, today.Money("spentUsd"));
    }

    [Theory]
    [InlineData("daily", "2026-11-22T12:00:00Z")]
    [InlineData("weekly", "2026-11-22T23:59:59Z")]
    [InlineData("monthly", "2026-10-31T23:59:00Z")]
    public async Task BackDatedSpend_IsChargedToTheCurrentPeriodAndMarkedLate(string period, string timestamp)
    {
        await _admin.PutBudgetAsync("ten", new { scope = new { type = "team", value = "search" }, period, limitUsd = 10m, mode = "hard" });

        // $100: 40M input tokens of gpt-4o, dated in the previous day, ISO week or month.
        var response = await _admin.PostAsJsonAsync("/api/usage", new
        {
            id = "back-dated", timestamp, team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 40_000_000, outputTokens = 0,
        });
        Assert.True((await response.JsonAsync()).GetProperty("events")[0].GetProperty("late").GetBoolean());

        var budget = await _admin.GetBudgetAsync("ten");
        Assert.Equal(100m, budget.Money("spentUsd"));
        Assert.Equal("tripped", budget.GetProperty("killSwitch").GetString());
        var denied = await _admin.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 949_750);
        Assert.False(denied.GetProperty("allowed").GetBoolean());

        // Accounting keeps the event's own time.
        var recorded = await (await _admin.GetAsync("/api/usage/back-dated")).JsonAsync();
        Assert.Equal(DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), recorded.GetProperty("timestamp").GetDateTimeOffset());
        Assert.True(recorded.GetProperty("late").GetBoolean());
    }

    [Fact]
    public async Task EventWithinTheGraceWindow_AcrossMidnight_CountsInItsOwnDay()
    {
        await _admin.PutBudgetAsync("daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 10m, mode = "hard" });
        _app.Clock.Advance(TimeSpan.FromHours(12) + TimeSpan.FromMinutes(5));

        var response = await _admin.PostAsJsonAsync("/api/usage", new
        {
            id = "just-before-midnight", timestamp = "2026-11-23T23:59:50Z", team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 400_000, outputTokens = 0,
        });

        var events = (await response.JsonAsync()).GetProperty("events")[0];
        Assert.False(events.TryGetProperty("late", out var late) && late.ValueKind == JsonValueKind.True);
        Assert.Equal(0m, (await _admin.GetBudgetAsync("daily")).Money("spentUsd"));
    }
}

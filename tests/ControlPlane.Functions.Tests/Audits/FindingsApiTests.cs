using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Functions.Audits;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Audits;

/// <summary>
/// Findings through the API: one finding per fingerprint however often an audit sees it, the state machine people
/// drive, dismissed findings quiet until materially worse, applying a proposed action exactly as the admin endpoint
/// would, an ingest key's view limited to its teams, and each opening announced once.
/// </summary>
public sealed class FindingsApiTests : IAsyncLifetime
{
    private readonly FakeEventGridTopic _topic = new();
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _topic.StartAsync();
        _app = new ControlPlaneApp(new()
        {
            ["ControlPlane:Events:TopicEndpoint"] = _topic.Endpoint,
            ["ControlPlane:Events:TopicKey"] = FakeEventGridTopic.DefaultKey,
        });
        _admin = _app.Client();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _topic.DisposeAsync();
    }

    private FindingService Service => _app.Services.GetRequiredService<FindingService>();

    private static FindingCandidate Zombie(string feature, decimal weeklyCost, string team = "search", FindingSeverity severity = FindingSeverity.Medium) => new(
        FindingKinds.ZombieFeature,
        new FindingSubject(SubjectTypes.Feature, feature, team),
        severity,
        new FindingEvidence("active users fell 80% in 4 weeks while cost held", ControlPlaneApp.Start.AddDays(-28), ControlPlaneApp.Start,
            new Dictionary<string, decimal> { ["weeklyCostUsd"] = weeklyCost, ["dailyActiveUsers"] = 3 }),
        $"Retire {feature} or gate it behind a budget.",
        weeklyCost,
        new ProposedAction(ProposedActionTypes.IsolateScope, $"Stop every call of {feature}.",
            JsonSerializer.SerializeToElement(new { scope = new { type = "feature", value = feature } })));

    private async Task<string> OpenAsync(FindingCandidate candidate, string run = "run-1")
    {
        await Service.ObserveAsync(run, [candidate]);
        return Findings.IdFor(candidate.Fingerprint);
    }

    [Fact]
    public async Task SeenByThreeRuns_IsOneFindingWithFirstAndLastSeen_AndOneOpenedEvent()
    {
        var id = await OpenAsync(Zombie("summaries", 120m), "run-1");
        _app.Clock.Advance(TimeSpan.FromDays(1));
        await Service.ObserveAsync("run-2", [Zombie("summaries", 130m)]);
        await Service.ObserveAsync("run-2", [Zombie("summaries", 130m)]); // the activity retried
        _app.Clock.Advance(TimeSpan.FromDays(1));
        await Service.ObserveAsync("run-3", [Zombie("summaries", 140m)]);
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();

        var list = await (await _admin.GetAsync("/api/findings?kind=zombie-feature")).JsonAsync();
        var finding = Assert.Single(list.GetProperty("findings").EnumerateArray());
        Assert.Equal(id, finding.GetProperty("id").GetString());
        Assert.Equal("open", finding.GetProperty("state").GetString());
        Assert.Equal(3, finding.GetProperty("timesSeen").GetInt32());
        Assert.Equal(ControlPlaneApp.Start, finding.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal(ControlPlaneApp.Start.AddDays(2), finding.GetProperty("lastSeen").GetDateTimeOffset());
        Assert.Equal(140m, finding.GetProperty("evidence").GetProperty("observed").GetProperty("weeklyCostUsd").GetDecimal());
        Assert.Equal("feature", finding.GetProperty("subject").GetProperty("type").GetString());
        var opened = Assert.Single(_topic.Received, e => e.GetProperty("type").GetString() == FindingService.OpenedEventType);
        Assert.Equal(id, opened.GetProperty("data").GetProperty("id").GetString());
        Assert.Equal("zombie-feature", opened.GetProperty("data").GetProperty("kind").GetString());
        Assert.Equal($"findings/{id}", opened.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Dismissed_StaysQuietUntilMateriallyWorse_ThenOpensAgainWithANewEvent()
    {
        var id = await OpenAsync(Zombie("summaries", 100m));
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync($"/api/findings/{id}/dismiss", new { note = "kept for the Q1 launch" })).EnsureSuccessStatusCode();

        // Just below the threshold (default: half as bad again): still dismissed, no event.
        await Service.ObserveAsync("run-2", [Zombie("summaries", 149.99m)]);
        Assert.Equal("dismissed", (await GetAsync(id)).GetProperty("state").GetString());

        // At it: open again, with a fresh Opened event.
        _app.Clock.Advance(TimeSpan.FromHours(1));
        await Service.ObserveAsync("run-3", [Zombie("summaries", 150m)]);
        var reopened = await GetAsync(id);
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();

        Assert.Equal("open", reopened.GetProperty("state").GetString());
        Assert.Equal("audit", reopened.GetProperty("lastChange").GetProperty("by").GetString());
        Assert.Equal(2, _topic.Received.Count(e => e.GetProperty("type").GetString() == FindingService.OpenedEventType));
    }

    [Fact]
    public async Task Dismissed_HigherSeverity_OpensAgainEvenAtTheSameMagnitude()
    {
        var id = await OpenAsync(Zombie("summaries", 100m, severity: FindingSeverity.Low));
        (await _admin.PostJsonAsync($"/api/findings/{id}/dismiss", "")).EnsureSuccessStatusCode();

        await Service.ObserveAsync("run-2", [Zombie("summaries", 100m, severity: FindingSeverity.High)]);

        Assert.Equal("open", (await GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Resolved_SeenAgain_OpensAgain()
    {
        var id = await OpenAsync(Zombie("summaries", 100m));
        var resolved = await (await _admin.PostJsonAsync($"/api/findings/{id}/resolve", """{"note":"feature retired"}""")).JsonAsync();
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
        Assert.Equal("feature retired", resolved.GetProperty("lastChange").GetProperty("note").GetString());

        await Service.ObserveAsync("run-2", [Zombie("summaries", 10m)]);

        Assert.Equal("open", (await GetAsync(id)).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("resolve", "acknowledge")]
    [InlineData("resolve", "dismiss")]
    [InlineData("dismiss", "acknowledge")]
    public async Task Transition_NotAllowed_Is409AndChangesNothing(string first, string then)
    {
        var id = await OpenAsync(Zombie("summaries", 100m));
        (await _admin.PostJsonAsync($"/api/findings/{id}/{first}", "")).EnsureSuccessStatusCode();
        var before = await GetAsync(id);

        await (await _admin.PostJsonAsync($"/api/findings/{id}/{then}", "")).AssertProblemAsync(HttpStatusCode.Conflict, "finding_transition_invalid");

        Assert.Equal(before.GetProperty("state").GetString(), (await GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Acknowledge_Twice_IsTheSameAnswer()
    {
        var id = await OpenAsync(Zombie("summaries", 100m));

        var first = await (await _admin.PostJsonAsync($"/api/findings/{id}/acknowledge", "")).JsonAsync();
        var second = await (await _admin.PostJsonAsync($"/api/findings/{id}/acknowledge", "")).JsonAsync();

        Assert.Equal("acknowledged", second.GetProperty("state").GetString());
        Assert.Equal(first.GetProperty("lastChange").GetRawText(), second.GetProperty("lastChange").GetRawText());
    }

    [Fact]
    public async Task ApplyIsolateScope_StopsTheFeaturesCallsAsTheKillSwitchEndpointWould_AndIsRecordedAndAudited()
    {
        var id = await OpenAsync(Zombie("summaries", 100m));

        var applied = await (await _admin.PostJsonAsync($"/api/findings/{id}/apply", "")).JsonAsync();

        Assert.Equal("acknowledged", applied.GetProperty("state").GetString());
        Assert.Equal("isolate-scope", applied.GetProperty("applied").GetProperty("type").GetString());
        Assert.Equal(ControlPlaneApp.Start, applied.GetProperty("applied").GetProperty("at").GetDateTimeOffset());
        Assert.Equal("admin", applied.GetProperty("applied").GetProperty("by").GetProperty("role").GetString());
        Assert.Equal("isolated", applied.GetProperty("applied").GetProperty("result").GetProperty("state").GetString());
        var check = await (await _admin.GetAsync("/api/killswitches/check?team=search&feature=summaries&model=gpt-4o-mini")).JsonAsync();
        Assert.True(check.GetProperty("blocked").GetBoolean());
        var other = await (await _admin.GetAsync("/api/killswitches/check?team=search&feature=answers&model=gpt-4o-mini")).JsonAsync();
        Assert.False(other.GetProperty("blocked").GetBoolean());
        var log = await (await _admin.GetAsync("/api/audit-log?kind=finding.")).JsonAsync();
        var entry = Assert.Single(log.GetProperty("entries").EnumerateArray());
        Assert.Equal("finding.apply", entry.GetProperty("kind").GetString());
        Assert.Equal(id, entry.GetProperty("target").GetString());
        Assert.Equal("isolate-scope", entry.GetProperty("after").GetProperty("applied").GetProperty("type").GetString());

        // Once per finding.
        await (await _admin.PostJsonAsync($"/api/findings/{id}/apply", "")).AssertProblemAsync(HttpStatusCode.Conflict, "finding_already_applied");
    }

    [Fact]
    public async Task ApplyCreateBudget_StoresTheSameBudgetThePutWould_AndRefusesToOverwriteAnAdminsBudget()
    {
        var body = new { scope = new { type = "feature", value = "summaries" }, period = "monthly", limitUsd = 200m, mode = "soft" };
        var candidate = Zombie("summaries", 100m) with
        {
            ProposedAction = new ProposedAction(ProposedActionTypes.CreateBudget, "Cap summaries at $200 a month.",
                JsonSerializer.SerializeToElement(new { budgetId = "zombie-summaries", budget = body })),
        };
        var id = await OpenAsync(candidate);
        await OpenAsync(candidate with { Subject = candidate.Subject with { Name = "digest" } });
        var digestId = Findings.IdFor((candidate with { Subject = candidate.Subject with { Name = "digest" } }).Fingerprint);

        (await _admin.PostJsonAsync($"/api/findings/{id}/apply", "")).EnsureSuccessStatusCode();
        var viaFinding = await (await _admin.GetAsync("/api/budgets/zombie-summaries")).JsonAsync();
        (await _admin.PutAsJsonAsync("/api/budgets/by-hand", body)).EnsureSuccessStatusCode();
        var viaPut = await (await _admin.GetAsync("/api/budgets/by-hand")).JsonAsync();

        foreach (var field in new[] { "scope", "period", "limitUsd", "mode", "thresholds", "failClosed", "denyUnpriced" })
        {
            Assert.Equal(viaPut.GetProperty(field).GetRawText(), viaFinding.GetProperty(field).GetRawText());
        }

        // The digest finding proposes the same budget id: the admin's budget stays, the finding stays unapplied.
        (await _admin.PutAsJsonAsync("/api/budgets/zombie-summaries", body with { limitUsd = 500m })).EnsureSuccessStatusCode();
        await (await _admin.PostJsonAsync($"/api/findings/{digestId}/apply", "")).AssertProblemAsync(HttpStatusCode.Conflict, "finding_action_failed");
        Assert.Equal(500m, (await (await _admin.GetAsync("/api/budgets/zombie-summaries")).JsonAsync()).GetProperty("limitUsd").GetDecimal());
        Assert.False((await GetAsync(digestId)).TryGetProperty("applied", out _));
    }

    [Fact]
    public async Task Apply_WithoutProposedAction_Is409()
    {
        var id = await OpenAsync(Zombie("summaries", 100m) with { ProposedAction = null });

        await (await _admin.PostJsonAsync($"/api/findings/{id}/apply", "")).AssertProblemAsync(HttpStatusCode.Conflict, "finding_no_proposed_action");
    }

    [Fact]
    public async Task IngestKey_SeesOnlyItsTeamsFindings_AndAnotherTeamsIsNotFound()
    {
        var mine = await OpenAsync(Zombie("summaries", 100m, team: "search"));
        var theirs = await OpenAsync(Zombie("digest", 100m, team: "billing"));
        await OpenAsync(Zombie("orphan", 100m) with { Subject = new FindingSubject(SubjectTypes.Resource, "/subscriptions/s/x") });
        var ingest = _app.Client(await _app.IssueKeyAsync("ingest", "search"));

        var list = await (await ingest.GetAsync("/api/findings")).JsonAsync();

        Assert.Equal([mine], list.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await ingest.GetAsync($"/api/findings/{mine}")).StatusCode);
        await (await ingest.GetAsync($"/api/findings/{theirs}")).AssertProblemAsync(HttpStatusCode.NotFound, "finding_not_found");
        await (await ingest.GetAsync("/api/findings?team=billing")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        await (await ingest.PostJsonAsync($"/api/findings/{mine}/acknowledge", "")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        var finance = _app.Client(await _app.IssueKeyAsync("finance"));
        Assert.Equal(3, (await (await finance.GetAsync("/api/findings")).JsonAsync()).GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public async Task List_FiltersByKindStateAndTeam_AndPages()
    {
        for (var i = 0; i < 5; i++)
        {
            await OpenAsync(Zombie($"f{i}", 100m, team: i % 2 == 0 ? "search" : "billing"));
        }

        var first = await OpenAsync(Zombie("f0", 100m, team: "search"));
        (await _admin.PostJsonAsync($"/api/findings/{first}/acknowledge", "")).EnsureSuccessStatusCode();

        Assert.Equal(3, (await (await _admin.GetAsync("/api/findings?team=search")).JsonAsync()).GetProperty("findings").GetArrayLength());
        Assert.Equal(4, (await (await _admin.GetAsync("/api/findings?state=open")).JsonAsync()).GetProperty("findings").GetArrayLength());
        Assert.Equal(0, (await (await _admin.GetAsync("/api/findings?kind=agent-loop")).JsonAsync()).GetProperty("findings").GetArrayLength());
        var ids = new List<string>();
        string? next = null;
        do
        {
            var page = await (await _admin.GetAsync("/api/findings?limit=2" + (next is null ? "" : $"&next={Uri.EscapeDataString(next)}"))).JsonAsync();
            ids.AddRange(page.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
            next = page.TryGetProperty("next", out var n) ? n.GetString() : null;
        }
        while (next is not null);

        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(5, ids.Count);
    }

    [Theory]
    [InlineData("/api/findings?kind=zombie", "finding_kind_invalid")]
    [InlineData("/api/findings?state=closed", "finding_state_invalid")]
    [InlineData("/api/findings?state=1", "finding_state_invalid")]
    public async Task List_BadFilter_Is400(string path, string code) =>
        await (await _admin.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest, code);

    [Theory]
    [InlineData("fnd_0123456789abcdef01234567")]
    [InlineData("fnd_%27%20or%20%271%27%3D%271")]
    [InlineData("..%2F..%2Fx")]
    public async Task UnknownOrOddIds_Are404(string id)
    {
        await (await _admin.GetAsync($"/api/findings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, "finding_not_found");
        await (await _admin.PostJsonAsync($"/api/findings/{id}/resolve", "")).AssertProblemAsync(HttpStatusCode.NotFound, "finding_not_found");
        await (await _admin.PostJsonAsync($"/api/findings/{id}/apply", "")).AssertProblemAsync(HttpStatusCode.NotFound, "finding_not_found");
    }

    [Theory]
    [InlineData("""{"note":"x","extra":1}""", "request_json_invalid")]
    [InlineData("""{"note":""" + "\"" + "long" + "\"}", null)]
    [InlineData("[1,2]", "request_json_invalid")]
    public async Task Note_BadBody_Is400AndChangesNothing(string body, string? code)
    {
        var id = await OpenAsync(Zombie("summaries", 100m));
        if (code is null)
        {
            body = JsonSerializer.Serialize(new { note = new string('n', FindingNoteBody.MaxNoteLength + 1) });
            code = "finding_note_invalid";
        }

        await (await _admin.PostJsonAsync($"/api/findings/{id}/dismiss", body)).AssertProblemAsync(HttpStatusCode.BadRequest, code);

        Assert.Equal("open", (await GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task EventGridDown_FindingsAreStillRecorded_AndTheEventGoesOutOnceWhenItIsBack()
    {
        _topic.FailNext(100);
        await OpenAsync(Zombie("summaries", 100m));
        var down = await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}");
        Assert.False(down.IsSuccessStatusCode);
        Assert.Equal("open", (await (await _admin.GetAsync("/api/findings")).JsonAsync()).GetProperty("findings")[0].GetProperty("state").GetString());

        _topic.FailNext(0);
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();
        (await _admin.PostJsonAsync("/admin/functions/PublishFindingEvents", "{}")).EnsureSuccessStatusCode();

        Assert.Single(_topic.Received, e => e.GetProperty("type").GetString() == FindingService.OpenedEventType);
    }

    private async Task<JsonElement> GetAsync(string id) => await (await _admin.GetAsync($"/api/findings/{id}")).JsonAsync();
}

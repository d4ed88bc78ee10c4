using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Audits;

/// <summary>
/// The usage audits through the API: usage posted as apps post it, the orchestrations started as an admin starts
/// them, the findings read back as people read them.
/// </summary>
public sealed class UsageAuditsEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Event(string id, DateTimeOffset at, string team, string feature, string user, string extra = "") =>
        $$"""{"id":"{{id}}","timestamp":"{{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}","team":"{{team}}","feature":"{{feature}}","user":"{{user}}","model":"gpt-4o","provider":"azure-openai","inputTokens":100000,"outputTokens":10000{{extra}}}""";

    private async Task PostAsync(IEnumerable<string> events)
    {
        foreach (var chunk in events.Chunk(500))
        {
            var response = await _admin.PostJsonAsync("/api/usage", $$"""{"events":[{{string.Join(',', chunk)}}]}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>Four weeks of "summarize": ten calls a day at the same cost, from ten users a day for three weeks, then from two.</summary>
    private static IEnumerable<string> ZombieHistory()
    {
        var today = new DateTimeOffset(ControlPlaneApp.Start.UtcDateTime.Date, TimeSpan.Zero);
        for (var d = 28; d >= 1; d--)
        {
            var users = d > 7 ? 10 : 2;
            for (var call = 0; call < 10; call++)
            {
                yield return Event($"sum-{d}-{call}", today.AddDays(-d).AddHours(9).AddMinutes(call), "docs", "summarize",
                    "user-" + (call % users).ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>A runaway agent in the last whole hour: the same tool call 47 times in one session.</summary>
    private static IEnumerable<string> RunawayAgent() => Enumerable.Range(0, 47).Select(i =>
        Event($"agent-{i}", ControlPlaneApp.Start.AddMinutes(-55).AddSeconds(i * 30), "support", "agent", "bot-7",
            ""","session":"run-47","requestHash":"sha256:validate-output-0001" """));

    private async Task<JsonElement> RunAsync(string kind, string instanceId)
    {
        var started = await _admin.PostJsonAsync($"/api/orchestrations/{kind}/start", $$"""{"instanceId":"{{instanceId}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = await (await _admin.GetAsync($"/api/orchestrations/{instanceId}")).JsonAsync();
            if (run.GetProperty("status").GetString() is "completed" or "failed" or "terminated")
            {
                return run;
            }

            Assert.True(waited.Elapsed < RunTimeout, $"{instanceId} did not finish: {run}");
            await Task.Delay(100);
        }
    }

    private async Task<JsonElement[]> FindingsAsync(string kind) =>
        [.. (await (await _admin.GetAsync($"/api/findings?kind={kind}")).JsonAsync()).GetProperty("findings").EnumerateArray()];

    [Fact]
    public async Task Audits_RunawayAgentAndZombieFeature_AreFoundOnceEach()
    {
        var features = await _admin.PutAsync("/api/features/agent",
            new StringContent("""{"team":"support","callsPerSession":5}""", Encoding.UTF8, "application/json"));
        Assert.True(features.IsSuccessStatusCode);
        await PostAsync(ZombieHistory().Concat(RunawayAgent()));

        var scan = await RunAsync("anomaly-scan", "scan-1");
        var audit = await RunAsync("zombie-feature-audit", "zombie-1");
        var again = await RunAsync("anomaly-scan", "scan-2");

        Assert.All(new[] { scan, audit, again }, run => Assert.True(run.GetProperty("status").GetString() == "completed", run.ToString()));
        var loop = Assert.Single(await FindingsAsync("agent-loop"));
        Assert.Equal(("session", "run-47", "support"),
            (loop.GetProperty("subject").GetProperty("type").GetString(), loop.GetProperty("subject").GetProperty("name").GetString(), loop.GetProperty("subject").GetProperty("team").GetString()));
        Assert.Equal("open", loop.GetProperty("state").GetString());
        Assert.Equal(47m, loop.GetProperty("evidence").GetProperty("observed").GetProperty("repeats").GetDecimal());
        Assert.Equal("isolate-scope", loop.GetProperty("proposedAction").GetProperty("type").GetString());
        Assert.Equal("bot-7", loop.GetProperty("proposedAction").GetProperty("parameters").GetProperty("scope").GetProperty("value").GetString());
        var perSession = Assert.Single(await FindingsAsync("calls-per-session"));
        Assert.Equal("run-47", perSession.GetProperty("subject").GetProperty("name").GetString());

        var zombie = Assert.Single(await FindingsAsync("zombie-feature"));
        Assert.Equal(("feature", "summarize", "docs"),
            (zombie.GetProperty("subject").GetProperty("type").GetString(), zombie.GetProperty("subject").GetProperty("name").GetString(), zombie.GetProperty("subject").GetProperty("team").GetString()));
        var series = zombie.GetProperty("evidence").GetProperty("series").EnumerateArray().Select(p => p.GetProperty("values").GetProperty("users").GetDecimal());
        Assert.Equal([10m, 10m, 10m, 2m], series);
        Assert.Equal("create-budget", zombie.GetProperty("proposedAction").GetProperty("type").GetString());
    }

    [Fact]
    public async Task AnomalyScanTimer_NoUsage_StartsOneRunNamedForTheHourAndItIsListed()
    {
        var first = await _app.RunTimerAsync("StartAnomalyScan");
        var second = await _app.RunTimerAsync("StartAnomalyScan");
        var runId = first.GetProperty("runId").GetString()!;

        Assert.Equal("anomaly-scan-20261123T1200", runId);
        Assert.Equal((true, false), (first.GetProperty("started").GetBoolean(), second.GetProperty("started").GetBoolean()));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        JsonElement run;
        do
        {
            Assert.True(waited.Elapsed < RunTimeout, "The scan did not finish.");
            await Task.Delay(100);
            run = await (await _admin.GetAsync($"/api/orchestrations/{runId}")).JsonAsync();
        }
        while (run.GetProperty("status").GetString() is not ("completed" or "failed" or "terminated"));

        Assert.Equal("completed", run.GetProperty("status").GetString());
        var listed = await (await _admin.GetAsync("/api/orchestrations?kind=anomaly-scan")).JsonAsync();
        Assert.Equal([runId], listed.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task ZombieAuditSettings_Invalid_StopTheAppNamingTheSetting()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Audits:Zombie:Schedule"] = "every night", ["ControlPlane:Audits:Anomalies:MinBaselineWeeks"] = "6" });

        var error = Assert.ThrowsAny<Exception>(() => app.Client());

        Assert.Contains("ControlPlane:Audits:Zombie:Schedule", error.ToString());
    }
}

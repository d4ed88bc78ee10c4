using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Functions.Hosting;
using ControlPlane.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Hosting;

/// <summary>
/// Storage that stops answering (Azurite frozen with SIGSTOP: connections open, nothing comes back, the way a network
/// partition looks). Authorize must still decide within its deadline — each hard budget failing closed or open as it
/// is set — ingest must answer 503 rather than hold the caller, health must say so, and when storage comes back a retry
/// with the same ids records every event once and the budgets match the ledger.
/// <para>
/// The time bounds below are generous multiples of the deadlines: they tell an answer from a hang (which lasts the
/// SDK's 30 s network timeout times its retries), not fast from slow.
/// </para>
/// </summary>
public sealed class StorageFreezeTests : IDisposable
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan IngestDeadline = TimeSpan.FromSeconds(3);
    private readonly AzuriteProcess _storage = Azurite.StartProcess();
    private readonly RecordedLogs _logs = new();

    public void Dispose() => _storage.Dispose();

    private static readonly TimeSpan AuthorizeDeadline = new DeadlineOptions().Authorize;

    private ControlPlaneApp StartApp() => new(new()
    {
        ["ControlPlane:Storage:ConnectionString"] = _storage.ConnectionString,
        ["ControlPlane:Deadlines:Authorize"] = AuthorizeDeadline.ToString(),
        ["ControlPlane:Deadlines:Ingest"] = IngestDeadline.ToString(),
    }, services: s => s.AddSingleton<ILoggerProvider>(_logs));

    [Fact]
    public async Task StorageFrozen_AuthorizeDecidesWithinItsDeadline_FailClosedDeniesAndFailOpenAllows()
    {
        await using var app = StartApp();
        var admin = app.Client();
        await admin.PutBudgetAsync("closed", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        await admin.PutBudgetAsync("open", new { scope = new { type = "team", value = "labs" }, period = "monthly", limitUsd = 10m, mode = "hard", failClosed = false });
        var app1 = app.Client(await app.IssueKeyAsync("ingest", "search", "labs"));
        await AllowedEventuallyAsync(app1, "search");
        await AllowedEventuallyAsync(app1, "labs");

        _storage.Freeze();
        try
        {
            var closed = await TimedAsync(() => app1.PostAsJsonAsync("/api/authorize", Call("search")));
            var open = await TimedAsync(() => app1.PostAsJsonAsync("/api/authorize", Call("labs")));

            var denied = await closed.Response.JsonAsync();
            Assert.Equal(HttpStatusCode.OK, closed.Response.StatusCode);
            Assert.False(denied.GetProperty("allowed").GetBoolean());
            Assert.Equal("storage_unavailable", denied.GetProperty("reason").GetString());
            Assert.Equal("closed", denied.GetProperty("budgetId").GetString());
            var allowed = await open.Response.JsonAsync();
            Assert.True(allowed.GetProperty("allowed").GetBoolean());
            Assert.False(allowed.TryGetProperty("reservationId", out _), "Nothing could be reserved, so no reservation id: " + allowed);
            Assert.InRange(closed.Elapsed, TimeSpan.Zero, AuthorizeDeadline + Slack);
            Assert.InRange(open.Elapsed, TimeSpan.Zero, AuthorizeDeadline + Slack);
        }
        finally
        {
            _storage.Thaw();
        }

        // Back: authorize reserves again.
        var again = await AllowedEventuallyAsync(app1, "search");
        Assert.True(again.TryGetProperty("reservationId", out _));
    }

    [Fact]
    public async Task StorageFrozen_UnknownKey_IsA503WithinTheAuthorizeDeadlineNotAHang()
    {
        await using var app = StartApp();
        var admin = app.Client();
        await admin.PutBudgetAsync("closed", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        var fresh = app.Client(await app.IssueKeyAsync("ingest", "search")); // never used: its lookup must reach storage

        _storage.Freeze();
        try
        {
            var answer = await TimedAsync(() => fresh.PostAsJsonAsync("/api/authorize", Call("search")));

            await answer.Response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
            Assert.InRange(answer.Elapsed, TimeSpan.Zero, AuthorizeDeadline + Slack);
        }
        finally
        {
            _storage.Thaw();
        }
    }

    [Fact]
    public async Task StorageFrozenMidTraffic_IngestAnswers503InTime_ThenRetriesWithTheSameIdsRecordEachEventOnce()
    {
        await using var app = StartApp();
        var admin = app.Client();
        await admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 100m, mode = "hard" });
        var ingest = app.Client(await app.IssueKeyAsync("ingest", "search"));
        await RecordedEventuallyAsync(ingest, "warm-up"); // a cold first write on a loaded machine may pass the 3 s deadline itself
        var ids = Enumerable.Range(0, 12).Select(i => $"frozen-{i}").ToArray();

        _storage.Freeze();
        List<(HttpResponseMessage Response, TimeSpan Elapsed)> during;
        JsonElement healthWhileFrozen;
        try
        {
            during = [.. await Task.WhenAll(ids.Select(id => TimedAsync(() => ingest.PostAsJsonAsync("/api/usage", Event(id)))))];
            var health = await app.Client(apiKey: null).GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            healthWhileFrozen = await health.JsonAsync();
        }
        finally
        {
            _storage.Thaw();
        }

        foreach (var (response, elapsed) in during)
        {
            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
            Assert.InRange(elapsed, TimeSpan.Zero, IngestDeadline + Slack);
        }

        // Each 503 is logged as one warning line naming its code and why, without a stack trace: under overload every
        // request meets its deadline, and a stack trace each would bury whatever else the log says.
        var answered503 = _logs.Entries.Where(e => e.Message.StartsWith("Request POST /api/usage answered 503 storage_unavailable: ", StringComparison.Ordinal)).ToList();
        Assert.InRange(answered503.Count, ids.Length, int.MaxValue);
        Assert.All(answered503, e => Assert.Equal((LogLevel.Warning, null), (e.Level, e.Exception)));
        Assert.DoesNotContain(_logs.Entries, e => e.Message.StartsWith("Request ", StringComparison.Ordinal) && e.Level >= LogLevel.Error);

        Assert.Equal("unhealthy", healthWhileFrozen.GetProperty("status").GetString());
        Assert.True(healthWhileFrozen.GetProperty("recentFailures").GetProperty("deadlinesMissed").GetInt32() >= ids.Length);

        // Storage answers again, but it just failed calls: degraded, not healthy, for the health window.
        var after = await (await app.Client(apiKey: null).GetAsync("/api/health")).JsonAsync();
        Assert.Equal(("degraded", "recovering"), (after.GetProperty("status").GetString(), after.GetProperty("storage").GetString()));

        // What the frozen storage had already taken in may land now; a retry with the same ids finishes the rest (and
        // is retried itself, as an app would, while the thawed storage catches up). Sent twice: nothing twice.
        foreach (var id in ids.Concat(ids))
        {
            await RecordedEventuallyAsync(ingest, id);
        }

        // gpt-4o: 1,000 in at $2.50/M + 100 out at $10/M = $0.0035 a call; the warm-up and twelve calls, each once.
        var budget = await admin.GetBudgetAsync("search-monthly");
        Assert.Equal(13 * 0.0035m, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
        foreach (var id in ids)
        {
            var recorded = await (await ingest.GetAsync($"/api/usage/{id}")).JsonAsync();
            Assert.Equal(0.0035m, recorded.Money("costUsd"));
        }
    }

    /// <summary>
    /// Authorizes until allowed: on a loaded machine the first call (loading budgets and leases) or the first after a
    /// thaw (storage working through its backlog) may itself miss the 2 s deadline and fail closed, as designed.
    /// </summary>
    private static async Task<JsonElement> AllowedEventuallyAsync(HttpClient app, string team)
    {
        JsonElement answer = default;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            answer = await app.AuthorizeAsync(team);
            if (answer.GetProperty("allowed").GetBoolean())
            {
                return answer;
            }

            Assert.Equal("storage_unavailable", answer.GetProperty("reason").GetString());
            await Task.Delay(500);
        }

        Assert.Fail($"Authorize for {team} never allowed: {answer}");
        return answer;
    }

    /// <summary>Posts the event until it is acknowledged, as an app retries a 503 with the same id; any other answer fails.</summary>
    private static async Task RecordedEventuallyAsync(HttpClient ingest, string id)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var response = await ingest.PostAsJsonAsync("/api/usage", Event(id));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
            await Task.Delay(500);
        }

        Assert.Fail($"Usage event {id} was never acknowledged.");
    }

    private static object Call(string team) => new { team, feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, maxOutputTokens = 1000 };

    private static object Event(string id) => new { id, team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 100 };

    private static async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> TimedAsync(Func<Task<HttpResponseMessage>> call)
    {
        var watch = Stopwatch.StartNew();
        var response = await call();
        return (response, watch.Elapsed);
    }
}

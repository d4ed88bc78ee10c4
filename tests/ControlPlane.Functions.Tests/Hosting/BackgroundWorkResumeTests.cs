using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Standalone.Functions;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;
using Cronos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Hosting;

/// <summary>
/// The background work the standalone host runs on its own — the reservation expiry sweep, the Event Grid outbox
/// publisher, the rollup fold — while storage stops answering (Azurite frozen with SIGSTOP) across their ticks: each
/// failed tick is logged as a failure and the host keeps running; ticks wait for their next occurrence instead of
/// piling up or retrying in a loop; once storage answers again they carry on by themselves, with no restart and no
/// manual run, and no money is lost or doubled.
/// <para>
/// The timers fire on their own schedules from the app's fake clock, which the test moves; the storage calls wait
/// on real time, so the test waits for what it expects with bounded polling, never for a fixed time.
/// </para>
/// </summary>
public sealed class BackgroundWorkResumeTests : IDisposable
{
    private const string Sweep = "ReservationExpirySweep";
    private const string Publish = "PublishBudgetEvents";
    private const string Fold = "FoldUsageRollups";

    /// <summary>Generous: a frozen tick fails after six tries of <see cref="NetworkTimeout"/> and their backoff (~36 s).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Short enough that a frozen tick fails within the test, long enough that a loaded machine's slow answer is not
    /// abandoned and retried (a retried write that had landed would be refused as a conflict).
    /// </summary>
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(5);
    private readonly AzuriteProcess _storage = Azurite.StartProcess();

    public void Dispose() => _storage.Dispose();

    [Fact]
    public async Task StorageFrozenAcrossTimerTicks_TheTicksFailAndAreLogged_ThenTheTimersResumeByThemselvesWithoutLosingOrDoublingMoney()
    {
        await using var topic = new FakeEventGridTopic();
        await topic.StartAsync();
        var logs = new RecordedLogs();
        await using var app = new ControlPlaneApp(new()
        {
            ["ControlPlane:Storage:ConnectionString"] = _storage.ConnectionString,
            ["ControlPlane:Storage:NetworkTimeout"] = NetworkTimeout.ToString(),
            ["ControlPlane:Triggers:Enabled"] = "true",
            ["ControlPlane:Budgets:ReservationTtl"] = "00:00:05",
            ["ControlPlane:Events:TopicEndpoint"] = topic.Endpoint,
            ["ControlPlane:Events:TopicKey"] = FakeEventGridTopic.DefaultKey,
            ["Logging:LogLevel:ControlPlane"] = "Information",
        }, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var admin = app.Client();
        await admin.PutBudgetAsync("search-hard", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        await admin.PutBudgetAsync("search-alerts", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 0.005m, mode = "soft" });
        var ingest = app.Client(await app.IssueKeyAsync("ingest", "search"));

        // The timers run on their schedules as they do every day, before anything goes wrong: one step of the clock
        // past an occurrence of each, and each runs once and is done (it logs what it did as it ends), so none is
        // still running when the money below is held and the events below are written.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await UntilAsync(() => Runs(logs, Sweep) == 1 && Runs(logs, Publish) == 1 && Runs(logs, Fold) == 1, "the timers' first runs");

        // A caller reserves and crashes before it reports: the money stays held until the sweep returns it.
        var reservation = await ingest.AuthorizeAsync("search");
        Assert.True(reservation.GetProperty("allowed").GetBoolean(), reservation.ToString());
        // Two calls reported without a reservation: $0.007 spent, past every threshold of the $0.005 alert budget, so
        // its events wait in the outbox for the publisher.
        await ingest.PostUsageAsync("call-1", 1000, 100);
        await ingest.PostUsageAsync("call-2", 1000, 100);
        var outbox = await OutboxAsync(admin);
        Assert.NotEmpty(outbox);
        Assert.All(outbox, e => Assert.False(e.Published));
        Assert.Equal(0.007m, (await admin.GetBudgetAsync("search-hard")).Money("spentUsd"));
        Assert.True((await admin.GetBudgetAsync("search-hard")).Money("reservedUsd") > 0m);

        var frozenAt = app.Clock.GetUtcNow();
        _storage.Freeze();
        try
        {
            // The clock passes the publisher's, the fold's and the sweep's occurrences, and the reservation's expiry.
            // Each tick waits on storage that does not answer until the SDK gives up, then fails.
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await UntilAsync(() => Failures(logs, Sweep) >= 1 && Failures(logs, Publish) >= 1 && Failures(logs, Fold) >= 1, "the frozen ticks to fail");
        }
        finally
        {
            _storage.Thaw();
        }

        var thawedAt = app.Clock.GetUtcNow();
        var runsBefore = new[] { Sweep, Publish, Fold }.ToDictionary(f => f, f => Runs(logs, f));
        Assert.Empty(topic.Received);

        // Storage answers again, and health says that calls just failed: degraded, the background work's counted.
        var recovering = await (await app.Client(apiKey: null).GetAsync("/api/health")).JsonAsync();
        Assert.Equal("degraded", recovering.GetProperty("status").GetString());
        Assert.True(recovering.GetProperty("recentFailures").GetProperty("outages").GetInt32() >= 1, recovering.ToString());

        // Back: nobody runs anything by hand. The clock moves on and the timers' next occurrences do the work.
        JsonElement budget = default;
        JsonElement health = default;
        await UntilAsync(async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(100);
            budget = await admin.GetBudgetAsync("search-hard");
            health = await (await app.Client(apiKey: null).GetAsync("/api/health")).JsonAsync();
            return budget.Money("reservedUsd") == 0m
                && topic.Received.Count >= outbox.Count
                && health.GetProperty("status").GetString() == "healthy";
        }, "the timers to return the reservation, publish the outbox and health to recover");

        // No money lost or doubled: the two calls once, the crashed caller's hold all returned, the cost query agreeing.
        Assert.Equal(0.007m, budget.Money("spentUsd"));
        Assert.Equal(10m - 0.007m, budget.Money("remainingUsd"));
        Assert.Equal(0.007m, (await (await admin.GetAsync("/api/costs")).JsonAsync()).Money("totalCostUsd"));

        // Each outbox event reached the topic exactly once, and the outbox knows it.
        Assert.Equal(outbox.Select(e => e.Id).Order(), topic.Received.Select(e => e.GetProperty("id").GetString()).Order());
        Assert.All(await OutboxAsync(admin), e => Assert.True(e.Published, $"{e.Id} is not marked published"));

        // The failed ticks were logged as failures, one line each (storage unavailable, no stack trace), and no
        // timer failed for any other reason.
        var timerErrors = logs.Entries.Where(e => e.Category == typeof(TimerFunctions).FullName && e.Level >= LogLevel.Error).ToList();
        Assert.All(timerErrors, e => Assert.Contains("storage unavailable", e.Message, StringComparison.Ordinal));
        Assert.All(timerErrors, e => Assert.Null(e.Exception));

        // Backed off, not piled up: a timer failed at most once per occurrence that passed while storage was frozen
        // (no retry loop of its own), and ran at most once per occurrence after (missed ones are not made up).
        var now = app.Clock.GetUtcNow();
        foreach (var (function, schedule) in new[] { (Sweep, "0 * * * * *"), (Publish, "*/30 * * * * *"), (Fold, "40 * * * * *") })
        {
            var cron = CronExpression.Parse(schedule, CronFormat.IncludeSeconds);
            Assert.InRange(Failures(logs, function), 1, Occurrences(cron, frozenAt, thawedAt));
            Assert.InRange(Runs(logs, function) - runsBefore[function], 1, Occurrences(cron, thawedAt, now));
        }
    }

    private sealed record OutboxEvent(string Id, bool Published);

    private static async Task<List<OutboxEvent>> OutboxAsync(HttpClient admin) =>
        [.. (await (await admin.GetAsync("/api/events")).JsonAsync()).GetProperty("events").EnumerateArray()
            .Select(e => new OutboxEvent(e.GetProperty("id").GetString()!, e.TryGetProperty("publishedAt", out _)))];

    private static int Occurrences(CronExpression schedule, DateTimeOffset from, DateTimeOffset to) =>
        schedule.GetOccurrences(from, to, TimeZoneInfo.Utc, fromInclusive: false, toInclusive: true).Count();

    /// <summary>Runs that finished: each timer function logs what it did.</summary>
    private static int Runs(RecordedLogs logs, string function) => logs.Entries.Count(e =>
        e.Level == LogLevel.Information && e.Message.StartsWith(function + ":", StringComparison.Ordinal));

    private static int Failures(RecordedLogs logs, string function) => logs.Entries.Count(e =>
        e.Category == typeof(TimerFunctions).FullName && e.Level == LogLevel.Error && e.Message.Contains(function, StringComparison.Ordinal));

    private static Task UntilAsync(Func<bool> done, string what) => UntilAsync(async () =>
    {
        await Task.Delay(100);
        return done();
    }, what);

    /// <summary>Polls until <paramref name="done"/>; the bound tells a wait from a hang, it is not a timing claim.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(watch.Elapsed < Patience, $"Gave up after {Patience} waiting for {what}.");
        }
    }
}

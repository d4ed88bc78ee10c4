using System.Globalization;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

/// <summary>Session usage and units, written with the events: what the session and unit-economics rules read.</summary>
public sealed class TableUsageStoreSessionTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly TableUsageStore _store;

    public TableUsageStoreSessionTests() => _store = new TableUsageStore(_storage.Tables);

    private static PricedUsageEvent Call(string id, string? session, string? hash = null, DateTimeOffset? at = null, decimal? units = null) =>
        new(new UsageEvent
        {
            Id = id, Timestamp = at ?? Noon.AddMinutes(5), Team = "support", Feature = "triage", User = "ana", Model = "gpt-4o",
            Session = session, RequestHash = hash, Units = units, Tokens = new UsageTokens(1000, 0, 0, 100, 0),
        }, new UsageCost(0.01m, 0.01m, 0, 0, 0, 0, false, false, null, null));

    [Fact]
    public async Task GetSessionUsage_CallsPostedOneByOneAndInBatches_AddsUpPerSession()
    {
        // Ids spread over the hash buckets, so the session's rows sit in many partitions and writes.
        for (var i = 0; i < 12; i++)
        {
            await _store.RecordAsync([Call($"single-{i}", "run-1", "sha256:loop0001")]);
        }

        await _store.RecordAsync([.. Enumerable.Range(0, 30).Select(i => Call($"batch-{i}", i % 2 == 0 ? "run-1" : "run-2", $"sha256:step{i:D4}"))]);
        await _store.RecordAsync([Call("no-session", null, "sha256:loop0001"), Call("next-hour", "run-1", "sha256:loop0001", Noon.AddHours(1))]);

        var sessions = await _store.GetSessionUsageAsync(Noon, Noon.AddHours(1));

        Assert.Equal(["run-1", "run-2"], sessions.Select(s => s.Session));
        var run1 = sessions[0];
        Assert.Equal((27L, 27_000L, 0.27m, "ana"), (run1.Calls, run1.InputTokens, run1.CostUsd, run1.User));
        Assert.Equal(("sha256:loop0001", 12L), run1.MostRepeated());
        Assert.Equal(15L, sessions[1].Calls);
        Assert.Equal(28L, (await _store.GetSessionUsageAsync(Noon, Noon.AddHours(2))).Single(s => s.Session == "run-1").Calls);
    }

    [Fact]
    public async Task GetSessionUsage_DuplicatePost_CountsTheCallOnce()
    {
        await _store.RecordAsync([Call("e-1", "run-1", "sha256:aaaa0001")]);
        var again = await _store.RecordAsync([Call("e-1", "run-1", "sha256:aaaa0001"), Call("e-2", "run-1", "sha256:aaaa0001")]);

        var session = Assert.Single(await _store.GetSessionUsageAsync(Noon, Noon.AddHours(1)));

        Assert.Equal([RecordStatus.Duplicate, RecordStatus.Recorded], again.Select(o => o.Status));
        Assert.Equal((2L, ("sha256:aaaa0001", 2L)), (session.Calls, session.MostRepeated()!.Value));
    }

    [Fact]
    public async Task Record_ManySessionsOverManyHoursInOnePost_KeepsEveryCall()
    {
        // 300 calls over 30 hours and 60 sessions: a bucket's chunk needs more rows than one transaction holds and is split.
        var calls = Enumerable.Range(0, 300).Select(i => Call($"e-{i}", $"s-{i % 60}", "sha256:" + i.ToString("D8", CultureInfo.InvariantCulture), Noon.AddHours(i % 30))).ToList();

        var outcomes = await _store.RecordAsync(calls);
        var sessions = await _store.GetSessionUsageAsync(Noon, Noon.AddHours(30));

        Assert.All(outcomes, o => Assert.Equal(RecordStatus.Recorded, o.Status));
        Assert.Equal(60, sessions.Count);
        Assert.Equal(300L, sessions.Sum(s => s.Calls));
        Assert.Equal(300, (await _store.GetRollupsAsync(Noon, Noon.AddHours(30))).Sum(r => r.Requests));
    }

    [Fact]
    public async Task Record_SessionAndRequestHash_RoundTripInTheLedger()
    {
        await _store.RecordAsync([Call("e-1", "run-1", "sha256:aaaa0001")]);

        var stored = Assert.Single(await _store.FindAsync("e-1"));

        Assert.Equal(("run-1", "sha256:aaaa0001"), (stored.Event.Session, stored.Event.RequestHash));
    }

    [Fact]
    public async Task Rollups_Units_AreSummedBeforeAndAfterAFold()
    {
        await _store.RecordAsync([Call("e-1", null, units: 1.5m), Call("e-2", null, units: 2m), Call("e-3", null)]);
        await _store.RecordAsync([Call("e-4", null, units: 0.25m)]);

        var before = (await _store.GetRollupsAsync(Noon, Noon.AddHours(1))).Sum(r => r.Units);
        await _store.FoldRollupsAsync(100);
        var after = (await _store.GetRollupsAsync(Noon, Noon.AddHours(1))).Sum(r => r.Units);

        Assert.Equal((3.75m, 3.75m), (before, after));
    }

    [Fact]
    public async Task DeleteBefore_RemovesSessionUsageOfTheSweptHours()
    {
        await _store.RecordAsync([Call("old", "run-1", at: Noon.AddHours(-30)), Call("new", "run-1", at: Noon)]);

        await _store.DeleteBeforeAsync(Noon.AddHours(-1));

        Assert.Empty(await _store.GetSessionUsageAsync(Noon.AddHours(-31), Noon.AddHours(-1)));
        Assert.Equal(1L, Assert.Single(await _store.GetSessionUsageAsync(Noon, Noon.AddHours(1))).Calls);
    }
}

using System.Collections.Concurrent;
using ControlPlane.Azure.Usage;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

public sealed class TableUsageStoreTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly TableUsageStore _store;

    public TableUsageStoreTests() => _store = new TableUsageStore(_storage.Tables);

    private static PricedUsageEvent Priced(string id, DateTimeOffset? at = null, string team = "search", string? user = "u1", decimal cost = 0.0123456789m, bool unpriced = false) =>
        new(new UsageEvent
        {
            Id = id,
            Timestamp = at ?? Noon,
            Team = team,
            Feature = "answers",
            User = user,
            Model = "gpt-4o",
            Tokens = new UsageTokens(1000, 200, 0, 300, 100),
        }, new UsageCost(cost, cost, 0, 0, 0, 0, unpriced, false, null, null));

    [Fact]
    public async Task RecordThenGet_RoundTripsEveryFieldAndExactCost()
    {
        var original = Priced("a/b#c?d%e\\f") with
        {
            Event = Priced("a/b#c?d%e\\f").Event with
            {
                App = "web", Environment = "dev", PromptTemplate = "tpl-7", Provider = "azure-openai", Deployment = "gpt4o-eu",
                DeploymentType = "datazone", Batch = true, ReservationId = "r-1", Units = 2.5m, LatencyMs = 812, Status = "ok",
                Tags = new Dictionary<string, string> { ["ticket"] = "T-1" },
                Timestamp = Noon.AddTicks(1234567),
            },
            Cost = new UsageCost(0.1234567890123456789m, 0.1m, 0.02m, 0.003m, 0.0004m, 0.0000567890123456789m, false, true, 200_000,
                new PriceReference("azure-openai", "gpt-4o", "datazone", Noon.AddDays(-30))),
        };

        var outcome = Assert.Single(await _store.RecordAsync([original]));
        var stored = Assert.Single(await _store.FindAsync(original.Event.Id));

        Assert.Equal(RecordStatus.Recorded, outcome.Status);
        Assert.NotNull(stored);
        Assert.Equal(original.Cost, stored.Cost);
        Assert.Equal(original.Event with { Tags = null }, stored.Event with { Tags = null });
        Assert.Equal("T-1", stored.Event.Tags!["ticket"]);
    }

    [Fact]
    public async Task Record_ExistingId_IsDuplicateWithFirstCost()
    {
        await _store.RecordAsync([Priced("once", cost: 1.5m)]);

        var outcomes = await _store.RecordAsync([Priced("once", cost: 9m), Priced("fresh")]);

        Assert.Equal([RecordStatus.Duplicate, RecordStatus.Recorded], outcomes.Select(o => o.Status));
        Assert.Equal(1.5m, outcomes[0].CostUsd);
        var total = (await _store.GetRollupsAsync(Noon.AddHours(-1), Noon.AddHours(1))).Sum(r => r.CostUsd);
        Assert.Equal(1.5m + 0.0123456789m, total);
    }

    [Fact]
    public async Task Record_ConcurrentOverlappingPosts_EachIdChargedExactlyOnceAndRollupsEqualLedger()
    {
        // 16 clients post overlapping batches at once: every id appears in 4 of them.
        var batches = Enumerable.Range(0, 16)
            .Select(client => Enumerable.Range(0, 400)
                .Select(i => (client / 4 * 100) + i)
                .Select(n => Priced($"evt-{n % 400}-{n / 400}", Noon.AddMinutes(n % 180), team: $"team-{n % 5}", cost: 0.001m * (n % 7 + 1)))
                .ToList())
            .ToList();
        var recordedBy = new ConcurrentDictionary<string, int>();

        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
        {
            foreach (var outcome in await _store.RecordAsync(batch, ct))
            {
                if (outcome.Status == RecordStatus.Recorded)
                {
                    recordedBy.AddOrUpdate(outcome.Id, 1, (_, n) => n + 1);
                }
            }
        });

        var distinct = batches.SelectMany(b => b).DistinctBy(e => e.Event.Id).ToList();
        Assert.Equal(distinct.Count, recordedBy.Count);
        Assert.All(recordedBy, pair => Assert.Equal(1, pair.Value));
        var ledger = await _store.ReadLedgerAsync(Noon.AddDays(-1), Noon.AddDays(1)).ToListAsync();
        var rollups = await _store.GetRollupsAsync(Noon.AddDays(-1), Noon.AddDays(1));
        Assert.Equal(distinct.Count, ledger.Count);
        Assert.Equal(distinct.Sum(e => e.Cost.TotalUsd), ledger.Sum(e => e.Cost.TotalUsd));
        Assert.Equal(ledger.Sum(e => e.Cost.TotalUsd), rollups.Sum(r => r.CostUsd));
        Assert.Equal(ledger.Count, rollups.Sum(r => r.Requests));
        Assert.Equal(ledger.Sum(e => e.Event.Tokens.InputTokens), rollups.Sum(r => r.InputTokens));
    }

    [Fact]
    public async Task Record_EventsOverManyHoursAndLongNames_SplitsUnderTableLimitsAndRollupsEqualLedger()
    {
        // 1,000 events over 120 hours with 256-character teams: rollup rows outnumber what one transaction holds,
        // and their JSON outgrows one string property, so the store must split both.
        var events = Enumerable.Range(0, 1000)
            .Select(n => Priced($"wide-{n}", Noon.AddHours(-(n % 120)), team: new string((char)('a' + n % 26), 256), user: $"user-{n}"))
            .ToList();

        var outcomes = await _store.RecordAsync(events);

        Assert.All(outcomes, o => Assert.Equal(RecordStatus.Recorded, o.Status));
        var rollups = await _store.GetRollupsAsync(Noon.AddDays(-6), Noon.AddHours(1));
        Assert.Equal(events.Sum(e => e.Cost.TotalUsd), rollups.Sum(r => r.CostUsd));
        Assert.Equal(1000, rollups.Sum(r => r.Requests));
    }

    [Fact]
    public async Task Record_OnePartitionOneHourManyLongGroups_SplitsRollupJsonAndStaysExact()
    {
        // 90 events in one partition and one hour, each its own 256-character team and user: one rollup row's
        // JSON would pass the 64 KiB string-property limit, so it must be split into several rows.
        var ids = Enumerable.Range(0, 5000).Select(n => $"same-{n}").Where(id => TableUsageStore.PartitionFor(id) == "b07").Take(90).ToList();
        var events = ids.Select((id, n) => Priced(id, Noon, team: new string('t', 250) + n.ToString("D6"), user: new string('u', 250) + n.ToString("D6"))).ToList();

        await _store.RecordAsync(events);

        var table = await _storage.Tables.GetTableAsync(TableUsageStore.TableName);
        var rows = await table.QueryAsync<global::Azure.Data.Tables.TableEntity>("PartitionKey eq 'b07' and RowKey ge 'r|' and RowKey lt 'r}'").ToListAsync();
        Assert.True(rows.Count > 1, "The rollup JSON was not split.");
        Assert.All(rows, r => Assert.True(r.GetString("Groups").Length <= 32 * 1024, "A rollup row exceeds the 64 KiB string property limit."));
        var rollups = await _store.GetRollupsAsync(Noon, Noon.AddHours(1));
        Assert.Equal(90, rollups.Count);
        Assert.Equal(events.Sum(e => e.Cost.TotalUsd), rollups.Sum(r => r.CostUsd));
    }

    [Fact]
    public async Task GetRollups_RangeIsHalfOpenByHour()
    {
        await _store.RecordAsync([Priced("h11", Noon.AddMinutes(-1)), Priced("h12", Noon), Priced("h13", Noon.AddHours(1))]);

        var rollups = await _store.GetRollupsAsync(Noon, Noon.AddHours(1));

        Assert.Equal(1, rollups.Sum(r => r.Requests));
        Assert.All(rollups, r => Assert.Equal(Noon, r.Hour));
    }

    [Fact]
    public async Task Record_SameIdInTwoTeams_IsTwoEventsAndEachTeamsRetryIsADuplicate()
    {
        var a = Priced("shared-id", Noon);
        var b = a with { Event = a.Event with { Team = "other-team" } };

        var first = await _store.RecordAsync([a, b]);
        var again = await _store.RecordAsync([b, a]);

        Assert.All(first, o => Assert.Equal(RecordStatus.Recorded, o.Status));
        Assert.All(again, o => Assert.Equal(RecordStatus.Duplicate, o.Status));
        Assert.Equal(["other-team", a.Event.Team], (await _store.FindAsync("shared-id")).Select(e => e.Event.Team).Order(StringComparer.Ordinal));
        Assert.Equal(2, (await _store.GetRollupsAsync(Noon.AddHours(-1), Noon.AddHours(1))).Sum(r => r.Requests));
    }

    [Fact]
    public async Task DeleteBefore_RemovesOldEventsAndTheirRollupsOnly()
    {
        await _store.RecordAsync([Priced("old", Noon.AddDays(-3)), Priced("new", Noon)]);

        var result = await _store.DeleteBeforeAsync(Noon.AddDays(-1));

        Assert.Equal(1, result.EventsDeleted);
        Assert.True(result.RollupRowsDeleted >= 1);
        Assert.Empty(await _store.FindAsync("old"));
        Assert.Single(await _store.FindAsync("new"));
        var rollups = await _store.GetRollupsAsync(Noon.AddDays(-5), Noon.AddDays(1));
        Assert.Equal(1, rollups.Sum(r => r.Requests));
        Assert.Equal(new RetentionSweepResult(0, 0), await _store.DeleteBeforeAsync(Noon.AddDays(-1)));
    }
}

using Azure.Data.Tables;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

[Collection(AzuriteBatchesAlone.Name)]
public sealed class TableUsageStoreFoldTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly TableUsageStore _store;
    private readonly RollupRowsRead _rowsRead;

    public TableUsageStoreFoldTests()
    {
        _store = new TableUsageStore(_storage.Tables);
        _rowsRead = new RollupRowsRead(_storage.Options.TablePrefix + TableUsageStore.TableName);
    }

    public void Dispose() => _rowsRead.Dispose();

    internal static PricedUsageEvent Priced(int n, DateTimeOffset at, decimal? cost = null)
    {
        var usd = cost ?? (0.001m * (n % 5 + 1)) + (0.0000001m * n);
        return new(new UsageEvent
        {
            Id = $"evt-{n}",
            Timestamp = at,
            Team = $"team-{n % 3}",
            Feature = "answers",
            User = n % 4 == 0 ? null : $"user-{n % 2}",
            App = n % 3 == 0 ? null : "web",
            Model = "gpt-4o",
            Tokens = new UsageTokens(1000 + n, 200, 0, 300, 100),
        }, new UsageCost(usd, usd, 0, 0, 0, 0, n % 11 == 0, false, null, null));
    }

    private async Task<IReadOnlyList<UsageRollup>> RollupsAsync() =>
        UsageRollup.Fold(await _store.GetRollupsAsync(Noon.AddDays(-10), Noon.AddDays(2)));

    private async Task<IReadOnlyList<UsageRollup>> LedgerAsync() =>
        UsageRollup.Fold(UsageRollup.Aggregate(await _store.ReadLedgerAsync(Noon.AddDays(-10), Noon.AddDays(2)).ToListAsync()));

    [Fact]
    public async Task Fold_SingleEventWrites_QueryReadsFewRowsWithTheSameTotals()
    {
        // 300 single-event posts over 3 days: one rollup delta each until the fold.
        for (var n = 0; n < 300; n++)
        {
            await _store.RecordAsync([Priced(n, Noon.AddMinutes(-n * 14))]);
        }

        var before = await RollupsAsync();
        var rowsBefore = _rowsRead.Take();
        var result = await _store.FoldRollupsAsync(1000);
        var after = await RollupsAsync();
        var rowsAfter = _rowsRead.Take();

        Assert.Equal(300, result.DeltasFolded);
        Assert.Equal(await LedgerAsync(), before);
        Assert.Equal(before, after);
        Assert.True(rowsBefore >= 300, $"read {rowsBefore} rows before folding");

        // At most one folded row per partition and day (4 days touched), plus two epoch reads per partition.
        Assert.True(rowsAfter <= (16 * 4) + (16 * 2), $"read {rowsAfter} rows after folding");
        Assert.Equal(new RollupFoldResult(0, 0), await _store.FoldRollupsAsync(1000));
    }

    [Fact]
    public async Task Fold_RacingWritersAndFolders_RollupsEqualLedgerExactly()
    {
        // 8 writers post single events and small batches while 3 folders fold in small steps.
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var n = (w * 1000) + i;
                await _store.RecordAsync(i % 5 == 0
                    ? [Priced(n, Noon.AddMinutes(-n % 3000)), Priced(n + 500, Noon.AddMinutes(-(n + 500) % 3000))]
                    : [Priced(n, Noon.AddMinutes(-n % 3000))]);
            }
        })).ToList();
        var folders = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await _store.FoldRollupsAsync(16);
            }
        })).ToList();
        var readers = Task.Run(async () =>
        {
            var checks = 0;
            while (!stop.IsCancellationRequested)
            {
                // Mid-race reads must never count a delta twice: the totals only ever grow towards the ledger's.
                var requests = (await RollupsAsync()).Sum(r => r.Requests);
                Assert.InRange(requests, 0, 8 * 48);
                checks++;
            }

            return checks;
        });

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(folders);
        Assert.True(await readers > 0);

        Assert.Equal(await LedgerAsync(), await RollupsAsync());
        await _store.FoldRollupsAsync(100_000);
        Assert.Equal(await LedgerAsync(), await RollupsAsync());
        var table = await _storage.Tables.GetTableAsync(TableUsageStore.TableName);
        Assert.Empty(await table.QueryAsync<TableEntity>("RowKey ge 'r|' and RowKey lt 'r}'").ToListAsync());
    }

    [Fact]
    public async Task DeleteBefore_FoldedDays_TrimsTheCutoffDayAndKeepsRollupsEqualToLedger()
    {
        for (var n = 0; n < 120; n++)
        {
            await _store.RecordAsync([Priced(n, Noon.AddHours(-n))]);
        }

        await _store.FoldRollupsAsync(1000);
        var cutoff = Noon.AddDays(-2).AddHours(-5);

        var result = await _store.DeleteBeforeAsync(cutoff);

        Assert.Equal(66, result.EventsDeleted);
        Assert.Equal(await LedgerAsync(), await RollupsAsync());
        Assert.All(await RollupsAsync(), r => Assert.True(r.Hour >= cutoff));
        Assert.Equal(54, (await RollupsAsync()).Sum(r => r.Requests));
    }

    [Fact]
    public async Task Fold_OneDayManyLongGroups_SplitsUnderTableLimitsAndStaysExact()
    {
        // 600 events of one partition and day, each its own pair of 250-character team and user: the day's folded
        // JSON must spread over many rows, each under the 64 KiB property limit, and every transaction under 100.
        var events = Enumerable.Range(0, 40_000)
            .Select(n => Priced(n, Noon.AddMinutes(n % 600)))
            .Where(p => TableUsageStore.PartitionFor(p.Event.Id) == "b03")
            .Take(600)
            .Select((p, i) => p with { Event = p.Event with { Team = new string('t', 250) + i.ToString("D4"), User = new string('u', 250) + i.ToString("D4") } })
            .ToList();
        foreach (var chunk in events.Chunk(10))
        {
            await _store.RecordAsync(chunk);
        }

        await _store.FoldRollupsAsync(1000);

        var table = await _storage.Tables.GetTableAsync(TableUsageStore.TableName);
        var folded = await table.QueryAsync<TableEntity>("PartitionKey eq 'b03' and RowKey ge 's|' and RowKey lt 's}'").ToListAsync();
        Assert.True(folded.Count > 1, "The folded JSON was not split.");
        Assert.All(folded, r => Assert.True(r.GetString("Groups").Length <= 32 * 1024, "A folded row exceeds the 64 KiB string property limit."));
        Assert.Empty(await table.QueryAsync<TableEntity>("PartitionKey eq 'b03' and RowKey ge 'r|' and RowKey lt 'r}'").ToListAsync());
        Assert.Equal(await LedgerAsync(), await RollupsAsync());
    }
}

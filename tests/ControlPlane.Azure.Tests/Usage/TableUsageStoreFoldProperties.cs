using FsCheck.Xunit;
using ControlPlane.Testing;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

/// <summary>
/// Rollup exactness against real Azurite: whatever interleaving of writes (single events, batches, duplicates),
/// partial folds (a fold stopped after a few transactions is what a crash between steps leaves), racing folds and
/// reads, every read answers exactly the ledger's totals per hour and group.
/// </summary>
[Collection(AzuriteBatchesAlone.Name)]
public sealed class TableUsageStoreFoldProperties
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Property(MaxTest = 15)]
    public bool AnyInterleavingOfWritesAndFolds_ReadsEqualTheLedger(byte[] script) =>
        Task.Run(() => RunAsync(script.Take(30).ToArray())).GetAwaiter().GetResult();

    private static async Task<bool> RunAsync(byte[] script)
    {
        var storage = new TestStorage();
        var store = new TableUsageStore(storage.Tables);
        var ledger = new Dictionary<string, PricedUsageEvent>(StringComparer.Ordinal);
        var next = 0;

        PricedUsageEvent Fresh()
        {
            var n = next++;
            return TableUsageStoreFoldTests.Priced(n, Noon.AddMinutes(-(n * 97) % (3 * 24 * 60)));
        }

        async Task WriteAsync(params PricedUsageEvent[] events)
        {
            await store.RecordAsync(events);
            lock (ledger)
            {
                foreach (var e in events)
                {
                    ledger.TryAdd(e.Event.Id, e);
                }
            }
        }

        async Task<bool> ReadsEqualLedgerAsync()
        {
            var read = UsageRollup.Fold(await store.GetRollupsAsync(Noon.AddDays(-4), Noon.AddDays(1)));
            return read.SequenceEqual(UsageRollup.Fold(UsageRollup.Aggregate(ledger.Values)));
        }

        foreach (var step in script)
        {
            var arg = step / 6;
            switch (step % 6)
            {
                case 0:
                case 1:
                    for (var i = 0; i <= arg % 3; i++)
                    {
                        await WriteAsync(Fresh());
                    }

                    break;
                case 2:
                    // A batch, sometimes repeating an id already recorded (with another cost: the first one stays).
                    var batch = Enumerable.Range(0, 2 + (arg % 4)).Select(_ => Fresh()).ToList();
                    if (ledger.Count > 0 && arg % 2 == 0)
                    {
                        var again = ledger.Values.ElementAt(arg % ledger.Count);
                        batch.Add(again with { Cost = again.Cost with { TotalUsd = again.Cost.TotalUsd + 1m } });
                    }

                    await WriteAsync([.. batch]);
                    break;
                case 3:
                    // A fold that stops after one or two transactions per partition: a crash between steps.
                    await store.FoldRollupsAsync(16 * (1 + (arg % 2)));
                    break;
                case 4:
                    // Writes, two folds and a read racing each other.
                    var racingRead = store.GetRollupsAsync(Noon.AddDays(-4), Noon.AddDays(1));
                    await Task.WhenAll(WriteAsync(Fresh()), WriteAsync(Fresh(), Fresh()), store.FoldRollupsAsync(16), store.FoldRollupsAsync(32));
                    if ((await racingRead).Sum(r => r.Requests) > ledger.Count)
                    {
                        return false;
                    }

                    break;
                default:
                    if (!await ReadsEqualLedgerAsync())
                    {
                        return false;
                    }

                    break;
            }
        }

        if (!await ReadsEqualLedgerAsync())
        {
            return false;
        }

        await store.FoldRollupsAsync(100_000);
        return await ReadsEqualLedgerAsync()
            && (await store.FoldRollupsAsync(100_000)).DeltasFolded == 0
            && await ReadsEqualLedgerAsync();
    }
}

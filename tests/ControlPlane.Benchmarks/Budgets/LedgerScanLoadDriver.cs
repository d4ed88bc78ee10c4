using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using ControlPlane.Azure.Budgets;
using ControlPlane.Azure.Storage;
using ControlPlane.Budgets;
using ControlPlane.Testing;

namespace ControlPlane.Benchmarks.Budgets;

/// <summary>
/// Two costs issue 9 bounded, each against the previous design in the same run, on the driver's own Azurite:
/// <list type="bullet">
/// <item><c>posthoc</c>: post-hoc charges/s on ONE hot budget from many parallel clients. Previous design: every
/// request's charge was its own ETag-guarded transaction on the period row (reproduced here with one ledger per
/// client, so nothing is shared); now charges from concurrent requests are group-committed, up to 90 per
/// transaction.</item>
/// <item><c>sweep</c>: what the minute sweep reads with N settled reservations present. Previous design: a
/// filter over every reservation record and over every hold row of each hard budget (a non-key filter makes the
/// service examine every row in the key range); now a key range of the due index, and expired reservation hours.</item>
/// </list>
/// </summary>
public static class LedgerScanLoadDriver
{
    public static async Task PostHocAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        Console.WriteLine($"Post-hoc charges: {clients} parallel clients, {seconds} s per design, one hot budget on Azurite");
        var storage = new TestStorage();
        var shared = new TableBudgetLedger(storage.Tables, TimeProvider.System, new LeaseOptions());
        var perClient = Enumerable.Range(0, clients).Select(_ => new TableBudgetLedger(storage.Tables, TimeProvider.System, new LeaseOptions())).ToList();
        var before = await MeasureAsync("one transaction per charge (previous design)", clients, TimeSpan.FromSeconds(seconds), storage, c => perClient[c]);
        var after = await MeasureAsync("group-committed charges", clients, TimeSpan.FromSeconds(seconds), storage, _ => shared);

        Console.WriteLine();
        Console.WriteLine("| design | charges/s | ratio | spent = sum of charges |");
        Console.WriteLine("|---|---:|---:|---|");
        foreach (var (name, perSecond, exact) in new[] { before, after })
        {
            Console.WriteLine($"| {name} | {perSecond:N0} | {perSecond / before.PerSecond:N1}× | {(exact ? "yes" : "NO")} |");
        }
    }

    private static async Task<(string Name, double PerSecond, bool Exact)> MeasureAsync(string name, int clients, TimeSpan duration, TestStorage storage, Func<int, TableBudgetLedger> ledgerFor)
    {
        var budget = new Budget { Id = "hot-" + Guid.NewGuid().ToString("N")[..8], Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Total, LimitUsd = 1_000_000m };
        var window = PeriodWindow.For(budget.Period, TimeProvider.System.GetUtcNow());
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            for (var n = 0; stopwatch.Elapsed < duration; n++)
            {
                var now = TimeProvider.System.GetUtcNow();
                await ledgerFor(client).ChargeAsync(budget, window, [new BudgetCharge($"e{client}-{n}", 0.001m, now)], now);
                Interlocked.Increment(ref done);
            }
        }));
        var perSecond = done / stopwatch.Elapsed.TotalSeconds;
        var state = await new TableBudgetLedger(storage.Tables, TimeProvider.System, new LeaseOptions()).GetStateAsync(budget, window);
        return (name, perSecond, state.SpentUsd == done * 0.001m);
    }

    public static async Task SweepAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        Console.WriteLine($"Expiry sweep with {count:N0} settled reservations present (one hard budget), on Azurite");
        var storage = new TestStorage();
        var now = TimeProvider.System.GetUtcNow();
        var budget = new Budget { Id = "swept", Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Total, LimitUsd = 1_000_000m };
        var seeded = Stopwatch.StartNew();
        await SeedSettledAsync(storage.Tables, budget, count, now);
        Console.WriteLine($"Seeded {count:N0} settled holds and reservation records in {seeded.Elapsed.TotalSeconds:N1} s.");

        // Previous design, its two queries as it ran them every minute.
        var ledgerTable = await storage.Tables.GetTableAsync(TableBudgetLedger.TableName);
        var reservationTable = await storage.Tables.GetTableAsync(TableReservationStore.TableName);
        var old = Stopwatch.StartNew();
        var oldHoldsReturned = await CountAsync(ledgerTable, TableClient.CreateQueryFilter(
            $"PartitionKey eq {budget.Id} and RowKey ge {"h|"} and RowKey lt {"h}"} and Folded eq {true} and Status eq {"Active"} and ExpiresAt le {now.UtcDateTime}"));
        var oldReservationsReturned = await CountAsync(reservationTable, TableClient.CreateQueryFilter($"Status eq {"Active"} and ExpiresAt le {now.UtcDateTime}"));
        var oldElapsed = old.Elapsed;
        var examined = await CountAsync(ledgerTable, $"PartitionKey eq '{budget.Id}' and RowKey ge 'h|' and RowKey lt 'h}}'") + await CountAsync(reservationTable, "PartitionKey ge ''");

        // This design: the ledger's sweep (lease fold, due index, hourly retention) and the reservation retention.
        var ledger = new TableBudgetLedger(storage.Tables, TimeProvider.System, new LeaseOptions());
        var reservations = new TableReservationStore(storage.Tables);
        var current = Stopwatch.StartNew();
        await ledger.SweepAsync(budget, now);
        await reservations.DeleteExpiredBeforeAsync(now - new BudgetOptions().ReservationRetention);
        var currentElapsed = current.Elapsed;
        var due = await CountAsync(ledgerTable, $"PartitionKey eq '{budget.Id}' and RowKey ge 'x|' and RowKey le 'x|{now.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|~'");

        Console.WriteLine();
        Console.WriteLine("| design | rows the service examines | rows returned | time |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| filter over holds and reservation records (previous design) | {examined:N0} | {oldHoldsReturned + oldReservationsReturned:N0} | {oldElapsed.TotalMilliseconds:N0} ms |");
        Console.WriteLine($"| due index + expired reservation hours | {due:N0} | {due:N0} | {currentElapsed.TotalMilliseconds:N0} ms |");
        Console.WriteLine($"Time ratio: previous / now = {oldElapsed.TotalMilliseconds / Math.Max(1, currentElapsed.TotalMilliseconds):N0}×");
    }

    /// <summary>Settled, folded hold rows with their due-index rows (due when their retention ends), and settled reservation records, as the ledger writes them.</summary>
    private static async Task SeedSettledAsync(TableProvider tables, Budget budget, int count, DateTimeOffset now)
    {
        var ledgerTable = await tables.GetTableAsync(TableBudgetLedger.TableName);
        var reservations = new TableReservationStore(tables);
        var expiresAt = now.AddMinutes(-5);
        await Parallel.ForEachAsync(Enumerable.Range(0, count).Chunk(50), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chunk, ct) =>
        {
            var holds = new List<TableTransactionAction>();
            foreach (var i in chunk)
            {
                var id = reservations.NewId(expiresAt) + i.ToString("D7", CultureInfo.InvariantCulture);
                holds.Add(new(TableTransactionActionType.Add, new TableEntity(budget.Id, $"h|-|{id}")
                {
                    ["PeriodKey"] = "T", ["CeilingUsd"] = "0.0125", ["ExpiresAt"] = expiresAt.UtcDateTime, ["Status"] = "Settled", ["Folded"] = true, ["ActualUsd"] = "0.0045",
                }));
                holds.Add(new(TableTransactionActionType.Add, new TableEntity(budget.Id, $"x|{expiresAt.AddDays(2).UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|-|{id}") { ["HoldRowKey"] = $"h|-|{id}" }));
            }

            await ledgerTable.SubmitTransactionAsync(holds, ct);
        });
        for (var i = 0; i < count; i += 100)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(100, count - i)).Select(n => reservations.CreateAsync(new Reservation
            {
                Id = reservations.NewId(expiresAt) + n.ToString("D7", CultureInfo.InvariantCulture),
                CeilingUsd = 0.0125m, ExpiresAt = expiresAt, Holds = [], Team = "search", Feature = "answers", Model = "gpt-4o",
                Status = ReservationStatus.Settled, SettledByEventId = $"e{n}",
            })));
        }
    }

    private static async Task<int> CountAsync(TableClient table, string filter)
    {
        var n = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["RowKey"]))
        {
            n++;
        }

        return n;
    }
}

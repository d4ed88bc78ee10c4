using Azure.Data.Tables;
using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// Bounded storage (issue 9, item 14): what the timers read is an index of what is due, and every row kind goes
/// by its retention, while the money stays exact.
/// </summary>
public sealed class TableBudgetLedgerIndexTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly FakeTimeProvider _clock = new(Start);

    private static Budget Daily(decimal limit = 10m) => new()
    {
        Id = "daily", Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Daily, LimitUsd = limit,
    };

    private TableBudgetLedger Ledger(LeaseOptions? leases = null) => new(_storage.Tables, _clock, leases ?? LeaseOptions.Disabled, new BudgetOptions());

    private async Task<List<string>> RowKeysAsync(string prefix)
    {
        var table = await _storage.Tables.GetTableAsync(TableBudgetLedger.TableName);
        var keys = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>($"RowKey ge '{prefix}' and RowKey lt '{prefix[..^1]}{(char)(prefix[^1] + 1)}'", select: ["RowKey"]))
        {
            keys.Add(row.RowKey);
        }

        return keys;
    }

    [Fact]
    public async Task Sweep_ExpiredDirectHold_ReturnsItsMoneyAndDeletesItAfterRetention()
    {
        var ledger = Ledger();
        var budget = Daily();
        var window = PeriodWindow.For(budget.Period, Start);
        await ledger.TryReserveAsync(budget, window, "abandoned", 1m, Start.AddMinutes(10));
        await ledger.TryReserveAsync(budget, window, "settled", 1m, Start.AddMinutes(10));
        await ledger.SettleAsync(budget, window, TableBudgetLedger.DirectHold, "settled", "e1", 0.5m, Start);

        Assert.Equal(0, await ledger.SweepAsync(budget, Start.AddMinutes(9)));
        Assert.Equal(1, await ledger.SweepAsync(budget, Start.AddMinutes(10)));
        var state = await ledger.GetStateAsync(budget, window);
        Assert.Equal(0.5m, state.SpentUsd);
        Assert.Equal(0m, state.ReservedUsd);
        Assert.Equal(2, (await RowKeysAsync("h|")).Count);

        // Two days after expiry both finished holds and their index entries are gone; the money stays.
        Assert.Equal(0, await ledger.SweepAsync(budget, Start.AddMinutes(10).AddDays(2)));
        Assert.Empty(await RowKeysAsync("h|"));
        Assert.Empty(await RowKeysAsync("x|"));
        Assert.Equal(0.5m, (await ledger.GetStateAsync(budget, window)).SpentUsd);
    }

    [Fact]
    public async Task Sweep_FoldedLeaseHolds_AreIndexedAndExpireLikeDirectOnes()
    {
        var ledger = Ledger(new LeaseOptions());
        var budget = Daily(limit: 1000m);
        var window = PeriodWindow.For(budget.Period, Start);
        var hold = await ledger.TryReserveAsync(budget, window, "leased", 1m, Start.AddMinutes(10));
        Assert.NotEqual(TableBudgetLedger.DirectHold, hold.HoldRef);

        // The lease ends after 5 s and folds 30 s later: the still-active hold becomes direct and indexed.
        await ledger.SweepAsync(budget, Start.AddMinutes(1));
        Assert.Single(await RowKeysAsync("x|"));
        Assert.Equal(1m, (await ledger.GetStateAsync(budget, window)).ReservedUsd);

        Assert.Equal(1, await ledger.SweepAsync(budget, Start.AddMinutes(10)));
        Assert.Equal(0m, (await ledger.GetStateAsync(budget, window)).ReservedUsd);
    }

    [Fact]
    public async Task Charge_MarkerOfAnEvent_IsKeptForRetryThenDeleted_AndTheSpendStays()
    {
        var ledger = Ledger();
        var budget = Daily();
        var window = PeriodWindow.For(budget.Period, Start);
        await ledger.ChargeAsync(budget, window, [new BudgetCharge("e1", 2m, Start)], Start);
        await ledger.ChargeAsync(budget, window, [new BudgetCharge("e1", 2m, Start)], Start);
        Assert.Equal(2m, (await ledger.GetStateAsync(budget, window)).SpentUsd);
        Assert.Single(await RowKeysAsync("c|"));

        await Ledger().SweepAsync(budget, Start.AddDays(8));

        Assert.Empty(await RowKeysAsync("c|"));
        Assert.Equal(2m, (await ledger.GetStateAsync(budget, window)).SpentUsd);
    }

    [Fact]
    public async Task Outbox_PublishIndex_ListsOnlyUndeliveredEvents()
    {
        var ledger = Ledger();
        var budget = Daily(limit: 1m);
        var window = PeriodWindow.For(budget.Period, Start);
        await ledger.ChargeAsync(budget, window, [new BudgetCharge("big", 0.8m, Start)], Start);
        var waiting = await ledger.ListUnpublishedAsync(["daily", "another"]);
        Assert.Equal(["warn"], waiting.Select(e => e.Threshold));

        await ledger.MarkPublishedAsync(waiting[0], Start);
        await ledger.MarkPublishedAsync(waiting[0], Start);
        await ledger.ChargeAsync(budget, window, [new BudgetCharge("more", 0.2m, Start)], Start);

        var next = await ledger.ListUnpublishedAsync(["daily"]);
        Assert.Equal(["block", "review"], next.Select(e => e.Threshold).Order(StringComparer.Ordinal));
        var (all, _) = await ledger.ListEventsAsync("daily", 10, null);
        Assert.Equal(3, all.Count);
        Assert.Single(all, e => e.PublishedAt is not null);
    }

    [Fact]
    public async Task Charge_ConcurrentRequestsOnOneBudget_AreGroupCommittedAndExact()
    {
        var ledger = Ledger();
        var budget = Daily(limit: 1_000m);
        var window = PeriodWindow.For(budget.Period, Start);

        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
            await ledger.ChargeAsync(budget, window, [new BudgetCharge($"e{i % 300}", 0.01m, Start)], Start, ct));

        Assert.Equal(3.00m, (await ledger.GetStateAsync(budget, window)).SpentUsd);
    }
}

using System.Collections.Concurrent;
using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// The ledger itself, with three ledger objects on one storage account standing in for three app instances, and
/// leases on: reservations race for a limit that cannot hold them all.
/// </summary>
public sealed class TableBudgetLedgerTests
{
    private const decimal Ceiling = 0.01m;
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly FakeTimeProvider _clock = new(Start);

    private static Budget Hot(decimal limit) => new()
    {
        Id = "hot", Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Total, LimitUsd = limit,
    };

    private List<TableBudgetLedger> Instances(int count, LeaseOptions options) =>
        [.. Enumerable.Range(0, count).Select(_ => new TableBudgetLedger(_storage.Tables, _clock, options))];

    public static TheoryData<string> Designs => new() { "leases", "direct" };

    private static LeaseOptions Options(string design) => design == "leases" ? new LeaseOptions() : LeaseOptions.Disabled;

    [Theory]
    [MemberData(nameof(Designs))]
    public async Task Reserve_ThreeInstancesRaceForTooSmallALimit_GrantsNeverExceedIt(string design)
    {
        var budget = Hot(limit: 5m);
        var window = PeriodWindow.For(budget.Period, Start);
        var ledgers = Instances(3, Options(design));
        var granted = new ConcurrentBag<(int Instance, string Id, string HoldRef)>();

        // 64 clients × 12 calls × $0.01 = $7.68 of demand for a $5 budget.
        await Parallel.ForEachAsync(Enumerable.Range(0, 64), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (client, ct) =>
        {
            for (var call = 0; call < 12; call++)
            {
                var instance = (client + call) % ledgers.Count;
                var id = $"r{client}-{call}";
                var result = await ledgers[instance].TryReserveAsync(budget, window, id, Ceiling, Start.AddMinutes(10), ct);
                if (result.Reserved)
                {
                    granted.Add((instance, id, result.HoldRef!));
                }
            }
        });

        Assert.True(granted.Count * Ceiling <= budget.LimitUsd, $"{granted.Count} holds of {Ceiling} granted on a {budget.LimitUsd} budget.");
        Assert.True(granted.Count * Ceiling >= budget.LimitUsd * 0.5m, $"Only {granted.Count} holds granted: headroom was left unused.");
        var state = await ledgers[0].GetStateAsync(budget, window);
        Assert.True(state.SpentUsd + state.ReservedUsd <= budget.LimitUsd);

        // Settle half on another instance, release the rest: after the sweep the money is exactly the settled spend.
        var settled = 0m;
        foreach (var (hold, i) in granted.Select((h, i) => (h, i)))
        {
            var other = ledgers[(hold.Instance + 1) % ledgers.Count];
            if (i % 2 == 0)
            {
                Assert.Equal(SettleResult.Settled, await other.SettleAsync(budget, window, hold.HoldRef, hold.Id, $"e-{hold.Id}", 0.004m, Start));
                Assert.Equal(SettleResult.AlreadySettled, await ledgers[hold.Instance].SettleAsync(budget, window, hold.HoldRef, hold.Id, $"e-{hold.Id}", 0.004m, Start));

                // Another event cannot settle a settled hold: the caller charges it post hoc instead.
                Assert.Equal(SettleResult.NotActive, await ledgers[hold.Instance].SettleAsync(budget, window, hold.HoldRef, hold.Id, $"e2-{hold.Id}", 0.004m, Start));
                settled += 0.004m;
            }
            else
            {
                Assert.True(await other.ReleaseAsync(budget, window, hold.HoldRef, hold.Id, Start));
            }
        }

        var beforeSweep = await ledgers[0].GetStateAsync(budget, window);
        Assert.Equal(settled, beforeSweep.SpentUsd);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await ledgers[0].SweepAsync(budget, _clock.GetUtcNow());
        var after = await ledgers[0].GetStateAsync(budget, window);
        Assert.Equal(settled, after.SpentUsd);
        Assert.Equal(0m, after.ReservedUsd);
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public async Task Sweep_AbandonedHoldsOfACrashedInstance_ComeBackAfterTheirTtl(string design)
    {
        var budget = Hot(limit: 1m);
        var window = PeriodWindow.For(budget.Period, Start);
        var crashed = Instances(1, Options(design))[0];
        for (var i = 0; i < 30; i++)
        {
            Assert.True((await crashed.TryReserveAsync(budget, window, $"lost-{i}", Ceiling, Start.AddMinutes(10))).Reserved);
        }

        var survivor = Instances(1, Options(design))[0];
        _clock.Advance(TimeSpan.FromMinutes(5));
        await survivor.SweepAsync(budget, _clock.GetUtcNow());
        Assert.Equal(0.30m, (await survivor.GetStateAsync(budget, window)).ReservedUsd);

        _clock.Advance(TimeSpan.FromMinutes(6));
        await survivor.SweepAsync(budget, _clock.GetUtcNow());

        var state = await survivor.GetStateAsync(budget, window);
        Assert.Equal(0m, state.ReservedUsd);
        Assert.Equal(0m, state.SpentUsd);
        Assert.True((await survivor.TryReserveAsync(budget, window, "after", 1m, _clock.GetUtcNow().AddMinutes(10))).Reserved);
    }

    [Fact]
    public async Task ReturnLeases_OnShutdown_GivesUnusedHeadroomBackAndKeepsHoldsCovered()
    {
        var budget = Hot(limit: 1m);
        var window = PeriodWindow.For(budget.Period, Start);
        var ledger = Instances(1, new LeaseOptions())[0];
        var hold = await ledger.TryReserveAsync(budget, window, "one", Ceiling, Start.AddMinutes(10));
        var leased = await ledger.GetStateAsync(budget, window);

        await ledger.ReturnLeasesAsync();

        var returned = await ledger.GetStateAsync(budget, window);
        Assert.True(leased.ReservedUsd > Ceiling, "The first reservation should have leased more than one call's worth.");
        Assert.Equal(Ceiling, returned.ReservedUsd);
        Assert.Equal(SettleResult.Settled, await ledger.SettleAsync(budget, window, hold.HoldRef!, "one", "e-one", 0.002m, Start));
        Assert.Equal(0.002m, (await ledger.GetStateAsync(budget, window)).SpentUsd);
    }

    [Fact]
    public async Task Reserve_SwitchTrippedByPostHocSpendWhileALeaseHasHeadroom_IsDeniedAtOnce()
    {
        var budget = Hot(limit: 1m);
        var window = PeriodWindow.For(budget.Period, Start);
        var ledger = Instances(1, new LeaseOptions())[0];
        Assert.True((await ledger.TryReserveAsync(budget, window, "first", Ceiling, Start.AddMinutes(10))).Reserved);

        await ledger.ChargeAsync(budget, window, [new BudgetCharge("runaway-loop", 1.5m, Start)], Start);

        var denied = await ledger.TryReserveAsync(budget, window, "second", Ceiling, Start.AddMinutes(10));
        Assert.Equal(ReserveDenial.KillSwitchTripped, denied.Denial);
        Assert.Equal(KillSwitchState.Tripped, (await ledger.GetStateAsync(budget, window)).KillSwitch);
    }
}

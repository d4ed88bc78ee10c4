using System.Globalization;
using ControlPlane.Usage;

namespace ControlPlane.Budgets;

/// <summary>
/// Budgets that take effect mid-period. A budget only sees the calls charged to it, so one created (or given a new
/// scope or period) on the 20th would otherwise start the month at zero while its scope has already spent. Instead
/// its period opens with the scope's spend in the ledger, read from the hourly rollups (which carry every
/// dimension a scope can name), and says so in its status.
/// <para>
/// The period's spend is <i>restated</i> to the ledger's figure, not increased by it: charges that reached the budget
/// between its write and the rollup read are in that figure already, and after a scope change what the budget
/// charged under its old scope belongs to another scope. Each version of the budget (its
/// <see cref="Budget.EffectiveFrom"/>) opens a period once, so repeating an unchanged upsert changes nothing, and a
/// retried upsert finishes an opening a crash interrupted.
/// </para>
/// </summary>
public sealed class BudgetOpeningService(
    IBudgetStore store, IBudgetOpeningLedger ledger, IUsageStore usage, BudgetService budgets, TimeProvider time, UsageOptions usageOptions)
{
    /// <summary>Stores the budget, stamped with when its scope and period took effect, and opens its current period.</summary>
    public async Task<Budget> UpsertAsync(Budget requested, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var previous = await store.GetAsync(requested.Id, cancellationToken).ConfigureAwait(false);
        var unchanged = previous is not null && previous.Scope == requested.Scope && previous.Period == requested.Period;
        var budget = requested with { EffectiveFrom = unchanged ? previous!.EffectiveFrom : now };

        // Stored first, so that calls charged from here on are inside the ledger figure the opening then restates to.
        await store.UpsertAsync(budget, cancellationToken).ConfigureAwait(false);
        budgets.Invalidate();
        await OpenAsync(budget, now, cancellationToken).ConfigureAwait(false);
        return budget;
    }

    /// <summary>The current period's opening, or null when the budget has covered the whole period.</summary>
    public Task<BudgetOpening?> GetAsync(Budget budget, CancellationToken cancellationToken = default) =>
        ledger.GetOpeningAsync(budget, PeriodWindow.For(budget.Period, time.GetUtcNow()), cancellationToken);

    private async Task OpenAsync(Budget budget, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var window = PeriodWindow.For(budget.Period, now);
        if (budget.EffectiveFrom is not { } since || since < window.Start)
        {
            return;
        }

        var basis = since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        if ((await ledger.GetOpeningAsync(budget, window, cancellationToken).ConfigureAwait(false))?.Basis == basis)
        {
            return;
        }

        // A total budget has no period start: its opening is what the ledger still holds (the retention period).
        var from = UsageRollup.HourOf(window.Start > now - usageOptions.Retention ? window.Start : now - usageOptions.Retention);
        var rollups = await usage.GetRollupsAsync(from, UsageRollup.HourOf(now).AddHours(1), cancellationToken).ConfigureAwait(false);
        var spent = rollups
            .Where(r => budget.Scope.Covers(new CallAttribution(r.Team, r.Feature, r.User, r.Environment, r.Model, r.App)))
            .Sum(r => r.CostUsd);
        await ledger.OpenAsync(budget, window, new BudgetOpening(basis, spent, now), now, cancellationToken).ConfigureAwait(false);
    }
}

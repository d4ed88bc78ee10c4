using Azure.Data.Tables;
using ControlPlane.Azure.Usage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// Openings: a budget taking effect mid-period restates its period's spend to its scope's ledger spend. The opening
/// row (<c>b|{period}</c>: basis, amount, as-of) lives in the budget's partition beside the period row, and the
/// restatement, the opening row and any threshold it crosses are one ETag-guarded transaction (the same
/// read-decide-write loop as every other change to the period): it lands whole or not at all, and a second opening
/// of the same basis finds the row and changes nothing.
/// </summary>
public sealed partial class TableBudgetLedger : IBudgetOpeningLedger
{
    public async Task<BudgetOpening?> GetOpeningAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), OpeningKey(window), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToOpening(row.Value!) : null;
    }

    public Task<BudgetOpening> OpenAsync(Budget budget, PeriodWindow window, BudgetOpening opening, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        MutateAsync<BudgetOpening>(budget, window, async (table, period) =>
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), OpeningKey(window), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing.HasValue && existing.Value!.GetString("Basis") == opening.Basis)
            {
                return (ToOpening(existing.Value!), []);
            }

            var before = period.SpentUsd;
            period.SpentUsd = opening.SpentUsd;
            var row = new TableEntity(Key(budget.Id), OpeningKey(window))
            {
                ["Basis"] = opening.Basis,
                ["SpentUsd"] = UsageEntityMapper.Money(opening.SpentUsd),
                ["AsOf"] = opening.AsOf.UtcDateTime,
            };
            var actions = new List<TableTransactionAction>
            {
                existing.HasValue
                    ? new(TableTransactionActionType.UpdateReplace, row, existing.Value!.ETag)
                    : new(TableTransactionActionType.Add, row),
            };
            actions.AddRange(period.Cross(budget, window, before, now));
            return (opening, actions);
        }, cancellationToken);

    private static BudgetOpening ToOpening(TableEntity row) =>
        new(row.GetString("Basis"), UsageEntityMapper.ParseMoney(row.GetString("SpentUsd")), row.GetDateTimeOffset("AsOf") ?? default);

    private static string OpeningKey(PeriodWindow window) => "b|" + window.Key;
}

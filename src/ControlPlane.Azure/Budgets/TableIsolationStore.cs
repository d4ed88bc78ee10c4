using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>Manual isolations, one row per scope.</summary>
public sealed class TableIsolationStore(TableProvider tables) : IIsolationStore
{
    public const string TableName = "Isolations";
    private const string Partition = "isolation";

    public async Task IsolateAsync(Isolation isolation, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Partition, RowKey(isolation.Scope))
        {
            ["ScopeType"] = isolation.Scope.Type.ToString(),
            ["ScopeValue"] = isolation.Scope.Value,
            ["Since"] = isolation.Since.UtcDateTime,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> LiftAsync(BudgetScope scope, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var response = await table.DeleteEntityAsync(Partition, RowKey(scope), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Status != 404;
    }

    public async Task<IReadOnlyList<Isolation>> ListAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var list = new List<Isolation>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(new Isolation(new BudgetScope(Enum.Parse<BudgetScopeType>(row.GetString("ScopeType")), row.GetString("ScopeValue")),
                row.GetDateTimeOffset("Since") ?? default));
        }

        return list;
    }

    private static string RowKey(BudgetScope scope) => TableKeys.Escape($"{scope.Type}|{scope.Value}");
}

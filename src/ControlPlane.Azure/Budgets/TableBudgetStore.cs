using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Budgets;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Budgets;

/// <summary>Budget definitions, one row each; read through a short cache by the budget service.</summary>
public sealed class TableBudgetStore(TableProvider tables) : IBudgetStore
{
    public const string TableName = "Budgets";
    private const string Partition = "budget";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<Budget?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, TableKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? JsonSerializer.Deserialize<Budget>(row.Value!.GetString("Budget"), Json) : null;
    }

    public async Task<IReadOnlyList<Budget>> ListAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var budgets = new List<Budget>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            budgets.Add(JsonSerializer.Deserialize<Budget>(row.GetString("Budget"), Json)!);
        }

        return budgets;
    }

    public async Task<ListPage<Budget>> ListPageAsync(PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        return await TablePages.InKeyOrderAsync(table, $"PartitionKey eq '{Partition}'", page,
            row => JsonSerializer.Deserialize<Budget>(row.GetString("Budget"), Json), cancellationToken).ConfigureAwait(false);
    }

    public async Task UpsertAsync(Budget budget, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Partition, TableKeys.Escape(budget.Id)) { ["Budget"] = JsonSerializer.Serialize(budget, Json) },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var response = await table.DeleteEntityAsync(Partition, TableKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Status != 404;
    }
}

using System.Text.Json;
using Azure.Data.Tables;
using ControlPlane.Audits;
using ControlPlane.Azure.Storage;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Audits;

/// <summary>
/// Approved AI resources in the <c>AiResources</c> table, partition <c>resource</c>, one row per resource keyed by its
/// lower-cased (then escaped) ARM id, so two spellings of one id are one entry.
/// </summary>
public sealed class TableAiResourceRegistry(TableProvider tables) : IAiResourceRegistry
{
    public const string TableName = "AiResources";
    private const string Partition = "resource";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task UpsertAsync(IReadOnlyList<ApprovedAiResource> resources, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);

        // One partition, at most 100 entries a request (the API's bound): one transaction, so a PUT stores all or none.
        foreach (var chunk in resources.Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(Partition, Key(r.ResourceId)) { ["Entry"] = JsonSerializer.Serialize(r, Json) })), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ApprovedAiResource?> GetAsync(string resourceId, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, Key(resourceId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task<ListPage<ApprovedAiResource>> ListAsync(PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        return await TablePages.InKeyOrderAsync(table, $"PartitionKey eq '{Partition}'", page, Read, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ApprovedAiResource>> ListAllAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var all = new List<ApprovedAiResource>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            all.Add(Read(row));
        }

        return all;
    }

    private static string Key(string resourceId) => TableKeys.Escape(AiResourceTypes.Normalize(resourceId));

    private static ApprovedAiResource Read(TableEntity row) => JsonSerializer.Deserialize<ApprovedAiResource>(row.GetString("Entry"), Json)!;
}

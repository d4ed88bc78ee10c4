using Azure;
using Azure.Data.Tables;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Retention's one way to delete: read only the keys a query returns, then delete them in entity group transactions
/// (one partition, at most 100 entities each, as Azure requires and Azurite does not check). Rows another sweep
/// deleted first are skipped, not an error, so two instances' sweeps can overlap.
/// </summary>
public static class TableDeletes
{
    private const int MaxEntitiesPerTransaction = 100;

    /// <summary>Deletes every row <paramref name="filter"/> returns; returns how many.</summary>
    public static async Task<int> DeleteMatchingAsync(TableClient table, string filter, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return await DeleteAsync(table, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes <paramref name="rows"/> (any partitions), in the order given within each partition; returns how many.</summary>
    public static async Task<int> DeleteAsync(TableClient table, IEnumerable<TableEntity> rows, CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(MaxEntitiesPerTransaction))
            {
                try
                {
                    await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException ex) when (ex.Status == 404)
                {
                    // Another sweep got there first: delete one by one, ignoring what is already gone.
                    foreach (var row in chunk)
                    {
                        await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                    }
                }

                deleted += chunk.Length;
            }
        }

        return deleted;
    }
}

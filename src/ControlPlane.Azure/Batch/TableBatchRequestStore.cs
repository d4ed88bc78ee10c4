using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Batch;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Batch;

/// <summary>
/// Deferrable requests on Table storage, one row each: partition = the request's id, row = its team, since ids are
/// unique per team only (a team can neither take nor detect another's id), and a lookup by id reads one small
/// partition. The record is kept as JSON; <c>Key</c>, <c>Status</c>, <c>Team</c>, <c>RunId</c>, <c>ReceivedAt</c> and
/// <c>UpdatedAt</c> are columns too, so the nightly run, the list endpoint and the retention sweep can filter on them.
/// Every change is conditional on the ETag read.
/// </summary>
public sealed class TableBatchRequestStore(TableProvider tables) : IBatchRequestStore
{
    public const string TableName = "BatchRequests";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<bool> TryCreateAsync(BatchRequest request, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(ToEntity(request), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<BatchRequest?> GetAsync(string id, string team, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(id), TableKeys.Escape(team), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    public Task<IReadOnlyList<BatchRequest>> FindAsync(string id, CancellationToken cancellationToken = default) =>
        QueryAsync($"PartitionKey eq {TableKeys.Quote(TableKeys.Escape(id))}", cancellationToken);

    public async Task<BatchRequest?> TryReplaceAsync(BatchRequest expected, BatchRequest replacement, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(replacement), new ETag(expected.ETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return replacement with { ETag = response.Headers.ETag?.ToString() ?? string.Empty };
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task<ListPage<BatchRequest>> ListAsync(string? team, BatchRequestStatus? status, PageRequest page, CancellationToken cancellationToken = default)
    {
        var filters = new List<string>();
        if (team is not null)
        {
            filters.Add($"Team eq {TableKeys.Quote(team)}");
        }

        if (status is not null)
        {
            filters.Add($"Status eq '{status}'");
        }

        // Newest first is not key order (rows are keyed by id): see TablePages.NewestFirstAsync for the bound.
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var filter = filters.Count > 0 ? string.Join(" and ", filters) : null;
        return await TablePages.NewestFirstAsync(table, filter, "ReceivedAt", page, FromEntity, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<BatchRequest>> ListByRunAsync(string runId, CancellationToken cancellationToken = default) =>
        QueryAsync(TableClient.CreateQueryFilter($"RunId eq {runId}"), cancellationToken);

    public async Task<IReadOnlyList<BatchRequest>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"(Status eq {nameof(BatchRequestStatus.Completed)} or Status eq {nameof(BatchRequestStatus.Failed)} or Status eq {nameof(BatchRequestStatus.Cancelled)}) and UpdatedAt lt {cutoff.UtcDateTime}");
        var list = new List<BatchRequest>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: max, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(row));
            if (list.Count == max)
            {
                break;
            }
        }

        return list;
    }

    public async Task<bool> TryDeleteAsync(BatchRequest request, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.DeleteEntityAsync(TableKeys.Escape(request.Id), TableKeys.Escape(request.Team), new ETag(request.ETag), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    public Task<IReadOnlyList<BatchRequest>> ListClaimableAsync(string runId, CancellationToken cancellationToken = default) =>
        QueryAsync(TableClient.CreateQueryFilter(
            $"Status eq {nameof(BatchRequestStatus.Pending)} or (Status eq {nameof(BatchRequestStatus.Queued)} and RunId eq {runId})"), cancellationToken);

    private async Task<IReadOnlyList<BatchRequest>> QueryAsync(string filter, CancellationToken cancellationToken)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var list = new List<BatchRequest>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(row));
        }

        return list;
    }

    private static TableEntity ToEntity(BatchRequest request) => new(TableKeys.Escape(request.Id), TableKeys.Escape(request.Team))
    {
        ["Key"] = request.Key,
        ["Status"] = request.Status.ToString(),
        ["Team"] = request.Team,
        ["RunId"] = request.RunId,
        ["ReceivedAt"] = request.ReceivedAt.UtcDateTime,
        ["UpdatedAt"] = request.UpdatedAt.UtcDateTime,
        ["Request"] = JsonSerializer.Serialize(request with { ETag = string.Empty }, Json),
    };

    private static BatchRequest FromEntity(TableEntity row)
    {
        var request = JsonSerializer.Deserialize<BatchRequest>(row.GetString("Request"), Json)! with { ETag = row.ETag.ToString() };
        return row.GetString("Key") is { } key && key != request.Id ? request with { Key = key } : request;
    }
}

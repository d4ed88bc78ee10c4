using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Orchestrations;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Orchestrations;

/// <summary>
/// Orchestration instances on Table storage: one partition per instance holding the instance row (<c>instance</c>)
/// and its history rows (<c>h|{sequence}</c>), so a checkpoint and its history line commit in one transaction,
/// guarded by the instance row's ETag.
/// </summary>
public sealed class TableOrchestrationStore(TableProvider tables) : IOrchestrationStore
{
    public const string TableName = "Orchestrations";
    private const string InstanceRow = "instance";

    /// <summary>Table string properties hold 64 KiB (32K UTF-16 characters); state beyond that belongs in a blob.</summary>
    internal const int MaxStateChars = 32_000;

    public async Task<bool> TryCreateAsync(OrchestrationInstance instance, OrchestrationHistoryEntry first, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Add, ToEntity(instance)),
                new TableTransactionAction(TableTransactionActionType.Add, ToEntity(instance.Id, first)),
            ], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<OrchestrationInstance?> GetAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(instanceId), InstanceRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    public async Task<OrchestrationInstance?> TryReplaceAsync(OrchestrationInstance expected, OrchestrationInstance replacement, OrchestrationHistoryEntry? history, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var entity = ToEntity(replacement);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, entity, new ETag(expected.ETag)) };
        if (history is not null)
        {
            // Upsert, not add: a history line is keyed by its sequence, which only the winner of the ETag race writes.
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(expected.Id, history)));
        }

        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return replacement with { ETag = response.Value[0].Headers.ETag?.ToString() ?? string.Empty };
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task<ListPage<OrchestrationInstance>> ListAsync(string? kind, OrchestrationStatus? status, PageRequest page, CancellationToken cancellationToken = default)
    {
        var filter = $"RowKey eq '{InstanceRow}'";
        if (kind is not null)
        {
            filter += $" and Kind eq {TableKeys.Quote(kind)}";
        }

        if (status is not null)
        {
            filter += $" and Status eq '{status}'";
        }

        // Newest first is not key order (instances are keyed by id): see TablePages.NewestFirstAsync for the bound.
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        return await TablePages.NewestFirstAsync(table, filter, "CreatedAt", page, FromEntity, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<OrchestrationInstance>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        QueryInstancesAsync(TableClient.CreateQueryFilter(
            $"RowKey eq {InstanceRow} and (Status eq {nameof(OrchestrationStatus.Running)} or Status eq {nameof(OrchestrationStatus.Waiting)}) and WakeAt le {now.UtcDateTime}"), cancellationToken);

    private async Task<IReadOnlyList<OrchestrationInstance>> QueryInstancesAsync(string filter, CancellationToken cancellationToken)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var list = new List<OrchestrationInstance>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(row));
        }

        return list;
    }

    public async Task<IReadOnlyList<OrchestrationHistoryEntry>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var filter = $"PartitionKey eq {TableKeys.Quote(TableKeys.Escape(instanceId))} and RowKey ge 'h|' and RowKey lt 'h}}'";
        var list = new List<OrchestrationHistoryEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(new OrchestrationHistoryEntry(
                row.GetInt64("Sequence") ?? 0, row.GetString("Step"), row.GetString("Outcome"), row.GetDateTimeOffset("At") ?? default, row.GetString("Detail")));
        }

        return list;
    }

    public async Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"RowKey eq {InstanceRow} and (Status eq {nameof(OrchestrationStatus.Completed)} or Status eq {nameof(OrchestrationStatus.Failed)} or Status eq {nameof(OrchestrationStatus.Terminated)}) and UpdatedAt lt {cutoff.UtcDateTime}");
        var partitions = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            partitions.Add(row.PartitionKey);
        }

        foreach (var partition in partitions)
        {
            // History first, the instance row last: a stopped sweep leaves an instance the next sweep finds again.
            var rows = new List<TableEntity>();
            await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq {TableKeys.Quote(partition)}", select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }

            await TableDeletes.DeleteAsync(table, rows.OrderBy(r => r.RowKey == InstanceRow), cancellationToken).ConfigureAwait(false);
        }

        return partitions.Count;
    }

    private static TableEntity ToEntity(OrchestrationInstance instance)
    {
        if (instance.State.Length > MaxStateChars)
        {
            throw new OrchestrationStateTooLargeException(
                $"Orchestration {instance.Id} state is {instance.State.Length} characters; keep it under {MaxStateChars} and put bulk data in blobs.");
        }

        return new TableEntity(TableKeys.Escape(instance.Id), InstanceRow)
        {
            ["Id"] = instance.Id,
            ["Kind"] = instance.Kind,
            ["Status"] = instance.Status.ToString(),
            ["Step"] = instance.Step,
            ["Sequence"] = instance.Sequence,
            ["State"] = instance.State,
            ["CreatedAt"] = instance.CreatedAt.UtcDateTime,
            ["UpdatedAt"] = instance.UpdatedAt.UtcDateTime,
            ["WakeAt"] = instance.WakeAt?.UtcDateTime,
            ["LeaseUntil"] = instance.LeaseUntil?.UtcDateTime,
            ["Attempt"] = instance.Attempt,
            ["ErrorCode"] = instance.LastError?.Code,
            ["ErrorMessage"] = Truncate(instance.LastError?.Message),
            ["Output"] = instance.Output,
            ["StartedBy"] = instance.StartedBy,
        };
    }

    private static TableEntity ToEntity(string instanceId, OrchestrationHistoryEntry entry) =>
        new(TableKeys.Escape(instanceId), "h|" + entry.Sequence.ToString("D12", CultureInfo.InvariantCulture))
        {
            ["Sequence"] = entry.Sequence,
            ["Step"] = entry.Step,
            ["Outcome"] = entry.Outcome,
            ["At"] = entry.At.UtcDateTime,
            ["Detail"] = Truncate(entry.Detail),
        };

    private static OrchestrationInstance FromEntity(TableEntity row) => new()
    {
        Id = row.GetString("Id"),
        Kind = row.GetString("Kind"),
        Status = Enum.Parse<OrchestrationStatus>(row.GetString("Status")),
        Step = row.GetString("Step"),
        Sequence = row.GetInt64("Sequence") ?? 0,
        State = row.GetString("State") ?? "{}",
        CreatedAt = row.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = row.GetDateTimeOffset("UpdatedAt") ?? default,
        WakeAt = row.GetDateTimeOffset("WakeAt"),
        LeaseUntil = row.GetDateTimeOffset("LeaseUntil"),
        Attempt = row.GetInt32("Attempt") ?? 0,
        LastError = row.GetString("ErrorCode") is { } code ? new OrchestrationError(code, row.GetString("ErrorMessage") ?? string.Empty) : null,
        Output = row.GetString("Output"),
        StartedBy = row.GetString("StartedBy"),
        ETag = row.ETag.ToString(),
    };

    /// <summary>Provider error messages can be long; a history line keeps the first 4,000 characters.</summary>
    private static string? Truncate(string? value) => value is { Length: > 4000 } ? value[..4000] + "…" : value;
}

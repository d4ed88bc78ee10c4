using System.Globalization;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Azure.Storage;

namespace ControlPlane.Azure.AuditLog;

/// <summary>
/// The admin audit log on Table storage. One partition per UTC month (<c>2026-11</c>); inside it the RowKey is the
/// entry's inverted ticks then its id, so rows sort newest first. A page is therefore a range read of one or a few
/// month partitions from the newest backwards, a time filter narrows the RowKey range, and the retention sweep reads
/// only the rows it deletes (whole months before the cutoff's, and a range of the cutoff's month).
/// Table limits (64 KiB per string property, 1 MiB per entity) are not enforced by Azurite, so they are here:
/// a snapshot is split over properties of <see cref="ChunkChars"/> characters, and one beyond
/// <see cref="MaxSnapshotChars"/> is kept truncated and marked so.
/// </summary>
public sealed class TableAdminAuditLog(TableProvider tables, TimeProvider time) : IAdminAuditLog
{
    public const string TableName = "AdminAuditLog";

    /// <summary>A string property holds at most 64 KiB: 32,768 UTF-16 characters. Kept a little below.</summary>
    internal const int ChunkChars = 32_000;

    /// <summary>Chunks per snapshot: two snapshots of six chunks (768,000 bytes) leave room in a 1 MiB entity for the rest.</summary>
    internal const int MaxChunks = 6;

    /// <summary>Longest snapshot stored whole, in characters.</summary>
    public const int MaxSnapshotChars = ChunkChars * MaxChunks;

    /// <summary>Azure's entity size limit.</summary>
    internal const int MaxEntityBytes = 1024 * 1024;

    private const string Before = "Before";
    private const string After = "After";

    public async Task AppendAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(ToEntity(entry), cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(ToEntity(entry), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AdminAuditPage> ListAsync(AdminAuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);

        // The oldest month that holds anything bounds the walk backwards; one row, read from the start of the key order.
        var lowerBound = query.From is { } from ? $"PartitionKey ge {TableKeys.Quote(MonthOf(from))}" : null;
        string? oldest = null;
        await foreach (var row in table.QueryAsync<TableEntity>(lowerBound, maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            oldest = row.PartitionKey;
            break;
        }

        var entries = new List<AdminAuditEntry>();
        if (oldest is null)
        {
            return new AdminAuditPage(entries, null);
        }

        // Entries are stamped by the clock of the instance that wrote them; a day of slack covers skew between instances.
        var newest = time.GetUtcNow().AddDays(1);
        var upper = Min(Min(query.To, query.After?.At), newest) ?? newest;
        var rowFilter = RowFilter(query);
        for (var month = MonthStart(upper); string.CompareOrdinal(MonthOf(month), oldest) >= 0; month = month.AddMonths(-1))
        {
            var filter = $"PartitionKey eq {TableKeys.Quote(MonthOf(month))}{rowFilter}";
            var wanted = query.Limit + 1 - entries.Count;
            await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(wanted, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                entries.Add(FromEntity(row));
                if (entries.Count > query.Limit)
                {
                    break;
                }
            }

            if (entries.Count > query.Limit)
            {
                break;
            }
        }

        // One more than asked was read to know whether another page exists without a further round trip.
        if (entries.Count <= query.Limit)
        {
            return new AdminAuditPage(entries, null);
        }

        entries.RemoveAt(entries.Count - 1);
        var last = entries[^1];
        return new AdminAuditPage(entries, new AdminAuditCursor(last.At, last.Id));
    }

    public async Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var month = TableKeys.Quote(MonthOf(cutoff));

        // Whole months before the cutoff's, then the part of the cutoff's month before it (at or before the tick before
        // the cutoff): both reads return only rows to delete.
        var filters = new[]
        {
            $"PartitionKey lt {month}",
            $"PartitionKey eq {month} and RowKey ge {TableKeys.Quote(TimePrefix(cutoff.AddTicks(-1)))}",
        };
        var deleted = 0;
        foreach (var filter in filters)
        {
            deleted += await TableDeletes.DeleteMatchingAsync(table, filter, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Azure's size of an entity (keys, property names and values, UTF-16 strings), to check the 1 MiB limit Azurite ignores.</summary>
    internal static int EstimateBytes(TableEntity entity)
    {
        var bytes = 4 + ((entity.PartitionKey.Length + entity.RowKey.Length) * 2);
        foreach (var (name, value) in entity)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }

            bytes += 8 + (name.Length * 2) + value switch
            {
                string s => 4 + (s.Length * 2),
                bool => 1,
                int => 4,
                _ => 8,
            };
        }

        return bytes;
    }

    internal static TableEntity ToEntity(AdminAuditEntry entry)
    {
        var entity = new TableEntity(MonthOf(entry.At), RowKeyOf(entry.At, entry.Id))
        {
            ["Id"] = entry.Id,
            ["At"] = entry.At.UtcDateTime,
            ["Kind"] = entry.Kind.ToString(),
            ["Target"] = entry.Target,
            ["ActorKeyId"] = entry.Actor.KeyId,
            ["ActorName"] = entry.Actor.Name.Length <= AuditActor.MaxNameLength ? entry.Actor.Name : entry.Actor.Name[..AuditActor.MaxNameLength],
            ["ActorRole"] = entry.Actor.Role.ToString(),
            ["ActorBootstrap"] = entry.Actor.Bootstrap,
            ["Outcome"] = entry.Outcome.ToString(),
            ["Changed"] = entry.Changed,
            ["CompletedAt"] = entry.CompletedAt?.UtcDateTime,
            ["StatusCode"] = entry.StatusCode,
            ["ErrorCode"] = entry.ErrorCode,
            ["RequestId"] = entry.RequestId is { Length: > 256 } id ? id[..256] : entry.RequestId,
        };
        WriteSnapshot(entity, Before, entry.Before);
        WriteSnapshot(entity, After, entry.After);
        var size = EstimateBytes(entity);
        return size <= MaxEntityBytes
            ? entity
            : throw new InvalidOperationException($"Audit entry {entry.Id} would be {size} bytes, over the {MaxEntityBytes}-byte entity limit.");
    }

    private static void WriteSnapshot(TableEntity entity, string name, AuditSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return;
        }

        var stored = snapshot.Truncate(MaxSnapshotChars);
        var json = stored.Json;
        var chunks = 0;
        var offset = 0;
        do
        {
            // A chunk may not end between the halves of a surrogate pair (neither half is valid UTF-16 alone): it takes
            // the low half too, one character over ChunkChars and still under the property limit.
            var length = Math.Min(ChunkChars, json.Length - offset);
            if (offset + length < json.Length && char.IsHighSurrogate(json[offset + length - 1]))
            {
                length++;
            }

            entity[$"{name}{chunks++}"] = json.Substring(offset, length);
            offset += length;
        }
        while (offset < json.Length);

        entity[$"{name}Chunks"] = chunks;
        entity[$"{name}Length"] = stored.OriginalLength;
        entity[$"{name}Truncated"] = stored.Truncated;
    }

    private static AuditSnapshot? ReadSnapshot(TableEntity entity, string name)
    {
        if (entity.GetInt32($"{name}Chunks") is not { } chunks)
        {
            return null;
        }

        var json = string.Concat(Enumerable.Range(0, chunks).Select(i => entity.GetString($"{name}{i}")));
        return new AuditSnapshot(json, entity.GetBoolean($"{name}Truncated") ?? false, entity.GetInt32($"{name}Length") ?? json.Length);
    }

    private static AdminAuditEntry FromEntity(TableEntity e) => new()
    {
        Id = e.GetString("Id"),
        At = e.GetDateTimeOffset("At")!.Value,
        Kind = new AdminActionKind(e.GetString("Kind")),
        Target = e.GetString("Target"),
        Actor = new AuditActor(e.GetString("ActorKeyId"), e.GetString("ActorName"), Enum.Parse<ApiRole>(e.GetString("ActorRole")), e.GetBoolean("ActorBootstrap") ?? false),
        Outcome = Enum.Parse<AdminAuditOutcome>(e.GetString("Outcome")),
        Changed = e.GetBoolean("Changed"),
        CompletedAt = e.GetDateTimeOffset("CompletedAt"),
        StatusCode = e.GetInt32("StatusCode"),
        ErrorCode = e.GetString("ErrorCode"),
        RequestId = e.GetString("RequestId"),
        Before = ReadSnapshot(e, Before),
        After = ReadSnapshot(e, After),
    };

    /// <summary>The RowKey conditions of a query: its time range, where the last page ended, its kind.</summary>
    private static string RowFilter(AdminAuditQuery query)
    {
        var filter = string.Empty;
        if (query.To is { } to)
        {
            // At < to, i.e. at or before the tick before "to": the key sorts at or after that tick's prefix.
            filter += $" and RowKey ge {TableKeys.Quote(TimePrefix(to.AddTicks(-1)))}";
        }

        if (query.From is { } from)
        {
            // At >= from, i.e. after the tick before "from": the key sorts before that tick's prefix.
            filter += $" and RowKey lt {TableKeys.Quote(TimePrefix(from.AddTicks(-1)))}";
        }

        if (query.After is { } after)
        {
            filter += $" and RowKey gt {TableKeys.Quote(RowKeyOf(after.At, after.Id))}";
        }

        if (query.Kind is { } kind)
        {
            // A family ("budget.") is the key range from "budget." up to "budget/" ('/' follows '.').
            filter += query.KindIsPrefix
                ? $" and Kind ge {TableKeys.Quote(kind)} and Kind lt {TableKeys.Quote(kind[..^1] + "/")}"
                : $" and Kind eq {TableKeys.Quote(kind)}";
        }

        return filter;
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset MonthStart(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    internal static string MonthOf(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>Newest first: ticks counted down from the largest instant, fixed width so text order is time order reversed.</summary>
    private static string TimePrefix(DateTimeOffset at) =>
        (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    private static string RowKeyOf(DateTimeOffset at, string id) => $"{TimePrefix(at)}_{id}";
}

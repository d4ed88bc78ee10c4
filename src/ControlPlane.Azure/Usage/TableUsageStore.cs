using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

/// <summary>
/// The usage ledger on Azure Table storage.
/// <para>
/// Layout: partition <c>bNN</c> is a hash bucket of the event id (16 buckets), so idempotency depends only on the
/// id, never on a timestamp, and ingest spreads over partitions instead of heating one (a partition serves about
/// 2,000 entities/s). Each partition holds the events (<c>e|{id}</c>), the rollup deltas that count them
/// (<c>r|{yyyyMMddHH}|{writeId}</c>), the per-session usage of the write's events that name a session
/// (<c>q|{yyyyMMddHH}|{writeId}</c>, see <see cref="SessionEntities"/>), the folded rollups (<c>s|{yyyyMMdd}|{chunk}</c>), its fold epoch
/// (<c>v|fold</c>) and, until budgets have been charged with a write's events, one marker per write
/// (<c>u|{writeId}</c>, listing its event ids): the index a crashed request is finished from.
/// </para>
/// <para>
/// Events and their rollup deltas are written in one entity group transaction, so the rollups can never disagree
/// with the ledger: either both land or neither does. A duplicate id fails the whole transaction; we then look up
/// which ids exist, report those as duplicates and retry with the rest. Deltas are insert-only (one per write), so
/// concurrent writers never contend on a counter row; the fold (<c>TableUsageStore.Folding.cs</c>) later moves them
/// into the folded rows of the same partition, so a query reads a few rows per partition and day instead of one
/// per write.
/// </para>
/// </summary>
public sealed partial class TableUsageStore(TableProvider tables) : IUsageStore
{
    public const string TableName = "Usage";
    internal const int BucketCount = 16;

    /// <summary>Azure's entity group transaction limit. Azurite does not enforce it, so we do.</summary>
    internal const int MaxEntitiesPerTransaction = 100;

    /// <summary>
    /// Events per transaction, leaving room for rollup rows. Bounded fields keep an event entity under ~20 KB,
    /// so 90 events stay far below the 4 MiB transaction payload limit.
    /// </summary>
    internal const int MaxEventsPerTransaction = 89;

    /// <summary>A string property holds at most 64 KiB (32K UTF-16 characters); rollup JSON is split below that.</summary>
    private const int MaxRollupJsonChars = 30_000;

    private const int MaxAttempts = 5;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<RecordOutcome>> RecordAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var outcomes = new RecordOutcome[events.Count];
        var byBucket = Enumerable.Range(0, events.Count).GroupBy(i => PartitionFor(events[i].Event.Id));
        await Parallel.ForEachAsync(byBucket, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                foreach (var chunk in bucket.Chunk(MaxEventsPerTransaction))
                {
                    await WriteChunkAsync(table, bucket.Key, [.. chunk], events, outcomes, ct).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return outcomes;
    }

    private static async Task WriteChunkAsync(
        TableClient table, string partition, List<int> pending, IReadOnlyList<PricedUsageEvent> events, RecordOutcome[] outcomes, CancellationToken ct)
    {
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            var writeId = Guid.NewGuid().ToString("N");
            var batch = new List<TableTransactionAction>(MaxEntitiesPerTransaction);
            batch.AddRange(pending.Select(i =>
            {
                var entity = UsageEntityMapper.ToEntity(partition, EventRowKey(events[i].Event), events[i]);
                entity["WriteId"] = writeId;
                return new TableTransactionAction(TableTransactionActionType.Add, entity);
            }));
            batch.AddRange(RollupEntities(partition, pending.Select(i => events[i])).Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
            batch.AddRange(SessionEntities(partition, pending.Select(i => events[i])).Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
            var marker = new TableEntity(partition, PendingRowKey(writeId)) { ["Ids"] = JsonSerializer.Serialize(pending.Select(i => new[] { events[i].Event.Team, events[i].Event.Id }), Json) };
            if (events[pending[0]].Event.RecordedAt is { } recordedAt)
            {
                marker["RecordedAt"] = recordedAt.UtcDateTime;
            }

            batch.Add(new TableTransactionAction(TableTransactionActionType.Add, marker));

            if (batch.Count > MaxEntitiesPerTransaction)
            {
                // Events spread over many hours need many rollup rows: write the halves separately.
                var half = pending.Count / 2;
                await WriteChunkAsync(table, partition, pending[..half], events, outcomes, ct).ConfigureAwait(false);
                await WriteChunkAsync(table, partition, pending[half..], events, outcomes, ct).ConfigureAwait(false);
                return;
            }

            try
            {
                await table.SubmitTransactionAsync(batch, ct).ConfigureAwait(false);
                foreach (var i in pending)
                {
                    var cost = events[i].Cost;
                    outcomes[i] = new RecordOutcome(events[i].Event.Id, RecordStatus.Recorded, cost.TotalUsd, cost.Unpriced, events[i], PendingToken(partition, writeId));
                }

                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409 && attempt < MaxAttempts)
            {
                // Some ids are already in the ledger (a client retry, or a concurrent post of the same event).
                // Nothing of this transaction was written; find the duplicates and write the rest.
                var duplicates = await FindExistingAsync(table, partition, pending, events, ct).ConfigureAwait(false);
                if (duplicates.Count == 0)
                {
                    throw;
                }

                foreach (var (index, stored, budgetsPending) in duplicates)
                {
                    outcomes[index] = new RecordOutcome(events[index].Event.Id, RecordStatus.Duplicate, stored.Cost.TotalUsd, stored.Cost.Unpriced, stored, budgetsPending);
                }

                pending = [.. pending.Except(duplicates.Select(d => d.Index))];
            }
        }
    }

    /// <summary>Ids already in the ledger, as recorded, with the write still waiting for budgets if there is one.</summary>
    private static async Task<List<(int Index, PricedUsageEvent Stored, string? BudgetsPending)>> FindExistingAsync(
        TableClient table, string partition, List<int> candidates, IReadOnlyList<PricedUsageEvent> events, CancellationToken ct)
    {
        var found = await Task.WhenAll(candidates.Select(async i =>
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(partition, EventRowKey(events[i].Event), cancellationToken: ct).ConfigureAwait(false);
            if (!response.HasValue)
            {
                return (Index: i, Stored: (PricedUsageEvent?)null, BudgetsPending: (string?)null);
            }

            var entity = response.Value!;
            string? pending = null;
            if (entity.GetString("WriteId") is { } writeId
                && (await table.GetEntityIfExistsAsync<TableEntity>(partition, PendingRowKey(writeId), ["RowKey"], ct).ConfigureAwait(false)).HasValue)
            {
                pending = PendingToken(partition, writeId);
            }

            return (Index: i, Stored: UsageEntityMapper.FromEntity(entity), BudgetsPending: pending);
        })).ConfigureAwait(false);
        return [.. found.Where(f => f.Stored is not null).Select(f => (f.Index, f.Stored!, f.BudgetsPending))];
    }

    public async Task<IReadOnlyList<string>> ListBudgetsPendingAsync(DateTimeOffset recordedBefore, int max, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var perBucket = await Task.WhenAll(Partitions().Select(async partition =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {"u|"} and RowKey lt {"u}"} and RecordedAt lt {recordedBefore.UtcDateTime}");
            var tokens = new List<string>();
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                tokens.Add(PendingToken(partition, row.RowKey[2..]));
                if (tokens.Count >= max)
                {
                    break;
                }
            }

            return tokens;
        })).ConfigureAwait(false);
        return [.. perBucket.SelectMany(t => t).Take(max)];
    }

    public async Task<IReadOnlyList<PricedUsageEvent>> ReadBudgetsPendingAsync(string pendingWrite, CancellationToken cancellationToken = default)
    {
        var (partition, writeId) = ParsePendingToken(pendingWrite);
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var marker = await table.GetEntityIfExistsAsync<TableEntity>(partition, PendingRowKey(writeId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!marker.HasValue)
        {
            return [];
        }

        var ids = JsonSerializer.Deserialize<List<string[]>>(marker.Value!.GetString("Ids"), Json) ?? [];
        var found = await Task.WhenAll(ids.Select(async teamAndId =>
            await table.GetEntityIfExistsAsync<TableEntity>(partition, EventRowKey(teamAndId[0], teamAndId[1]), cancellationToken: cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        return [.. found.Where(f => f.HasValue).Select(f => UsageEntityMapper.FromEntity(f.Value!))];
    }

    public async Task CompleteBudgetsPendingAsync(IEnumerable<string> pendingWrites, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(pendingWrites.Select(async token =>
        {
            var (partition, writeId) = ParsePendingToken(token);
            await table.DeleteEntityAsync(partition, PendingRowKey(writeId), ETag.All, cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }

    private static string PendingRowKey(string writeId) => "u|" + writeId;

    private static string PendingToken(string partition, string writeId) => partition + "|" + writeId;

    private static (string Partition, string WriteId) ParsePendingToken(string token) =>
        token.IndexOf('|', StringComparison.Ordinal) is var bar and > 0 ? (token[..bar], token[(bar + 1)..]) : throw new ArgumentException("Not a pending write.", nameof(token));

    private static IEnumerable<TableEntity> RollupEntities(string partition, IEnumerable<PricedUsageEvent> events)
    {
        var writeId = Guid.NewGuid().ToString("N");
        foreach (var hour in UsageRollup.Aggregate(events).GroupBy(r => r.Hour))
        {
            var part = 0;
            foreach (var rows in SplitBySize<UsageRollup>([.. hour]))
            {
                yield return new TableEntity(partition, $"{RollupRowKeyPrefix(hour.Key)}|{writeId}-{part++}")
                {
                    ["Hour"] = hour.Key.UtcDateTime,
                    ["Groups"] = JsonSerializer.Serialize(rows, Json),
                };
            }
        }
    }

    /// <summary>
    /// The session rows of one write: per hour, the write's sessions with their calls, tokens, cost and request-hash
    /// counts. Written in the events' own transaction (like the rollup deltas) so the session rules never see calls
    /// the ledger lacks or miss calls it has; insert-only, so concurrent writers never contend; one more entity per
    /// hour only for writes whose events name a session. They are never folded: the hourly scan reads the last hour
    /// or two of them by key range, which costs the same whatever the ledger's size, where a ledger scan by event
    /// time would read every event of the retention period.
    /// </summary>
    private static IEnumerable<TableEntity> SessionEntities(string partition, IEnumerable<PricedUsageEvent> events)
    {
        var writeId = Guid.NewGuid().ToString("N");
        foreach (var hour in SessionUsage.Aggregate(events).GroupBy(r => r.Hour))
        {
            var part = 0;
            foreach (var rows in SplitBySize<SessionUsage>([.. hour]))
            {
                yield return new TableEntity(partition, $"{SessionRowKeyPrefix(hour.Key)}|{writeId}-{part++}")
                {
                    ["Hour"] = hour.Key.UtcDateTime,
                    ["Sessions"] = JsonSerializer.Serialize(rows, Json),
                };
            }
        }
    }

    public async Task<IReadOnlyList<SessionUsage>> GetSessionUsageAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var perBucket = await Task.WhenAll(Partitions().Select(async partition =>
        {
            var rows = new List<SessionUsage>();
            var filter = $"PartitionKey eq '{partition}' and RowKey ge '{SessionRowKeyPrefix(fromHour)}' and RowKey lt '{SessionRowKeyPrefix(toHour)}'";
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["Sessions"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.AddRange(JsonSerializer.Deserialize<List<SessionUsage>>(entity.GetString("Sessions"), Json)!);
            }

            return rows;
        })).ConfigureAwait(false);
        return SessionUsage.Merge(perBucket.SelectMany(r => r));
    }

    private static IEnumerable<List<T>> SplitBySize<T>(List<T> rows)
    {
        if (rows.Count <= 1 || JsonSerializer.Serialize(rows, Json).Length <= MaxRollupJsonChars)
        {
            yield return rows;
            yield break;
        }

        var half = rows.Count / 2;
        foreach (var part in SplitBySize<T>(rows[..half]))
        {
            yield return part;
        }

        foreach (var part in SplitBySize<T>(rows[half..]))
        {
            yield return part;
        }
    }

    public async Task<IReadOnlyList<PricedUsageEvent>> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        // Every team's event with this id: one key range in the id's partition (ids are per team).
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var prefix = $"e|{KeyPart(id)}|";
        var found = new List<PricedUsageEvent>();
        await foreach (var entity in table.QueryAsync<TableEntity>(
            $"PartitionKey eq '{PartitionFor(id)}' and RowKey ge {TableKeys.Quote(prefix)} and RowKey lt {TableKeys.Quote(prefix[..^1] + "}")}", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            found.Add(UsageEntityMapper.FromEntity(entity));
        }

        return found;
    }

    public async Task<IReadOnlyList<UsageRollup>> GetRollupsAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var perBucket = await Task.WhenAll(Partitions().Select(partition => ReadRollupsAsync(table, partition, fromHour, toHour, cancellationToken))).ConfigureAwait(false);
        return [.. perBucket.SelectMany(r => r)];
    }

    public async IAsyncEnumerable<PricedUsageEvent> ReadLedgerAsync(DateTimeOffset fromInclusive, DateTimeOffset toExclusive, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        foreach (var partition in Partitions())
        {
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {partition} and RowKey ge {"e|"} and RowKey lt {"e}"} and EventTime ge {fromInclusive.UtcDateTime} and EventTime lt {toExclusive.UtcDateTime}");
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                yield return UsageEntityMapper.FromEntity(entity);
            }
        }
    }

    public async Task<RetentionSweepResult> DeleteBeforeAsync(DateTimeOffset cutoffHour, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        int events = 0, rollups = 0;
        await Parallel.ForEachAsync(Partitions(), new ParallelOptions { MaxDegreeOfParallelism = PartitionParallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                // Events first: if the sweep stops half way, the next run finishes it; until then old hours only
                // ever show less in rollups than was spent, never phantom spend.
                Interlocked.Add(ref events, await TableDeletes.DeleteMatchingAsync(table, TableClient.CreateQueryFilter(
                    $"PartitionKey eq {partition} and RowKey ge {"e|"} and RowKey lt {"e}"} and EventTime lt {cutoffHour.UtcDateTime}"), ct).ConfigureAwait(false));
                Interlocked.Add(ref rollups, await TableDeletes.DeleteMatchingAsync(table,
                    $"PartitionKey eq '{partition}' and RowKey ge 'r|' and RowKey lt '{RollupRowKeyPrefix(cutoffHour)}'", ct).ConfigureAwait(false));
                Interlocked.Add(ref rollups, await DeleteFoldedBeforeAsync(table, partition, cutoffHour, ct).ConfigureAwait(false));
                Interlocked.Add(ref rollups, await TableDeletes.DeleteMatchingAsync(table,
                    $"PartitionKey eq '{partition}' and RowKey ge 'q|' and RowKey lt '{SessionRowKeyPrefix(cutoffHour)}'", ct).ConfigureAwait(false));
            }).ConfigureAwait(false);

        return new RetentionSweepResult(events, rollups);
    }

    internal static string PartitionFor(string id) =>
        "b" + (TableKeys.StableHash(id) % BucketCount).ToString("D2", CultureInfo.InvariantCulture);

    private static IEnumerable<string> Partitions() =>
        Enumerable.Range(0, BucketCount).Select(b => "b" + b.ToString("D2", CultureInfo.InvariantCulture));

    /// <summary>
    /// An event's row: its id, then its team. Ids are per team — two teams may use the same id and neither can learn
    /// of the other's — and all teams' events of one id sit in one key range.
    /// </summary>
    private static string EventRowKey(UsageEvent e) => EventRowKey(e.Team, e.Id);

    private static string EventRowKey(string team, string id) => $"e|{KeyPart(id)}|{KeyPart(team)}";

    /// <summary>Escaped for a key, with the separator escaped too, so distinct (id, team) pairs stay distinct rows.</summary>
    private static string KeyPart(string value) => TableKeys.Escape(value).Replace("|", "%007C", StringComparison.Ordinal);

    private static string SessionRowKeyPrefix(DateTimeOffset hour) =>
        "q|" + hour.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private static string RollupRowKeyPrefix(DateTimeOffset hour) =>
        "r|" + hour.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
}

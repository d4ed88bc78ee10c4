using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Usage;

namespace ControlPlane.Azure.Usage;

/// <summary>
/// Folding rollups. Ingest writes one delta row per write (<c>r|{hour}|{writeId}</c>) in the same transaction as its
/// events, so a month of single-event posts would leave a cost query one row per event to read. The fold moves
/// deltas into folded rows, one row set per partition and UTC day (<c>s|{yyyyMMdd}|{chunk}</c>, each row a JSON
/// list of (hour, dimensions) totals under the 64 KiB property limit), so a month's query reads about
/// 16 partitions × 31 days rows, whatever the traffic.
/// <para>
/// <b>Exact.</b> Deltas, folded rows and the epoch all live in the event's partition, so one fold is one entity
/// group transaction: rewrite the day's folded rows (ETag-guarded), delete the deltas it added (a delta already
/// gone fails it with 404) and advance the partition's fold epoch (ETag-guarded). It lands whole or not at all;
/// a racing fold, retention trim or crash at any point leaves every delta counted exactly once, either as itself
/// or inside a folded row. Ingest never touches folded rows, so folds do not slow writers down.
/// </para>
/// <para>
/// <b>Reads.</b> A query reads a partition's deltas and folded rows in two range scans, which are not one snapshot:
/// a fold committing between them could show a delta twice or not at all. So it reads the fold epoch before and
/// after and reads the partition again if a fold committed meanwhile. New deltas landing during a read are fine:
/// each is counted or not, whole, like an event written a moment later.
/// </para>
/// </summary>
public sealed partial class TableUsageStore
{
    /// <summary>The meter of the usage store; <see cref="RollupRowsReadInstrument"/> counts what cost queries read.</summary>
    public const string MeterName = "ControlPlane.Usage";

    public const string RollupRowsReadInstrument = "controlplane.usage.rollup_rows_read";

    private const string EpochRowKey = "v|fold";

    /// <summary>Azure's 4 MiB payload limit per transaction, with room for the multipart envelope.</summary>
    private const int MaxTransactionBytes = 3 * 1024 * 1024;

    /// <summary>Payload charged per entity on top of its JSON: keys, property names, headers of its part.</summary>
    private const int EntityOverheadBytes = 1024;

    private const int DeltaPageSize = 1000;
    private const int MaxReadAttempts = 20;
    private const int MaxFoldConflictsPerPartition = 20;
    /// <summary>Partitions a fold or retention sweep works on at once.</summary>
    private const int PartitionParallelism = 4;

    private static readonly Meter UsageMeter = new(MeterName);
    private static readonly Counter<long> RollupRowsRead = UsageMeter.CreateCounter<long>(
        RollupRowsReadInstrument, "{row}", "Table rows a rollup query read: deltas, folded rows and fold epochs.");

    public async Task<RollupFoldResult> FoldRollupsAsync(int maxTransactions, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTransactions, 1);
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);

        // Each partition gets its share, so one partition's backlog cannot starve the others' folds.
        var share = Math.Max(1, maxTransactions / BucketCount);
        int folded = 0, transactions = 0;
        await Parallel.ForEachAsync(Partitions(), new ParallelOptions { MaxDegreeOfParallelism = PartitionParallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                var (f, t) = await FoldPartitionAsync(table, partition, share, ct).ConfigureAwait(false);
                Interlocked.Add(ref folded, f);
                Interlocked.Add(ref transactions, t);
            }).ConfigureAwait(false);
        return new RollupFoldResult(folded, transactions);
    }

    private static async Task<(int Folded, int Transactions)> FoldPartitionAsync(TableClient table, string partition, int maxTransactions, CancellationToken ct)
    {
        // Days whose folded rows cannot take even one more delta inside the transaction limits stay unfolded
        // (still counted on read); skipping them keeps later days folding.
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        int folded = 0, transactions = 0, conflicts = 0;
        while (transactions < maxTransactions && conflicts < MaxFoldConflictsPerPartition)
        {
            var page = await ReadDeltaPageAsync(table, partition, skipped, ct).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var day in page.GroupBy(d => d.Day))
            {
                var pending = day.ToList();
                while (pending.Count > 0 && transactions < maxTransactions)
                {
                    var outcome = await RewriteDayAsync(table, partition, day.Key, pending.Take(MaxEntitiesPerTransaction).ToList(), keep: null, ct).ConfigureAwait(false);
                    if (outcome is not { } count)
                    {
                        // Another fold (or the retention trim) changed this partition: read it again.
                        conflicts++;
                        break;
                    }

                    if (count == 0)
                    {
                        skipped.Add(day.Key);
                        break;
                    }

                    transactions++;
                    folded += count;
                    pending.RemoveRange(0, count);
                }

                if (pending.Count > 0)
                {
                    break;
                }
            }
        }

        return (folded, transactions);
    }

    /// <summary>A delta row as the fold sees it.</summary>
    private sealed record Delta(string RowKey, string Day, IReadOnlyList<UsageRollup> Rows);

    private static async Task<List<Delta>> ReadDeltaPageAsync(TableClient table, string partition, HashSet<string> skipped, CancellationToken ct)
    {
        var page = new List<Delta>();
        var filter = $"PartitionKey eq '{partition}' and RowKey ge 'r|' and RowKey lt 'r}}'";
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Groups"], cancellationToken: ct).ConfigureAwait(false))
        {
            var day = entity.RowKey.Substring(2, 8);
            if (!skipped.Contains(day))
            {
                page.Add(new Delta(entity.RowKey, day, ParseGroups(entity)));
                if (page.Count == DeltaPageSize)
                {
                    break;
                }
            }
        }

        return page;
    }

    /// <summary>
    /// One fold transaction for one partition and day: the day's folded rows plus the first deltas that fit, minus
    /// the rows <paramref name="keep"/> rejects (the retention trim), rewritten; the deltas deleted; the epoch
    /// advanced. Returns how many deltas it folded (0: not even one fits the transaction limits), or null when a
    /// concurrent change made it fail and nothing was written.
    /// </summary>
    private static async Task<int?> RewriteDayAsync(
        TableClient table, string partition, string day, List<Delta> deltas, Func<UsageRollup, bool>? keep, CancellationToken ct)
    {
        var epoch = await table.GetEntityIfExistsAsync<TableEntity>(partition, EpochRowKey, cancellationToken: ct).ConfigureAwait(false);
        var existing = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(DayFilter(partition, day), cancellationToken: ct).ConfigureAwait(false))
        {
            existing[row.RowKey] = row;
        }

        var folded = existing.Values.SelectMany(ParseGroups).Where(r => keep?.Invoke(r) ?? true).ToList();
        // Fold as many deltas as fit; halve until they do. A fold takes at least one delta; a trim takes none.
        var minimum = deltas.Count == 0 ? 0 : 1;
        for (var count = Math.Min(deltas.Count, MaxEntitiesPerTransaction - 1 - existing.Count);
             count >= minimum;
             count = count > minimum ? Math.Max(minimum, count / 2) : minimum - 1)
        {
            var taken = deltas[..count];
            var chunks = SplitBySize<UsageRollup>([.. UsageRollup.Fold(folded.Concat(taken.SelectMany(d => d.Rows)))])
                .Where(rows => rows.Count > 0)
                .Select(rows => JsonSerializer.Serialize(rows, Json))
                .ToList();
            var keys = chunks.Select((_, i) => FoldedRowKey(day, i)).ToList();
            var entities = 1 + keys.Union(existing.Keys).Count() + count;
            var bytes = chunks.Sum(Encoding.UTF8.GetByteCount) + (entities * EntityOverheadBytes);
            if (entities > MaxEntitiesPerTransaction || bytes > MaxTransactionBytes)
            {
                continue;
            }

            var actions = new List<TableTransactionAction>(entities);
            for (var i = 0; i < chunks.Count; i++)
            {
                var entity = new TableEntity(partition, keys[i]) { ["Groups"] = chunks[i] };
                actions.Add(existing.TryGetValue(keys[i], out var old)
                    ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, old.ETag)
                    : new TableTransactionAction(TableTransactionActionType.Add, entity));
            }

            actions.AddRange(existing.Values.Where(old => !keys.Contains(old.RowKey))
                .Select(old => new TableTransactionAction(TableTransactionActionType.Delete, old, old.ETag)));

            // ETag.All still fails with 404 when another fold already deleted the delta, which is what we want.
            actions.AddRange(taken.Select(d => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, d.RowKey), ETag.All)));
            if (epoch.HasValue)
            {
                var next = epoch.Value!;
                next["Epoch"] = (next.GetInt64("Epoch") ?? 0) + 1;
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, next, next.ETag));
            }
            else
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, EpochRowKey) { ["Epoch"] = 1L }));
            }

            try
            {
                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                return count;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412)
            {
                return null;
            }
        }

        return 0;
    }

    /// <summary>
    /// Rollups of one partition for [<paramref name="fromHour"/>, <paramref name="toHour"/>): deltas and folded rows,
    /// read again when a fold committed in between (see the class remarks).
    /// </summary>
    private static async Task<List<UsageRollup>> ReadRollupsAsync(TableClient table, string partition, DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken ct)
    {
        long read = 0;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var before = await ReadEpochAsync(table, partition, ct).ConfigureAwait(false);
                var lastHour = toHour.AddHours(-1);
                var scans = await Task.WhenAll(
                    ScanAsync($"PartitionKey eq '{partition}' and RowKey ge '{RollupRowKeyPrefix(fromHour)}' and RowKey lt '{RollupRowKeyPrefix(toHour)}'"),
                    ScanAsync($"PartitionKey eq '{partition}' and RowKey ge '{FoldedRowKeyPrefix(fromHour)}' and RowKey lt '{FoldedRowKeyPrefix(lastHour.AddDays(1))}'")).ConfigureAwait(false);
                var after = await ReadEpochAsync(table, partition, ct).ConfigureAwait(false);
                read += 2;
                if (before == after)
                {
                    return [.. scans.SelectMany(rows => rows).Where(r => r.Hour >= fromHour && r.Hour < toHour)];
                }

                if (attempt == MaxReadAttempts)
                {
                    // Folds run once a minute and take milliseconds; losing this race 20 times means storage is in trouble.
                    throw new RequestFailedException(503, $"Rollups of partition {partition} kept changing while they were read.");
                }
            }
        }
        finally
        {
            RollupRowsRead.Add(read, new KeyValuePair<string, object?>("table", table.Name));
        }

        async Task<List<UsageRollup>> ScanAsync(string filter)
        {
            var rows = new List<UsageRollup>();
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["Groups"], cancellationToken: ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref read);
                rows.AddRange(ParseGroups(entity));
            }

            return rows;
        }
    }

    private static async Task<long> ReadEpochAsync(TableClient table, string partition, CancellationToken ct)
    {
        var epoch = await table.GetEntityIfExistsAsync<TableEntity>(partition, EpochRowKey, ["Epoch"], ct).ConfigureAwait(false);
        return epoch.HasValue ? epoch.Value!.GetInt64("Epoch") ?? 0 : 0;
    }

    /// <summary>
    /// Retention for folded rows: whole days before the cutoff's day are deleted; the cutoff's own day is rewritten
    /// without its hours before the cutoff (a fold transaction with no deltas), so rollups keep equalling the ledger.
    /// </summary>
    private static async Task<int> DeleteFoldedBeforeAsync(TableClient table, string partition, DateTimeOffset cutoffHour, CancellationToken ct)
    {
        var deleted = await TableDeletes.DeleteMatchingAsync(table,
            $"PartitionKey eq '{partition}' and RowKey ge 's|' and RowKey lt '{FoldedRowKeyPrefix(cutoffHour)}'", ct).ConfigureAwait(false);
        if (cutoffHour.UtcDateTime.TimeOfDay == TimeSpan.Zero)
        {
            return deleted;
        }

        var day = FoldedRowKeyPrefix(cutoffHour)[2..];
        for (var attempt = 1; attempt <= MaxFoldConflictsPerPartition; attempt++)
        {
            var hasOlderHours = false;
            await foreach (var row in table.QueryAsync<TableEntity>(DayFilter(partition, day), select: ["Groups"], cancellationToken: ct).ConfigureAwait(false))
            {
                hasOlderHours |= ParseGroups(row).Any(r => r.Hour < cutoffHour);
            }

            if (!hasOlderHours || await RewriteDayAsync(table, partition, day, [], r => r.Hour >= cutoffHour, ct).ConfigureAwait(false) is not null)
            {
                break;
            }
        }

        return deleted;
    }

    private static List<UsageRollup> ParseGroups(TableEntity entity) =>
        JsonSerializer.Deserialize<List<UsageRollup>>(entity.GetString("Groups"), Json)!;

    private static string DayFilter(string partition, string day) =>
        $"PartitionKey eq '{partition}' and RowKey ge 's|{day}|' and RowKey lt 's|{day}}}'";

    private static string FoldedRowKeyPrefix(DateTimeOffset hour) =>
        "s|" + hour.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static string FoldedRowKey(string day, int chunk) =>
        $"s|{day}|{chunk.ToString("D2", CultureInfo.InvariantCulture)}";
}

using System.Globalization;
using Azure.Data.Tables;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Pages of table queries for the list endpoints. The position handed back is the last row's key, and the next page
/// asks for rows after it, so a page holds exactly the rows that follow, whatever was written in between: nothing
/// is repeated, nothing that existed throughout is skipped, and no server-side cursor has to outlive the request.
/// </summary>
public static class TablePages
{
    /// <summary>
    /// Rows of one partition in row-key order, after the position's row key. <paramref name="map"/> may return null
    /// to leave a row out (a filter the table cannot express); reading goes on until the page is full or the
    /// partition ends, fetching at most one table page ahead.
    /// </summary>
    public static async Task<ListPage<T>> InKeyOrderAsync<T>(
        TableClient table, string partitionFilter, PageRequest page, Func<TableEntity, T?> map, CancellationToken cancellationToken)
        where T : class
    {
        var filter = page.After is [var after] ? $"({partitionFilter}) and RowKey gt {TableKeys.Quote(after)}" : partitionFilter;
        var items = new List<(string RowKey, T Item)>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(page.Limit + 1, PageRequest.MaxLimit), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (map(row) is { } item)
            {
                items.Add((row.RowKey, item));
                if (items.Count > page.Limit)
                {
                    break;
                }
            }
        }

        return items.Count > page.Limit
            ? new ListPage<T>([.. items.Take(page.Limit).Select(i => i.Item)], [items[page.Limit - 1].RowKey])
            : new ListPage<T>([.. items.Select(i => i.Item)], null);
    }

    /// <summary>
    /// Rows newest first by <paramref name="timeColumn"/> (ties by key), after the position (time, partition key,
    /// row key). Key order is not time order here, so each page is one filtered scan of rows at or before the
    /// position's time that keeps only the <c>limit + 1</c> newest in memory: memory is bounded by the page, reads by
    /// the rows the filter leaves (the tables using this are kept small by their retention sweeps).
    /// </summary>
    public static async Task<ListPage<T>> NewestFirstAsync<T>(
        TableClient table, string? filter, string timeColumn, PageRequest page, Func<TableEntity, T> map, CancellationToken cancellationToken)
    {
        Position? after = page.After is [var ticks, var partitionKey, var rowKey] ? new Position(long.Parse(ticks, CultureInfo.InvariantCulture), partitionKey, rowKey) : null;
        if (after is not null)
        {
            var at = new DateTime(after.Ticks, DateTimeKind.Utc);
            var notAfter = $"{timeColumn} le datetime'{at.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}'";
            filter = filter is null ? notAfter : $"({filter}) and {notAfter}";
        }

        var keep = page.Limit + 1;
        var newest = new List<(Position Position, TableEntity Row)>(keep * 2);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var position = new Position(row.GetDateTimeOffset(timeColumn)?.UtcTicks ?? 0, row.PartitionKey, row.RowKey);
            if (after is not null && Position.Compare(position, after) <= 0)
            {
                continue;
            }

            newest.Add((position, row));
            if (newest.Count >= keep * 2)
            {
                newest.Sort((x, y) => Position.Compare(x.Position, y.Position));
                newest.RemoveRange(keep, newest.Count - keep);
            }
        }

        newest.Sort((x, y) => Position.Compare(x.Position, y.Position));
        var items = newest.Take(page.Limit).Select(n => map(n.Row)).ToList();
        return newest.Count > page.Limit
            ? new ListPage<T>(items, newest[page.Limit - 1].Position.ToParts())
            : new ListPage<T>(items, null);
    }

    /// <summary>Newest first, then by key: the order of <see cref="NewestFirstAsync{T}"/>.</summary>
    private sealed record Position(long Ticks, string PartitionKey, string RowKey)
    {
        public static int Compare(Position x, Position y)
        {
            var byTime = y.Ticks.CompareTo(x.Ticks);
            if (byTime != 0)
            {
                return byTime;
            }

            var byPartition = string.CompareOrdinal(x.PartitionKey, y.PartitionKey);
            return byPartition != 0 ? byPartition : string.CompareOrdinal(x.RowKey, y.RowKey);
        }

        public string[] ToParts() => [Ticks.ToString(CultureInfo.InvariantCulture), PartitionKey, RowKey];
    }

    /// <summary>True when a position decoded from a client's token can be used by <see cref="NewestFirstAsync{T}"/>.</summary>
    public static bool IsNewestFirstPosition(IReadOnlyList<string> parts) =>
        parts.Count == 3 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTime.MaxValue.Ticks;
}

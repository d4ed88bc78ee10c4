using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Capacity;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Capacity;

/// <summary>
/// GPU pools on Table storage. Definitions and runtime state in <c>GpuPools</c>; samples and decisions in
/// <c>GpuPoolHistory</c>, one partition per pool, row keys by inverted time so the newest come first.
/// </summary>
public sealed class TableGpuPoolStore(TableProvider tables) : IGpuPoolStore
{
    public const string PoolsTable = "GpuPools";
    public const string HistoryTable = "GpuPoolHistory";
    private const string Definitions = "pool";
    private const string Runtimes = "runtime";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<GpuPool?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Definitions, TableKeys.Escape(name), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? JsonSerializer.Deserialize<GpuPool>(row.Value!.GetString("Pool"), Json) : null;
    }

    public async Task<IReadOnlyList<GpuPool>> ListAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        var list = new List<GpuPool>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Definitions}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(JsonSerializer.Deserialize<GpuPool>(row.GetString("Pool"), Json)!);
        }

        return list;
    }

    public async Task<ListPage<GpuPool>> ListPageAsync(IReadOnlyCollection<string>? teams, PageRequest page, CancellationToken cancellationToken = default)
    {
        // The owner lives inside the pool's JSON, so a key's teams are matched here rather than in the query; pools
        // are few, and reading stops as soon as the page is full.
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        return await TablePages.InKeyOrderAsync(table, $"PartitionKey eq '{Definitions}'", page, row =>
        {
            var pool = JsonSerializer.Deserialize<GpuPool>(row.GetString("Pool"), Json)!;
            return teams is null || teams.Contains(pool.Team) ? pool : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpsertAsync(GpuPool pool, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Definitions, TableKeys.Escape(pool.Name)) { ["Pool"] = JsonSerializer.Serialize(pool, Json) },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddSamplesAsync(string pool, IReadOnlyList<UtilizationSample> samples, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(HistoryTable, cancellationToken).ConfigureAwait(false);
        // A sample with the sender's id has a row key of its own (time + id), written with upsert: the agent re-sends
        // what it buffered when it cannot tell whether a post arrived, and the second copy lands on the first. One
        // transaction may not touch a row twice, so repeats inside a request are folded first.
        var rows = samples.Select(s => new TableEntity(TableKeys.Escape(pool), $"s|{Inverted(s.Timestamp)}|{(s.Id is null ? Guid.NewGuid().ToString("N") : TableKeys.Escape(s.Id))}")
            {
                ["At"] = s.Timestamp.UtcDateTime,
                ["Utilization"] = s.Utilization,
                ["QueueDepth"] = s.QueueDepth,
                ["Instance"] = s.Instance,
                ["Id"] = s.Id,
                ["WindowSeconds"] = s.WindowSeconds,
                ["Readings"] = s.Readings,
                ["MemoryUsedMiB"] = s.MemoryUsedMiB,
                ["MemoryTotalMiB"] = s.MemoryTotalMiB,
                ["Gpus"] = s.Gpus.Count == 0 ? null : JsonSerializer.Serialize(s.Gpus, Json),
            })
            .GroupBy(row => row.RowKey, StringComparer.Ordinal)
            .Select(same => same.Last());
        foreach (var chunk in rows.Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, row)), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<UtilizationSample>> GetSamplesAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(HistoryTable, cancellationToken).ConfigureAwait(false);
        var filter = $"PartitionKey eq {TableKeys.Quote(TableKeys.Escape(pool))} and RowKey ge 's|' and RowKey lt 's|{Inverted(since)}}}'";
        var samples = new List<UtilizationSample>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            samples.Add(Sample(row));
        }

        return samples;
    }

    public async Task<ListPage<UtilizationSample>> GetSamplesPageAsync(string pool, PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(HistoryTable, cancellationToken).ConfigureAwait(false);
        var filter = $"PartitionKey eq {TableKeys.Quote(TableKeys.Escape(pool))} and RowKey ge 's|' and RowKey lt 's}}'";
        return await TablePages.InKeyOrderAsync(table, filter, page, Sample, cancellationToken).ConfigureAwait(false);
    }

    private static UtilizationSample Sample(TableEntity row) =>
        new(row.GetDateTimeOffset("At") ?? default, row.GetDouble("Utilization") ?? 0, row.GetInt32("QueueDepth") ?? 0, row.GetString("Instance"))
        {
            Id = row.GetString("Id"),
            WindowSeconds = row.GetDouble("WindowSeconds"),
            Readings = row.GetInt32("Readings"),
            MemoryUsedMiB = row.GetDouble("MemoryUsedMiB"),
            MemoryTotalMiB = row.GetDouble("MemoryTotalMiB"),
            Gpus = row.GetString("Gpus") is { } gpus ? JsonSerializer.Deserialize<List<GpuReading>>(gpus, Json)! : [],
        };

    public async Task AddDecisionAsync(CapacityDecision decision, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(HistoryTable, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(new TableEntity(TableKeys.Escape(decision.Pool), $"d|{Inverted(decision.Timestamp)}|{Guid.NewGuid():N}")
        {
            ["Decision"] = JsonSerializer.Serialize(decision, Json),
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ListPage<CapacityDecision>> GetDecisionsAsync(string pool, PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(HistoryTable, cancellationToken).ConfigureAwait(false);
        var filter = $"PartitionKey eq {TableKeys.Quote(TableKeys.Escape(pool))} and RowKey ge 'd|' and RowKey lt 'd}}'";
        return await TablePages.InKeyOrderAsync(table, filter, page,
            row => JsonSerializer.Deserialize<CapacityDecision>(row.GetString("Decision"), Json), cancellationToken).ConfigureAwait(false);
    }

    public async Task<PoolRuntime> GetRuntimeAsync(string pool, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Runtimes, TableKeys.Escape(pool), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? JsonSerializer.Deserialize<PoolRuntime>(row.Value!.GetString("Runtime"), Json)! : new PoolRuntime(null, null, null, null);
    }

    public async Task SetRuntimeAsync(string pool, PoolRuntime runtime, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(PoolsTable, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Runtimes, TableKeys.Escape(pool)) { ["Runtime"] = JsonSerializer.Serialize(runtime, Json) },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Newest first in key order: ticks counted down from the end of time, fixed width.</summary>
    private static string Inverted(DateTimeOffset at) =>
        (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}

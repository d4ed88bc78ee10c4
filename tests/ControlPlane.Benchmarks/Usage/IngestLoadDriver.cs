using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Usage;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;
using HdrHistogram;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ControlPlane.Benchmarks.Usage;

/// <summary>
/// Ingest throughput on Azurite, against a baseline measured in the same run: raw 100-entity batch inserts of
/// entities the size of a ledger event, with the same number of parallel clients. Reports entities/s for each
/// and ControlPlane's share of the baseline, plus request latency percentiles.
/// </summary>
public static class IngestLoadDriver
{
    public static async Task RunAsync(string[] args)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        Console.WriteLine($"Ingest load: {events:N0} events, {clients} parallel clients, Azurite at {Azurite.ConnectionString.Split(';').First(p => p.StartsWith("TableEndpoint", StringComparison.Ordinal))}");

        // Warm-up: JIT, connection pools, table creation.
        await RawBatchesAsync(2_000, clients);
        await StoreAsync(2_000, clients);

        var raw = await RawBatchesAsync(events, clients);
        var store = await StoreAsync(events, clients);
        var http = await HttpAsync(events, clients);

        Console.WriteLine();
        Console.WriteLine("| path | events/s | ratio to raw batches | p50 ms/request | p99 ms/request |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, result) in new[] { ("raw 100-entity batch insert (baseline)", raw), ("TableUsageStore.RecordAsync (1,000/request)", store), ("POST /api/usage in-process (1,000/request)", http) })
        {
            Console.WriteLine($"| {name} | {result.PerSecond:N0} | {result.PerSecond / raw.PerSecond:P0} | {result.Latency.GetValueAtPercentile(50) / 1000.0:N1} | {result.Latency.GetValueAtPercentile(99) / 1000.0:N1} |");
        }
    }

    private sealed record Result(double PerSecond, LongHistogram Latency);

    private static async Task<Result> RawBatchesAsync(int events, int clients)
    {
        var table = await new TestStorage().Tables.GetTableAsync("RawBaseline");
        var batches = Enumerable.Range(0, events / 100).ToList();
        return await MeasureAsync(batches.Count * 100, clients, batches, async batch =>
        {
            var partition = "p" + (batch % 16).ToString("D2", CultureInfo.InvariantCulture);
            await table.SubmitTransactionAsync(Enumerable.Range(0, 100).Select(i =>
                new TableTransactionAction(TableTransactionActionType.Add, RawEntity(partition, $"{batch}-{i}"))));
        });
    }

    private static async Task<Result> StoreAsync(int events, int clients)
    {
        var store = new TableUsageStore(new TestStorage().Tables);
        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        var requests = Enumerable.Range(0, events / 1000).ToList();
        return await MeasureAsync(requests.Count * 1000, clients, requests, async request =>
        {
            var batch = Enumerable.Range(0, 1000).Select(i => Event(request, i)).Select(e => new PricedUsageEvent(e, UsageCost.From(sheet.Price(e.PricingContext, e.Tokens)))).ToList();
            await store.RecordAsync(batch);
        });
    }

    private static async Task<Result> HttpAsync(int events, int clients)
    {
        await using var app = BenchmarkApp.Start();
        var client = app.AdminClient();
        var requests = Enumerable.Range(0, events / 1000).ToList();
        var bodies = requests.ToDictionary(r => r, r => new { events = Enumerable.Range(0, 1000).Select(i => Body(r, i)).ToList() });
        await client.PostAsJsonAsync("/api/usage", new { events = new[] { Body(-1, 0) } });
        return await MeasureAsync(requests.Count * 1000, clients, requests, async request =>
        {
            var response = await client.PostAsJsonAsync("/api/usage", bodies[request]);
            response.EnsureSuccessStatusCode();
        });
    }

    private static async Task<Result> MeasureAsync(int items, int clients, List<int> work, Func<int, Task> step)
    {
        var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
        var elapsed = await ParallelLoad.RunAsync(work, clients, latency, step);
        return new Result(items / elapsed.TotalSeconds, latency);
    }

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];
    private static readonly DateTimeOffset Hour = UsageRollup.HourOf(TimeProvider.System.GetUtcNow());

    private static UsageEvent Event(int request, int i) => new()
    {
        Id = $"{RunId}-{request}-{i}",
        Timestamp = Hour.AddSeconds(i % 3600),
        Team = $"team-{i % 8}",
        Feature = $"feature-{i % 20}",
        User = $"user-{i % 50}",
        Model = i % 3 == 0 ? "gpt-4o" : "gpt-4o-mini",
        Provider = "azure-openai",
        Tokens = new UsageTokens(1200, 1000, 0, 300, 0),
    };

    private static object Body(int request, int i)
    {
        var e = Event(request, i);
        return new
        {
            id = e.Id + "-http", timestamp = e.Timestamp.ToString("O", CultureInfo.InvariantCulture), team = e.Team, feature = e.Feature,
            user = e.User, model = e.Model, provider = e.Provider, inputTokens = 1200, cachedInputTokens = 1000, outputTokens = 300,
        };
    }

    /// <summary>An entity with the same properties and sizes as a ledger event, so the baseline moves the same bytes.</summary>
    private static TableEntity RawEntity(string partition, string row)
    {
        var e = Event(0, row.Length);
        return UsageEntityMapper.ToEntity(partition, "e|" + row + RunId, new PricedUsageEvent(e, new UsageCost(0.000285m, 0.00003m, 0.000075m, 0, 0.00018m, 0, false, false, null, null)));
    }
}

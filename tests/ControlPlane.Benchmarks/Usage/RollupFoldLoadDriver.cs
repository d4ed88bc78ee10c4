using System.Diagnostics;
using System.Globalization;
using ControlPlane.Azure.Usage;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks.Usage;

/// <summary>
/// Rows <c>GET /api/costs</c> reads for a month of single-event posts, the previous design against the folded one
/// in the same run and on the same data: first the ledger as ingest leaves it (one rollup delta per post — what the
/// previous design always read), then after the fold. Also checks both answers are byte-for-byte the same.
/// </summary>
public static class RollupFoldLoadDriver
{
    public static async Task RunAsync(string[] args)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var groups = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var prefix = Azurite.NewTablePrefix();
        var end = UsageRollup.HourOf(TimeProvider.System.GetUtcNow());
        var start = end.AddDays(-30);
        Console.WriteLine($"Rollup fold: {events:N0} single-event posts over 30 days ({start:yyyy-MM-dd HH}h to {end:yyyy-MM-dd HH}h), {groups} groups, {clients} parallel writers");

        await using var app = BenchmarkApp.Start(prefix);
        var client = app.AdminClient();
        var store = app.Services.GetRequiredService<IUsageStore>();

        // One RecordAsync per event: exactly the rows a month of single-event POST /api/usage calls leaves.
        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        var random = new Random(42);
        var posts = Enumerable.Range(0, events).Select(i =>
        {
            var e = new UsageEvent
            {
                Id = $"month-{i}",
                Timestamp = start.AddSeconds(random.NextDouble() * (end - start).TotalSeconds),
                Team = $"team-{i % groups}",
                Feature = "answers",
                Model = "gpt-4o-mini",
                Provider = "azure-openai",
                Tokens = new UsageTokens(1200, 1000, 0, 300, 0),
            };
            return new PricedUsageEvent(e, UsageCost.From(sheet.Price(e.PricingContext, e.Tokens)));
        }).ToList();
        var ingest = Stopwatch.StartNew();
        await Parallel.ForEachAsync(posts, new ParallelOptions { MaxDegreeOfParallelism = clients }, async (post, ct) => await store.RecordAsync([post], ct));
        Console.WriteLine($"Ingested in {ingest.Elapsed.TotalSeconds:N1} s");

        using var rows = new RollupRowsRead(prefix + TableUsageStore.TableName);
        var query = $"/api/costs?groupBy=team&from={start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&to={end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
        var (previousBody, previousRows, previousMs) = await QueryAsync(client, query, rows);

        var fold = Stopwatch.StartNew();
        var folded = await store.FoldRollupsAsync(1_000_000);
        fold.Stop();
        var (foldedBody, foldedRows, foldedMs) = await QueryAsync(client, query, rows);

        Console.WriteLine($"Fold: {folded.DeltasFolded:N0} deltas in {folded.Transactions:N0} transactions, {fold.Elapsed.TotalSeconds:N1} s");
        Console.WriteLine($"Same answer before and after the fold: {previousBody == foldedBody}");
        Console.WriteLine();
        Console.WriteLine("| design | rows read by GET /api/costs (30 days) | vs. previous | median ms per query |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| previous: one rollup row per write (not folded) | {previousRows:N0} | 1.00 | {previousMs:N0} |");
        Console.WriteLine($"| folded: one row set per partition and day | {foldedRows:N0} | {(double)foldedRows / previousRows:N3} | {foldedMs:N0} |");
        Console.WriteLine($"Reference: hours × groups = {(end - start).TotalHours * groups:N0}");
        if (previousBody != foldedBody)
        {
            throw new InvalidOperationException("The folded rollups answered differently.");
        }
    }

    /// <summary>Five runs of the query: the answer, rows read per query and the median latency.</summary>
    private static async Task<(string Body, long Rows, double MedianMs)> QueryAsync(HttpClient client, string query, RollupRowsRead rows)
    {
        var body = string.Empty;
        var times = new List<double>();
        rows.Take();
        for (var run = 0; run < 5; run++)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await client.GetAsync(query);
            response.EnsureSuccessStatusCode();
            body = await response.Content.ReadAsStringAsync();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return (body, rows.Take() / 5, times.Order().ElementAt(2));
    }
}

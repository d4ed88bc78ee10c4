using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using ControlPlane.Pricing;
using ControlPlane.Testing;
using ControlPlane.Usage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ControlPlane.Benchmarks.Dashboard;

/// <summary>
/// The dashboard with a year of calls behind it: what its first load weighs, how long Chromium takes from the page
/// request to the first chart, and <c>GET /api/costs</c> for a month by <c>team,day</c> next to the one-dimension
/// query (<c>groupBy=team</c>, the only shape there was before) measured in the same run on the same data.
/// </summary>
public static class DashboardLoadDriver
{
    public static async Task RunAsync(string[] args)
    {
        var perHour = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 12;
        var days = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 365;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
        var end = UsageRollup.HourOf(TimeProvider.System.GetUtcNow());
        var start = end.AddDays(-days);
        Console.WriteLine($"Dashboard: {perHour} calls an hour for {days} days ({perHour * 24 * days:N0} calls; 8 teams, 6 features, 3 models), {runs} runs each");

        await using var app = BenchmarkApp.Start(settings: new Dictionary<string, string>
        {
            // Only the API is measured: no orchestration worker polling the task hub beside it.
            ["ControlPlane:Durable:Enabled"] = "false",
        });
        app.UseKestrel(0);
        app.StartServer();
        var site = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var client = app.AdminClient();
        var store = app.Services.GetRequiredService<IUsageStore>();

        var seed = Stopwatch.StartNew();
        await SeedAsync(store, start, end, perHour);
        var folded = await store.FoldRollupsAsync(10_000_000);
        Console.WriteLine($"Seeded and folded in {seed.Elapsed.TotalSeconds:N0} s ({folded.DeltasFolded:N0} deltas folded)");

        // GET /api/costs for the last month: one dimension (baseline) and team × day, alternating so both see the same cache state.
        var month = $"from={end.AddDays(-30).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&to={end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
        var oneWay = new List<double>();
        var twoWay = new List<double>();
        var yearByMonth = new List<double>();
        long twoWayBytes = 0;
        for (var i = 0; i < runs + 1; i++)
        {
            var (a, _) = await TimeAsync(client, $"/api/costs?groupBy=team&{month}");
            var (b, bytes) = await TimeAsync(client, $"/api/costs?groupBy=team,day&limit=1000&{month}");
            var (c, _) = await TimeAsync(client, $"/api/costs?groupBy=team,month&limit=1000&from={start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&to={end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
            if (i > 0)
            {
                oneWay.Add(a);
                twoWay.Add(b);
                yearByMonth.Add(c);
                twoWayBytes = bytes;
            }
        }

        // First load: the page and its two files, as a browser fetches them; then Chromium from the request to the first chart.
        long raw = 0, gzipped = 0;
        foreach (var path in new[] { "/", "/dashboard/app.js", "/dashboard/app.css" })
        {
            var bytes = await client.GetByteArrayAsync(path);
            raw += bytes.Length;
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                await gzip.WriteAsync(bytes);
            }

            gzipped += compressed.Length;
        }

        var shell = new List<double>();
        var firstChart = new List<double>();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"],
        });
        for (var i = 0; i < runs + 1; i++)
        {
            var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1360, Height = 1000 } });
            await context.AddInitScriptAsync($"sessionStorage.setItem('controlplane.key', '{BenchmarkApp.AdminKey}')");
            var page = await context.NewPageAsync();
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(site.ToString(), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
            var loaded = watch.Elapsed.TotalMilliseconds;
            await page.Locator("#chart-svg rect.seg").First.WaitForAsync(new() { Timeout = 120_000 });
            var charted = watch.Elapsed.TotalMilliseconds;
            await context.CloseAsync();
            if (i > 0)
            {
                shell.Add(loaded);
                firstChart.Add(charted);
            }
        }

        var baseline = Median(oneWay);
        Console.WriteLine();
        Console.WriteLine($"| measurement ({days} days of rollups) | median ms | vs. baseline |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| baseline: `GET /api/costs?groupBy=team`, last 30 days | {baseline:N1} | 1.00 |");
        Console.WriteLine($"| `GET /api/costs?groupBy=team,day`, last 30 days ({twoWayBytes:N0} bytes) | {Median(twoWay):N1} | {Median(twoWay) / baseline:N2} |");
        Console.WriteLine($"| `GET /api/costs?groupBy=team,month`, the whole {days} days | {Median(yearByMonth):N1} | {Median(yearByMonth) / baseline:N2} |");
        Console.WriteLine($"| dashboard page shell (DOMContentLoaded) | {Median(shell):N1} | {Median(shell) / baseline:N2} |");
        Console.WriteLine($"| dashboard: request to first chart (signed in, 30 days by feature, 8 views loading) | {Median(firstChart):N1} | {Median(firstChart) / baseline:N2} |");
        Console.WriteLine($"First load: {raw:N0} bytes (page, script, style), {gzipped:N0} gzipped; nothing from other origins.");
    }

    private static async Task SeedAsync(IUsageStore store, DateTimeOffset start, DateTimeOffset end, int perHour)
    {
        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        string[] models = ["gpt-4o", "gpt-4o-mini", "o3-mini"];
        var random = new Random(7);
        var days = Enumerable.Range(0, (int)(end - start).TotalDays).ToList();
        await Parallel.ForEachAsync(days, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (day, ct) =>
        {
            var events = new List<PricedUsageEvent>(perHour * 24);
            for (var hour = 0; hour < 24; hour++)
            {
                for (var n = 0; n < perHour; n++)
                {
                    var i = (day * 24 + hour) * perHour + n;
                    var e = new UsageEvent
                    {
                        Id = $"y-{i}",
                        Timestamp = start.AddDays(day).AddHours(hour).AddMinutes(n % 60),
                        Team = $"team-{i % 8}",
                        Feature = $"feature-{i % 6}",
                        Model = models[i % 3],
                        Provider = "azure-openai",
                        User = $"user-{i % 20}",
                        Tokens = new UsageTokens(1000 + (i % 500), 200, 0, 150 + (i % 100), 0),
                    };
                    events.Add(new PricedUsageEvent(e, UsageCost.From(sheet.Price(e.PricingContext, e.Tokens))));
                }
            }

            await store.RecordAsync(events, ct);
        });
    }

    private static async Task<(double Ms, long Bytes)> TimeAsync(HttpClient client, string path)
    {
        var watch = Stopwatch.StartNew();
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        watch.Stop();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        }

        return (watch.Elapsed.TotalMilliseconds, body.Length);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

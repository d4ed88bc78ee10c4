using System.Diagnostics;
using System.Globalization;
using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using HdrHistogram;

namespace ControlPlane.Benchmarks.Budgets;

/// <summary>
/// Authorizations per second on ONE hot hard budget, in process on Azurite, with many parallel clients.
/// Baseline: the ledger with leases switched off — every reservation an ETag-guarded update of the budget's one
/// period row (the naive design) — measured in the same run. Then overshoot: many clients race for a small limit.
/// </summary>
public static class AuthorizeLoadDriver
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        Console.WriteLine($"Authorize load: {clients} parallel clients, {seconds} s per design, one hot budget on Azurite");

        var designs = new (string Name, LeaseOptions Options)[]
        {
            ("single-row ETag (baseline, leases off)", LeaseOptions.Disabled),
            ("leased headroom + group commit", new LeaseOptions()),
        };
        var results = new List<(string Name, double PerSecond, LongHistogram Latency, decimal Overshoot)>();
        foreach (var (name, options) in designs)
        {
            var (perSecond, latency) = await ThroughputAsync(options, clients, TimeSpan.FromSeconds(seconds));
            var overshoot = await OvershootAsync(options, clients);
            results.Add((name, perSecond, latency, overshoot));
        }

        var (fullPerSecond, fullLatency) = await FullAuthorizeAsync(clients, TimeSpan.FromSeconds(seconds));
        results.Add(("whole authorize (BudgetService: worst-case price, leased hold, reservation record)", fullPerSecond, fullLatency, 0m));

        Console.WriteLine();
        Console.WriteLine("| design | authorizations/s | ratio | p50 ms | p99 ms | overshoot at limit |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Name} | {r.PerSecond:N0} | {r.PerSecond / results[0].PerSecond:N1}× | {r.Latency.GetValueAtPercentile(50) / 1000.0:N2} | {r.Latency.GetValueAtPercentile(99) / 1000.0:N2} | ${r.Overshoot} |");
        }
    }

    private static Budget HotBudget(decimal limit) => new()
    {
        Id = "hot-" + Guid.NewGuid().ToString("N")[..8], Scope = new BudgetScope(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Total, LimitUsd = limit,
    };

    private static async Task<(double PerSecond, LongHistogram Latency)> ThroughputAsync(LeaseOptions options, int clients, TimeSpan duration)
    {
        var ledger = new TableBudgetLedger(new TestStorage().Tables, TimeProvider.System, options);
        var budget = HotBudget(1_000_000m);
        var window = PeriodWindow.For(budget.Period, TimeProvider.System.GetUtcNow());
        var expires = TimeProvider.System.GetUtcNow().AddMinutes(10);
        await ledger.TryReserveAsync(budget, window, "warm-up", 0.01m, expires);
        return await MeasureAsync(clients, duration, async (client, n) =>
        {
            if (!(await ledger.TryReserveAsync(budget, window, $"r{client}-{n}", 0.0125m, expires)).Reserved)
            {
                throw new InvalidOperationException("A reservation within a huge budget was denied.");
            }
        });
    }

    /// <summary>The whole authorization as the API runs it, minus HTTP: pricing, leased hold, durable reservation record.</summary>
    private static async Task<(double PerSecond, LongHistogram Latency)> FullAuthorizeAsync(int clients, TimeSpan duration)
    {
        var storage = new TestStorage();
        var budgets = new TableBudgetStore(storage.Tables);
        var budget = HotBudget(1_000_000m);
        await budgets.UpsertAsync(budget);
        var service = new BudgetService(budgets, new TableBudgetLedger(storage.Tables, TimeProvider.System, new LeaseOptions()),
            new TableReservationStore(storage.Tables), new TableIsolationStore(storage.Tables), TimeProvider.System, new BudgetOptions(), _ => false);
        var sheet = ControlPlane.Pricing.PriceSheet.Create(ControlPlane.Pricing.DefaultPriceSheet.Load(), []);
        var call = new AuthorizeCall(new CallAttribution("search", "answers", null, "prod", "gpt-4o", null),
            new ControlPlane.Pricing.PricingContext("azure-openai", "gpt-4o", null, false, TimeProvider.System.GetUtcNow()), 1000, 1000);
        await service.AuthorizeAsync(call, sheet);
        return await MeasureAsync(clients, duration, async (_, _) =>
        {
            if (!(await service.AuthorizeAsync(call, sheet)).Allowed)
            {
                throw new InvalidOperationException("An authorization within a huge budget was denied.");
            }
        });
    }

    /// <summary>Each client repeats <paramref name="step"/> until the time is up; returns steps/s and their latency.</summary>
    private static async Task<(double PerSecond, LongHistogram Latency)> MeasureAsync(int clients, TimeSpan duration, Func<int, int, Task> step)
    {
        var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            for (var n = 0; stopwatch.Elapsed < duration; n++)
            {
                var started = Stopwatch.GetTimestamp();
                await step(client, n);
                lock (latency)
                {
                    latency.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }

                Interlocked.Increment(ref done);
            }
        }));
        return (done / stopwatch.Elapsed.TotalSeconds, latency);
    }

    /// <summary>Clients race for a limit that fits 100 reservations; returns how far granted holds exceed it (must be 0).</summary>
    private static async Task<decimal> OvershootAsync(LeaseOptions options, int clients)
    {
        var ledger = new TableBudgetLedger(new TestStorage().Tables, TimeProvider.System, options);
        var budget = HotBudget(1.25m);
        var window = PeriodWindow.For(budget.Period, TimeProvider.System.GetUtcNow());
        var expires = TimeProvider.System.GetUtcNow().AddMinutes(10);
        long granted = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            for (var n = 0; n < 4; n++)
            {
                if ((await ledger.TryReserveAsync(budget, window, $"o{client}-{n}", 0.0125m, expires)).Reserved)
                {
                    Interlocked.Increment(ref granted);
                }
            }
        }));
        var state = await ledger.GetStateAsync(budget, window);
        return Math.Max(0, Math.Max(granted * 0.0125m, state.SpentUsd + state.ReservedUsd) - budget.LimitUsd);
    }
}

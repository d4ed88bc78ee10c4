using System.Collections.Concurrent;
using System.Net.Http.Json;

namespace ControlPlane.Budgets;

/// <summary>
/// The core promise under load: many parallel clients (and several app instances on one storage account) hammer
/// one hard budget with authorize → usage, cancels, abandoned calls and duplicate settles. Spent + reserved must
/// never pass the limit, every abandoned hold must come back after the TTL, and nothing may be charged twice.
/// </summary>
public sealed class BudgetConcurrencyTests
{
    private const decimal LimitUsd = 0.50m;

    [Fact]
    public async Task SixtyFourClients_OneHardBudget_NeverOvershootNeverDoubleChargeNoPhantomSpend()
    {
        await using var app = new ControlPlaneApp();
        await RunAsync([app], clients: 64, callsPerClient: 5, crashAfter: null);
    }

    [Fact]
    public async Task ThreeInstances_OneKilledMidFlight_NeverOvershootNeverDoubleChargeNoPhantomSpend()
    {
        var prefix = Testing.Azurite.NewTablePrefix();
        var apps = Enumerable.Range(0, 3).Select(_ => new ControlPlaneApp(tablePrefix: prefix)).ToList();
        try
        {
            await RunAsync(apps, clients: 48, callsPerClient: 5, crashAfter: 3);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static async Task RunAsync(List<ControlPlaneApp> apps, int clients, int callsPerClient, int? crashAfter)
    {
        var admin = apps[0].Client();
        await admin.PutBudgetAsync("hot", new { scope = new { type = "team", value = "search" }, period = "total", limitUsd = LimitUsd });
        var http = apps.Select(a => a.Client()).ToList();
        var charged = new ConcurrentDictionary<string, decimal>();

        // Usage posted to an instance killed mid-request: the client never heard, but the ledger may have it.
        var unanswered = new ConcurrentBag<string>();
        var samples = new ConcurrentBag<(decimal Spent, decimal Reserved)>();
        var crashed = 0;

        // The clients' own books: money they hold (granted, not yet settled or released) plus what they spent.
        // Holds are dropped from these books just BEFORE the settle or release is sent, so the server's books are
        // never below the clients'; if the clients' books pass the limit, the server granted too much.
        var books = new object();
        decimal outstanding = 0, spentByClients = 0, worstSeen = 0;
        using var sampling = new CancellationTokenSource();

        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var status = await admin.GetBudgetAsync("hot");
                samples.Add((status.Money("spentUsd"), status.Money("reservedUsd")));
            }
        });

        await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (client, _) =>
        {
            var random = new Random(client);
            for (var call = 0; call < callsPerClient; call++)
            {
                // Authorize on one instance, settle on another: instances share nothing but storage.
                var here = http[(client + call) % http.Count];
                var there = http[(client + call + 1) % http.Count];
                if (crashAfter is not null && Volatile.Read(ref crashed) == 1 && (here == http[^1] || there == http[^1]))
                {
                    continue;
                }

                try
                {
                    var granted = await here.AuthorizeAsync(inputTokens: 1000, maxOutputTokens: 2000);
                    if (!granted.GetProperty("allowed").GetBoolean())
                    {
                        continue;
                    }

                    var reservationId = granted.GetProperty("reservationId").GetString()!;
                    var ceiling = granted.Money("ceilingUsd");
                    lock (books)
                    {
                        outstanding += ceiling;
                        worstSeen = Math.Max(worstSeen, outstanding + spentByClients);
                    }

                    switch (random.Next(10))
                    {
                        case < 5:
                            var id = $"c{client}-{call}";
                            var outputTokens = random.Next(0, 2001);
                            lock (books)
                            {
                                outstanding -= ceiling;
                                spentByClients += (1000 * 2.50m + outputTokens * 10m) / 1_000_000m;
                            }

                            unanswered.Add(id);
                            var recorded = await there.PostUsageAsync(id, 1000, outputTokens, reservationId);
                            charged.TryAdd(id, recorded.Money("costUsd"));
                            if (random.Next(2) == 0)
                            {
                                var again = await here.PostUsageAsync(id, 1000, 5, reservationId);
                                Assert.Equal(0m, again.Money("costUsd"));
                            }

                            break;
                        case < 8:
                            lock (books)
                            {
                                outstanding -= ceiling;
                            }

                            (await there.DeleteAsync($"/api/reservations/{reservationId}", CancellationToken.None)).EnsureSuccessStatusCode();
                            break;
                        default:
                            break; // The caller crashed: the hold stays until its TTL.
                    }
                }
                catch (Exception) when (Volatile.Read(ref crashed) == 1)
                {
                    // Calls in flight on the instance that was killed fail; that is the point of the exercise.
                }

                if (crashAfter is { } after && client == 0 && call == after - 1 && Interlocked.Exchange(ref crashed, 1) == 0)
                {
                    await apps[^1].DisposeAsync();
                }
            }
        });
        await sampling.CancelAsync();
        await sampler;

        Assert.True(worstSeen <= LimitUsd, $"Overshoot: clients held and spent {worstSeen} > {LimitUsd}");
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.True(s.Spent + s.Reserved <= LimitUsd, $"Overshoot: spent {s.Spent} + reserved {s.Reserved} > {LimitUsd}"));

        // After the TTL every abandoned hold is back, spend equals exactly what was charged, and the ledger agrees.
        foreach (var app in apps.Take(crashAfter is null ? apps.Count : apps.Count - 1))
        {
            app.Clock.Advance(TimeSpan.FromMinutes(11));
        }

        // A call recorded by the killed instance before it died is real spend the sweep charges (the ledger is the
        // one source of charges); one it never recorded is not. Either way budget and ledger agree to the cent.
        var expected = charged.Values.Sum();
        foreach (var id in unanswered.Distinct().Where(id => !charged.ContainsKey(id)))
        {
            var stored = await admin.GetAsync($"/api/usage/{id}");
            if (stored.IsSuccessStatusCode)
            {
                expected += (await stored.JsonAsync()).Money("costUsd");
            }
        }

        (await admin.PostJsonAsync("/admin/functions/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();
        var final = await admin.GetBudgetAsync("hot");
        Assert.Equal(0m, final.Money("reservedUsd"));
        Assert.Equal(expected, final.Money("spentUsd"));
        Assert.True(final.Money("spentUsd") <= LimitUsd);
        var ledger = await (await admin.GetAsync("/api/costs?groupBy=team&from=2026-11-01&to=2026-12-01")).JsonAsync();
        Assert.Equal(expected, ledger.Money("totalCostUsd"));
        Assert.True(charged.Count > 10, $"Only {charged.Count} calls settled; the test exercised too little.");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using Xunit.Abstractions;

namespace ControlPlane.Hosting;

/// <summary>
/// Three standalone hosts as separate processes on one storage, one of them killed with SIGKILL while authorizations
/// and usage posts are in flight on it. Nothing graceful runs in the killed process: no request finishes, no lease or
/// reservation is handed back, no log is flushed. The other two must carry on without an error, and once the
/// reservation TTL has passed the books must be exact: every usage event charged once, nothing held, no overshoot.
/// </summary>
public sealed class InstanceKillTests(ITestOutputHelper output)
{
    private const decimal LimitUsd = 2.50m;
    private const int Clients = 24;
    private const int CallsPerClient = 10;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["ControlPlane:Budgets:ReservationTtl"] = "00:00:05",
        ["ControlPlane:Budgets:DefinitionCacheDuration"] = "00:00:00", // every instance sees the budget at once
        ["ControlPlane:Budgets:Leases:Duration"] = "00:00:02",
        ["ControlPlane:Budgets:Leases:FoldDelay"] = "00:00:01",
        ["ControlPlane:Durable:Enabled"] = "false", // this test is about the money path; see NightlyBatchKillTests for orchestrations
    };

    [Fact]
    public async Task OneOfThreeInstancesKilledMidAuthorizeAndMidIngest_TheOtherTwoCarryOn_EveryEventChargedOnce_NoOvershoot()
    {
        var prefix = Azurite.NewTablePrefix();
        var hosts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => StandaloneProcess.StartAsync(prefix, StandaloneProcess.PatientDeadlines, Settings)));
        try
        {
            var (victim, survivors) = (hosts[0], hosts[1..]);
            using var admin = survivors[0].Client();
            (await admin.PutAsJsonAsync("/api/budgets/hot", new { scope = new { type = "team", value = "search" }, period = "total", limitUsd = LimitUsd, mode = "hard" })).EnsureSuccessStatusCode();
            var issued = await (await admin.PostAsJsonAsync("/api/keys", new { name = "search app", role = "ingest", teams = new[] { "search" } })).Content.ReadFromJsonAsync<JsonElement>();
            var key = issued.GetProperty("key").GetString()!;
            var http = hosts.Select(h => h.Client(key)).ToArray();

            var traffic = new Traffic(victim, http);
            using var sampling = new CancellationTokenSource();
            var samples = new ConcurrentBag<(decimal Spent, decimal Reserved)>();
            var sampler = Task.Run(async () =>
            {
                using var watcher = survivors[1].Client();
                while (!sampling.IsCancellationRequested)
                {
                    var budget = await (await watcher.GetAsync("/api/budgets/hot")).Content.ReadFromJsonAsync<JsonElement>();
                    samples.Add((budget.Money("spentUsd"), budget.Money("reservedUsd")));
                }
            });

            var killer = Task.Run(traffic.KillTheVictimMidCallAsync);
            await Parallel.ForEachAsync(Enumerable.Range(0, Clients), new ParallelOptions { MaxDegreeOfParallelism = Clients }, (client, _) => traffic.RunClientAsync(client));
            await killer;
            await sampling.CancelAsync();
            await sampler;

            output.WriteLine($"{traffic.Sent.Count} usage events; cut by the kill: {traffic.CutAuthorizations} authorizations, {traffic.CutUsagePosts} usage posts; "
                + $"{samples.Count} budget samples, highest spent + reserved {(samples.IsEmpty ? 0m : samples.Max(s => s.Spent + s.Reserved))} of {LimitUsd}");

            // The kill landed mid-call, of both kinds, and the survivors never failed a request.
            Assert.True(victim.HasExited);
            Assert.True(traffic.CutAuthorizations > 0, "No authorization was in flight on the killed instance.");
            Assert.True(traffic.CutUsagePosts > 0, "No usage post was in flight on the killed instance.");
            Assert.Empty(traffic.SurvivorFailures);
            Assert.True(traffic.Sent.Count > 40, $"Only {traffic.Sent.Count} usage events were sent; the test exercised too little.");

            // Never over the limit while it ran (the killed instance's holds and leases included).
            Assert.NotEmpty(samples);
            Assert.All(samples, s => Assert.True(s.Spent + s.Reserved <= LimitUsd, $"Overshoot: spent {s.Spent} + reserved {s.Reserved} > {LimitUsd}"));

            // After the TTL the sweep gives every abandoned hold back, the killed instance's included; spend is exactly
            // the events sent, each priced once (gpt-4o: $2.50 in, $10 out per million).
            var expected = traffic.Sent.Values.Sum(outputTokens => (1000 * 2.50m + outputTokens * 10m) / 1_000_000m);
            var final = await SweptAsync(admin);
            Assert.Equal(0m, final.Money("reservedUsd"));
            Assert.Equal(expected, final.Money("spentUsd"));
            foreach (var (id, outputTokens) in traffic.Sent)
            {
                var stored = await (await admin.GetAsync($"/api/usage/{id}")).Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal((1000 * 2.50m + outputTokens * 10m) / 1_000_000m, stored.Money("costUsd"));
            }

            var now = TimeProvider.System.GetUtcNow(); // the hosts run on the real clock
            var costs = await (await admin.GetAsync($"/api/costs?groupBy=team&from={now.AddDays(-1):yyyy-MM-dd}T00:00:00Z&to={now.AddDays(2):yyyy-MM-dd}T00:00:00Z")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(expected, costs.Money("totalCostUsd"));
            Assert.Equal(traffic.Sent.Count, costs.GetProperty("requests").GetInt64());
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.Dispose();
            }
        }
    }

    /// <summary>Runs the expiry sweep on a survivor until nothing is held (a lease folds only after its fold delay).</summary>
    private static async Task<JsonElement> SweptAsync(HttpClient admin)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            (await admin.PostAsync("/admin/functions/ReservationExpirySweep", null)).EnsureSuccessStatusCode();
            var budget = await (await admin.GetAsync("/api/budgets/hot")).Content.ReadFromJsonAsync<JsonElement>();
            if (budget.Money("reservedUsd") == 0m || waited.Elapsed > TimeSpan.FromSeconds(90))
            {
                return budget;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>
    /// Apps as they behave against three instances: authorize on one, post usage on the next; a call the killed
    /// instance never answered is sent again, with the same ids, to a survivor.
    /// </summary>
    private sealed class Traffic(StandaloneProcess victim, HttpClient[] http)
    {
        private int _inFlightAuthorizations;
        private int _inFlightUsagePosts;
        private int _callsDone;
        private int _killed;
        private int _cutAuthorizations;
        private int _cutUsagePosts;

        /// <summary>Usage events sent (retries included once): id → output tokens.</summary>
        public ConcurrentDictionary<string, long> Sent { get; } = new();

        public ConcurrentQueue<string> SurvivorFailures { get; } = new();

        public int CutAuthorizations => _cutAuthorizations;

        public int CutUsagePosts => _cutUsagePosts;

        private bool Killed => Volatile.Read(ref _killed) == 1;

        /// <summary>Once traffic is warm, SIGKILL the first instance at a moment it holds both kinds of call.</summary>
        public async Task KillTheVictimMidCallAsync()
        {
            var waited = Stopwatch.StartNew();
            while (!(Volatile.Read(ref _callsDone) >= Clients && Volatile.Read(ref _inFlightAuthorizations) >= 2 && Volatile.Read(ref _inFlightUsagePosts) >= 2))
            {
                if (waited.Elapsed > TimeSpan.FromMinutes(2) || Volatile.Read(ref _callsDone) >= Clients * CallsPerClient)
                {
                    throw new TimeoutException("The killed instance never had authorizations and usage posts in flight at once.");
                }

                await Task.Yield();
            }

            // Marked first: a call cut by the kill must find the mark when its connection drops.
            Volatile.Write(ref _killed, 1);
            victim.Kill();
        }

        public async ValueTask RunClientAsync(int client)
        {
            var random = new Random(client);
            for (var call = 0; call < CallsPerClient; call++)
            {
                var granted = await SendAsync((client + call) % 3, isAuthorization: true, h => h.PostAsJsonAsync("/api/authorize", new
                {
                    team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, maxOutputTokens = 2000,
                }));
                Interlocked.Increment(ref _callsDone);
                if (granted is null || !granted.Value.GetProperty("allowed").GetBoolean())
                {
                    continue;
                }

                var reservationId = granted.Value.GetProperty("reservationId").GetString()!;
                switch (random.Next(10))
                {
                    case < 6:
                        var id = $"kill-{client}-{call}";
                        var outputTokens = random.Next(0, 2001);
                        Sent[id] = outputTokens;
                        await SendAsync((client + call + 1) % 3, isAuthorization: false, h => h.PostAsJsonAsync("/api/usage", new
                        {
                            id, team = "search", feature = "answers", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, outputTokens, reservationId,
                        }));
                        break;
                    case < 8:
                        await SendAsync((client + call + 1) % 3, isAuthorization: false, h => h.DeleteAsync($"/api/reservations/{reservationId}"), counted: false);
                        break;
                    default:
                        break; // the app crashed between authorize and usage: the hold stays until its TTL
                }
            }
        }

        /// <summary>
        /// Sends to instance <paramref name="preferred"/>, or the next one alive. When the killed instance does not
        /// answer, the same request goes to a survivor; a survivor must always answer with a success.
        /// </summary>
        private async Task<JsonElement?> SendAsync(int preferred, bool isAuthorization, Func<HttpClient, Task<HttpResponseMessage>> send, bool counted = true)
        {
            var target = Killed && preferred == 0 ? 1 : preferred;
            while (true)
            {
                var onVictim = target == 0;
                if (onVictim && counted)
                {
                    Interlocked.Increment(ref isAuthorization ? ref _inFlightAuthorizations : ref _inFlightUsagePosts);
                }

                HttpResponseMessage response;
                try
                {
                    response = await send(http[target]);
                }
                catch (HttpRequestException) when (onVictim && Killed)
                {
                    // Killed under this request: the app never heard back, so it sends the same request elsewhere.
                    Interlocked.Increment(ref isAuthorization ? ref _cutAuthorizations : ref _cutUsagePosts);
                    target = 1;
                    continue;
                }
                finally
                {
                    if (onVictim && counted)
                    {
                        Interlocked.Decrement(ref isAuthorization ? ref _inFlightAuthorizations : ref _inFlightUsagePosts);
                    }
                }

                if (!response.IsSuccessStatusCode)
                {
                    SurvivorFailures.Enqueue($"{(int)response.StatusCode} from instance {target}: {await response.Content.ReadAsStringAsync()}");
                    return null;
                }

                return response.Content.Headers.ContentLength == 0 ? null : await response.Content.ReadFromJsonAsync<JsonElement>();
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Testing;
using HdrHistogram;

namespace ControlPlane.Benchmarks.Reliability;

/// <summary>
/// Three standalone instances (separate processes) on one storage under a realistic mix, at a target rate for a bounded time, then an exact
/// reconciliation: every event an instance acknowledged is in the ledger once; the ledger's cost equals the cost
/// query's (served from rollups) and the FOCUS file's; spent + reserved stays within every hard budget.
/// <para>
/// The mix, per operation started: 30 % authorize then usage on a hard budget sized to run out mid-run (so denials
/// and the no-overshoot invariant are exercised), 20 % single usage events, 10 % batches of 20, 10 % OTLP/JSON exports
/// of 5 GenAI spans, 10 % kill-switch checks, 10 % cost queries (team × day), 10 % dashboard queries (features and
/// budgets); 5 % of acknowledged usage posts are sent again, as a client retry would, and must change nothing; a 503
/// is retried with the same ids, as the .NET client and OTLP exporters do.
/// Operations are started on a fixed schedule whether or not earlier ones finished (open loop), and latency is
/// measured from when each should have started, so a stall shows instead of slowing the load down.
/// </para>
/// </summary>
public static class MixedLoadDriver
{
    private const decimal HotLimitUsd = 0.40m;
    private const decimal BulkLimitUsd = 1_000m;
    private const int MaxInFlight = 256;

    private static readonly string[] Kinds = ["authorize+usage", "usage", "usage batch", "otlp", "killswitch check", "cost query", "dashboard"];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var prefix = Azurite.NewTablePrefix();
        Console.WriteLine($"Mixed load: 3 standalone processes on one Azurite, {rate} operations/s for {seconds} s");

        // Three processes, as three instances of a deployment are: each its own thread pool, GC and connection pools,
        // talking to each other only through storage, over real sockets.
        var instances = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => StandaloneProcess.StartAsync(prefix)));
        try
        {
            var admin = instances[0].Client();
            await PutAsync(admin, "/api/budgets/hot", new { scope = new { type = "team", value = "hot" }, period = "monthly", limitUsd = HotLimitUsd, mode = "hard" });
            await PutAsync(admin, "/api/budgets/bulk", new { scope = new { type = "team", value = "bulk" }, period = "monthly", limitUsd = BulkLimitUsd, mode = "hard" });
            var ingestKey = await IssueKeyAsync(admin, "ingest", ["hot", "bulk"]);
            var financeKey = await IssueKeyAsync(admin, "finance", []);
            var clients = instances.Select(i => (Ingest: Client(i, ingestKey), Finance: Client(i, financeKey))).ToList();
            var from = TimeProvider.System.GetUtcNow().AddHours(-1);

            var load = new Load(clients, from);
            Console.WriteLine("Unloaded baseline: 10 of each operation, one at a time …");
            var baseline = await load.BaselineAsync(10);
            Console.WriteLine($"Load: {seconds} s …");
            var (elapsed, started) = await load.RunAsync(rate, TimeSpan.FromSeconds(seconds));

            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Started {started:N0} operations in {elapsed.TotalSeconds:N1} s: {started / elapsed.TotalSeconds:N1}/s (target {rate}/s); events acknowledged {load.Acknowledged.Count:N0} ({load.Acknowledged.Count / elapsed.TotalSeconds:N0}/s), re-sent {load.Resent:N0}, retried after a 503 {load.Retried:N0}, authorizations denied {load.Denied:N0}"));
            Console.WriteLine();
            Console.WriteLine("| operation | count | errors | p50 ms | p95 ms | p99 ms | p50 unloaded ms | p50 ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var kind in Kinds)
            {
                var h = load.Latency[kind];
                var b = baseline[kind];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {h.TotalCount:N0} | {load.Errors.GetValueOrDefault(kind):N0} | {Ms(h, 50):N1} | {Ms(h, 95):N1} | {Ms(h, 99):N1} | {Ms(b, 50):N1} | {Ms(h, 50) / Math.Max(Ms(b, 50), 0.1):N1}× |"));
            }

            foreach (var (kind, error) in load.ErrorSamples)
            {
                Console.WriteLine($"  first error of {kind}: {error}");
            }

            Console.WriteLine();
            return await ReconcileAsync(admin, clients[1].Finance, load, from) ? 0 : 1;
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private static async Task<bool> ReconcileAsync(HttpClient admin, HttpClient finance, Load load, DateTimeOffset from)
    {
        var to = TimeProvider.System.GetUtcNow().AddHours(2);
        var range = string.Create(CultureInfo.InvariantCulture, $"from={from:yyyy-MM-ddTHH:00:00Z}&to={to:yyyy-MM-ddTHH:00:00Z}");

        // The ledger, read call by call (GET /api/usage pages the ledger itself, not the rollups).
        var ledger = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var duplicates = 0;
        string? next = null;
        do
        {
            var page = await GetJsonAsync(admin, $"/api/usage?{range}&limit=1000{(next is null ? "" : "&next=" + Uri.EscapeDataString(next))}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                var key = item.GetProperty("team").GetString() + "/" + item.GetProperty("id").GetString();
                duplicates += ledger.TryAdd(key, item.GetProperty("costUsd").GetDecimal()) ? 0 : 1;
            }

            next = page.TryGetProperty("next", out var n) ? n.GetString() : null;
        }
        while (next is not null);

        var costs = (await GetJsonAsync(finance, $"/api/costs?groupBy=team&{range}")).GetProperty("totals");
        var focus = await FocusTotalAsync(admin);
        var budgets = await GetJsonAsync(finance, "/api/budgets");
        var acknowledged = load.Acknowledged.Keys.ToHashSet(StringComparer.Ordinal);
        var missing = acknowledged.Count(id => !ledger.ContainsKey(id));
        var unexpected = ledger.Keys.Count(id => !acknowledged.Contains(id) && !load.MaybeRecorded.ContainsKey(id));
        var ledgerCost = ledger.Values.Sum();

        var checks = new List<(string Claim, bool Holds, string Figures)>
        {
            ("every acknowledged event is in the ledger, once", missing == 0 && duplicates == 0,
                $"acknowledged {acknowledged.Count:N0}, missing {missing}, duplicated {duplicates}"),
            ("nothing is in the ledger that no answer acknowledged (beyond calls whose answer was lost)", unexpected == 0,
                $"ledger {ledger.Count:N0}, unexplained {unexpected}, answer lost {load.MaybeRecorded.Count}"),
            ("ledger cost = cost query (rollups)", ledgerCost == costs.GetProperty("costUsd").GetDecimal() && ledger.Count == costs.GetProperty("requests").GetInt64(),
                $"ledger ${ledgerCost} in {ledger.Count:N0} calls, cost query ${costs.GetProperty("costUsd").GetDecimal()} in {costs.GetProperty("requests").GetInt64():N0}"),
            ("ledger cost = FOCUS BilledCost", ledgerCost == focus, $"FOCUS ${focus}"),
        };
        foreach (var budget in budgets.GetProperty("budgets").EnumerateArray())
        {
            var limit = budget.GetProperty("limitUsd").GetDecimal();
            var held = budget.GetProperty("spentUsd").GetDecimal() + budget.GetProperty("reservedUsd").GetDecimal();
            checks.Add(($"spent + reserved ≤ limit on hard budget {budget.GetProperty("id").GetString()}", held <= limit,
                $"spent {budget.GetProperty("spentUsd").GetDecimal()} + reserved {budget.GetProperty("reservedUsd").GetDecimal()} of {limit}"));
        }

        Console.WriteLine("| reconciliation | holds | figures |");
        Console.WriteLine("|---|---|---|");
        foreach (var (claim, holds, figures) in checks)
        {
            Console.WriteLine($"| {claim} | {(holds ? "yes" : "**NO**")} | {figures} |");
        }

        return checks.All(c => c.Holds);
    }

    /// <summary>Runs the monthly report of this month now and adds up its FOCUS file's BilledCost column.</summary>
    private static async Task<decimal> FocusTotalAsync(HttpClient admin)
    {
        var month = TimeProvider.System.GetUtcNow().ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var run = await admin.PostAsJsonAsync("/api/reports/run", new { kind = "monthly", period = month });
        var body = await run.Content.ReadAsStringAsync();
        if (!run.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The monthly report did not run: {(int)run.StatusCode} {body}");
        }

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString();
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromMinutes(3); await Task.Delay(1000))
        {
            var report = await GetJsonAsync(admin, $"/api/reports/{id}");
            if (report.GetProperty("status").GetString() == "completed")
            {
                using var stream = new MemoryStream(await admin.GetByteArrayAsync($"/api/reports/{id}/files/focus.csv"));
                using var reader = CsvHelper.CsvReader.Create(stream, null, leaveOpen: true);
                var total = 0m;
                while (reader.Read())
                {
                    var column = reader.Headers!.ToList().IndexOf("BilledCost");
                    total += decimal.Parse(reader.GetString(column), CultureInfo.InvariantCulture);
                }

                return total;
            }
        }

        throw new TimeoutException($"The monthly report {id} did not complete in 3 minutes.");
    }

    private static double Ms(LongHistogram h, double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;

    private static HttpClient Client(StandaloneProcess instance, string key)
    {
        var client = instance.Client(key);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return client;
    }

    private static async Task PutAsync(HttpClient client, string path, object body)
    {
        var response = await client.PutAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<string> IssueKeyAsync(HttpClient admin, string role, string[] teams)
    {
        var response = await admin.PostAsJsonAsync("/api/keys", new { name = $"load {role}", role, teams });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.Clone()
            : throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
    }

    /// <summary>The operations, what they acknowledged, and how long they took.</summary>
    private sealed class Load(List<(HttpClient Ingest, HttpClient Finance)> clients, DateTimeOffset from)
    {
        private int _sequence;
        private int _resent;
        private int _denied;
        private int _retried;

        /// <summary>team/id of every event an answer acknowledged as recorded (or as a duplicate of one recorded).</summary>
        public ConcurrentDictionary<string, byte> Acknowledged { get; } = new(StringComparer.Ordinal);

        /// <summary>Events whose request failed without an answer (5xx, timeout): the ledger may or may not have them.</summary>
        public ConcurrentDictionary<string, byte> MaybeRecorded { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, LongHistogram> Latency { get; } = Kinds.ToDictionary(k => k, _ => new LongHistogram(TimeStamp.Minutes(10), 3));
        public ConcurrentDictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, string> ErrorSamples { get; } = new(StringComparer.Ordinal);
        public int Resent => _resent;
        public int Denied => _denied;
        public int Retried => _retried;

        public async Task<Dictionary<string, LongHistogram>> BaselineAsync(int each)
        {
            var baseline = Kinds.ToDictionary(k => k, _ => new LongHistogram(TimeStamp.Minutes(10), 3));

            // A first round unrecorded: each process JITs, fills its caches and opens its connections on its own, and a
            // cold first call in one of three processes would otherwise make the unloaded baseline slower than load.
            foreach (var record in new[] { false, true })
            {
                foreach (var kind in Kinds)
                {
                    for (var i = 0; i < each; i++)
                    {
                        var watch = Stopwatch.StartNew();
                        await RunOneAsync(kind, clients[i % clients.Count]);
                        if (record)
                        {
                            baseline[kind].RecordValue(Math.Max(1, watch.Elapsed.Ticks / 10));
                        }
                    }
                }
            }

            return baseline;
        }

        public async Task<(TimeSpan Elapsed, int Started)> RunAsync(int rate, TimeSpan duration)
        {
            var random = new Random(20261129);
            var gate = new SemaphoreSlim(MaxInFlight);
            var running = new List<Task>();
            var clock = Stopwatch.StartNew();
            var started = 0;
            var interval = TimeSpan.FromSeconds(1.0 / rate);
            while (clock.Elapsed < duration)
            {
                var due = interval * started;
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                var kind = Pick(random.Next(100));
                var client = clients[random.Next(clients.Count)];
                var dueAt = due;
                await gate.WaitAsync();
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await RunOneAsync(kind, client);
                    }
                    finally
                    {
                        // From when it should have started: a queue behind a stall counts against the stall.
                        lock (Latency[kind])
                        {
                            Latency[kind].RecordValue(Math.Max(1, (clock.Elapsed - dueAt).Ticks / 10));
                        }

                        gate.Release();
                    }
                }));
                started++;
            }

            await Task.WhenAll(running);
            return (clock.Elapsed, started);
        }

        /// <summary>
        /// As a well-behaved client does (the .NET client, an OTLP exporter): a 503 is retried with the same body, so
        /// the same ids, after a backoff; three times at most.
        /// </summary>
        private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<Task<HttpResponseMessage>> send)
        {
            for (var attempt = 0; ; attempt++)
            {
                var response = await send();
                if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || attempt == 3)
                {
                    return response;
                }

                Interlocked.Increment(ref _retried);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * (1 << attempt)));
            }
        }

        private static string Pick(int roll) => roll switch
        {
            < 30 => "authorize+usage",
            < 50 => "usage",
            < 60 => "usage batch",
            < 70 => "otlp",
            < 80 => "killswitch check",
            < 90 => "cost query",
            _ => "dashboard",
        };

        private async Task RunOneAsync(string kind, (HttpClient Ingest, HttpClient Finance) client)
        {
            try
            {
                switch (kind)
                {
                    case "authorize+usage":
                        await AuthorizeThenUseAsync(client.Ingest);
                        break;
                    case "usage":
                        await PostUsageAsync(kind, client.Ingest, [Event("bulk", null)]);
                        break;
                    case "usage batch":
                        await PostUsageAsync(kind, client.Ingest, [.. Enumerable.Range(0, 20).Select(_ => Event("bulk", null))]);
                        break;
                    case "otlp":
                        await PostOtlpAsync(client.Ingest);
                        break;
                    case "killswitch check":
                        await ExpectOkAsync(kind, client.Ingest.GetAsync("/api/killswitches/check?team=hot&feature=answers"));
                        break;
                    case "cost query":
                        await ExpectOkAsync(kind, client.Finance.GetAsync(string.Create(CultureInfo.InvariantCulture, $"/api/costs?groupBy=team,day&from={from:yyyy-MM-dd}")));
                        break;
                    default:
                        await ExpectOkAsync(kind, client.Finance.GetAsync(string.Create(CultureInfo.InvariantCulture, $"/api/costs?groupBy=feature&from={from:yyyy-MM-dd}")));
                        await ExpectOkAsync(kind, client.Finance.GetAsync("/api/budgets"));
                        break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                Fail(kind, ex.GetType().Name + ": " + ex.Message);
            }
        }

        private async Task AuthorizeThenUseAsync(HttpClient ingest)
        {
            const string kind = "authorize+usage";
            var response = await ingest.PostAsJsonAsync("/api/authorize", new { team = "hot", feature = "answers", provider = "azure-openai", model = "gpt-4o-mini", inputTokens = 1000, maxOutputTokens = 500 });
            if (!response.IsSuccessStatusCode)
            {
                Fail(kind, $"authorize {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                return;
            }

            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (!answer.GetProperty("allowed").GetBoolean())
            {
                Interlocked.Increment(ref _denied);
                return;
            }

            var reservation = answer.TryGetProperty("reservationId", out var r) ? r.GetString() : null;
            await PostUsageAsync(kind, ingest, [Event("hot", reservation)]);
        }

        private static Dictionary<string, object?> UsageFields(string team, string id, string? reservationId) => new()
        {
            ["id"] = id, ["team"] = team, ["feature"] = "answers", ["user"] = $"u{id.GetHashCode() & 15}", ["provider"] = "azure-openai", ["model"] = "gpt-4o-mini",
            ["inputTokens"] = 1000, ["outputTokens"] = 200, ["reservationId"] = reservationId,
        };

        private Dictionary<string, object?> Event(string team, string? reservationId) =>
            UsageFields(team, $"load-{Interlocked.Increment(ref _sequence)}", reservationId);

        private async Task PostUsageAsync(string kind, HttpClient ingest, List<Dictionary<string, object?>> events)
        {
            var keys = events.Select(e => $"{e["team"]}/{e["id"]}").ToList();
            object body = events.Count == 1 ? events[0] : new { events };
            for (var send = 0; send < 2; send++)
            {
                HttpResponseMessage response;
                try
                {
                    response = await SendWithRetriesAsync(() => ingest.PostAsJsonAsync("/api/usage", body));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    foreach (var key in keys)
                    {
                        MaybeRecorded.TryAdd(key, 0);
                    }

                    throw;
                }

                if (!response.IsSuccessStatusCode)
                {
                    foreach (var key in keys)
                    {
                        MaybeRecorded.TryAdd(key, 0);
                    }

                    Fail(kind, $"usage {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return;
                }

                foreach (var key in keys)
                {
                    Acknowledged.TryAdd(key, 0);
                }

                // One post in twenty is sent again, as a client that lost the answer would: it must change nothing.
                if (send == 0 && Random.Shared.Next(20) != 0)
                {
                    return;
                }

                if (send == 0)
                {
                    Interlocked.Increment(ref _resent);
                }
            }
        }

        private async Task PostOtlpAsync(HttpClient ingest)
        {
            const string kind = "otlp";
            var now = TimeProvider.System.GetUtcNow();
            var trace = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            var spans = Enumerable.Range(0, 5).Select(i =>
            {
                var span = Convert.ToHexStringLower(BitConverter.GetBytes(((long)Interlocked.Increment(ref _sequence) << 8) | (long)i));
                return (Key: $"bulk/otlp:{trace}:{span}", Json: Span(trace, span, now));
            }).ToList();
            var body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + Attribute("service.name", "load") + "," + Attribute("controlplane.team", "bulk") + "]},"
                + "\"scopeSpans\":[{\"spans\":[" + string.Join(',', spans.Select(s => s.Json)) + "]}]}]}";
            HttpResponseMessage response;
            try
            {
                response = await SendWithRetriesAsync(() => ingest.PostAsync("/v1/traces", new StringContent(body, Encoding.UTF8, "application/json")));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                foreach (var span in spans)
                {
                    MaybeRecorded.TryAdd(span.Key, 0);
                }

                throw;
            }

            var answer = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || answer.Contains("rejectedSpans", StringComparison.Ordinal))
            {
                foreach (var span in spans)
                {
                    MaybeRecorded.TryAdd(span.Key, 0);
                }

                Fail(kind, $"{(int)response.StatusCode} {answer}");
                return;
            }

            foreach (var span in spans)
            {
                Acknowledged.TryAdd(span.Key, 0);
            }
        }

        private static string Span(string trace, string span, DateTimeOffset end)
        {
            var endNanos = (end.ToUnixTimeMilliseconds() * 1_000_000).ToString(CultureInfo.InvariantCulture);
            var startNanos = ((end.ToUnixTimeMilliseconds() - 800) * 1_000_000).ToString(CultureInfo.InvariantCulture);
            var attributes = string.Join(',',
                Attribute("gen_ai.operation.name", "chat"), Attribute("gen_ai.provider.name", "azure.ai.openai"), Attribute("gen_ai.request.model", "gpt-4o-mini"),
                Attribute("controlplane.feature", "otlp-answers"), Count("gen_ai.usage.input_tokens", 1000), Count("gen_ai.usage.output_tokens", 200));
            return "{\"traceId\":\"" + trace + "\",\"spanId\":\"" + span + "\",\"name\":\"chat gpt-4o-mini\",\"kind\":3,"
                + "\"startTimeUnixNano\":\"" + startNanos + "\",\"endTimeUnixNano\":\"" + endNanos + "\",\"attributes\":[" + attributes + "]}";
        }

        private static string Attribute(string key, string value) => JsonSerializer.Serialize(new { key, value = new { stringValue = value } });

        private static string Count(string key, long value) =>
            JsonSerializer.Serialize(new { key, value = new { intValue = value.ToString(CultureInfo.InvariantCulture) } });

        private async Task ExpectOkAsync(string kind, Task<HttpResponseMessage> call)
        {
            using var response = await call;
            if (!response.IsSuccessStatusCode)
            {
                Fail(kind, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        private void Fail(string kind, string error)
        {
            Errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
            ErrorSamples.TryAdd(kind, error.Length > 300 ? error[..300] : error);
        }
    }
}

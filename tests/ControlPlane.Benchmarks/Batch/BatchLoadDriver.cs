using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks.Batch;

/// <summary>
/// Deferrable requests end to end on Azurite and the fake Azure OpenAI: submissions/s through
/// <c>POST /api/batch/requests</c> against <c>POST /api/authorize</c> for the same calls (baseline: a submission is an
/// authorization plus a blob and a row), then one nightly run over all of them, with each step's wall time and
/// settle throughput against recording the same number of usage events through <c>POST /api/usage</c>
/// (baseline: settling is recording plus the per-request bookkeeping).
/// </summary>
public static class BatchLoadDriver
{
    public static async Task RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
        Console.WriteLine($"Batch load: {requests:N0} deferrable requests, {clients} parallel clients, Azurite + fake Azure OpenAI");

        await using var openAI = await FakeAzureOpenAIServer.StartAsync();
        await using var app = BenchmarkApp.Start(settings: new Dictionary<string, string>
        {
            ["ControlPlane:AzureOpenAI:Endpoint"] = openAI.BaseAddress.ToString(),
            ["ControlPlane:AzureOpenAI:ApiKey"] = openAI.ApiKey,
            ["ControlPlane:Batch:PollInterval"] = "00:00:01",
            ["ControlPlane:Batch:FileCheckInterval"] = "00:00:01",
            ["ControlPlane:Durable:MaxQueuePollingInterval"] = "00:00:00.250",
        });
        var client = app.AdminClient();
        (await client.PutAsJsonAsync("/api/budgets/search", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 1_000_000m, mode = "hard" })).EnsureSuccessStatusCode();

        // Warm-up: JIT, tables, containers, the tokenizer.
        await AuthorizeAsync(client, 50, clients);
        await SubmitAsync(client, 50, clients, "warm");
        var warmRun = await StartAndFinishAsync(app, client);

        var authorize = await AuthorizeAsync(client, requests, clients);
        var submit = await SubmitAsync(client, requests, clients, "load");
        var ingest = await IngestAsync(client, requests);
        var (runSeconds, steps) = await StartAndFinishAsync(app, client);

        Console.WriteLine();
        Console.WriteLine("| path | requests/s | ratio to baseline |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| POST /api/authorize (baseline) | {authorize:N0} | 100% |");
        Console.WriteLine($"| POST /api/batch/requests | {submit:N0} | {submit / authorize:P0} |");
        var settle = requests / steps["settle"];
        Console.WriteLine($"| POST /api/usage, 1,000 events/request (baseline) | {ingest:N0} | 100% |");
        Console.WriteLine($"| nightly settle step (download, map, record, update) | {settle:N0} | {settle / ingest:P0} |");
        Console.WriteLine();
        Console.WriteLine($"Nightly run over {requests:N0} requests: {runSeconds:N1} s in all (warm-up run over 50: {warmRun.Seconds:N1} s).");
        Console.WriteLine("| step | seconds |");
        Console.WriteLine("|---|---:|");
        foreach (var (step, seconds) in steps)
        {
            Console.WriteLine($"| {step} | {seconds:N2} |");
        }
    }

    private static object Body(string id) => new
    {
        id, team = "search", feature = "summaries", model = "gpt-4o-mini", maxOutputTokens = 200,
        body = new { messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = $"Summarise ticket {id}: the printer on floor 3 is out of toner again." } } },
    };

    private static async Task<double> AuthorizeAsync(HttpClient client, int count, int clients) =>
        await ParallelAsync(count, clients, i => client.PostAsJsonAsync("/api/authorize", new
        {
            team = "search", feature = "summaries", provider = "azure-openai", model = "gpt-4o-mini", inputTokens = 40, maxOutputTokens = 200,
        }));

    private static async Task<double> SubmitAsync(HttpClient client, int count, int clients, string prefix) =>
        await ParallelAsync(count, clients, i => client.PostAsJsonAsync("/api/batch/requests", Body($"{prefix}-{i}")));

    private static async Task<double> IngestAsync(HttpClient client, int count)
    {
        var stopwatch = Stopwatch.StartNew();
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            var response = await client.PostAsJsonAsync("/api/usage", new
            {
                events = chunk.Select(i => new
                {
                    id = $"baseline-{i}", team = "search", feature = "summaries", provider = "azure-openai", model = "gpt-4o-mini",
                    inputTokens = 40, outputTokens = 16,
                }),
            });
            response.EnsureSuccessStatusCode();
        }

        return count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<double> ParallelAsync(int count, int clients, Func<int, Task<HttpResponseMessage>> call)
    {
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var response = await call(i);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"Call {i} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Starts a run through the API and watches it (every 100 ms) until it completes; returns wall time and how long
    /// the run reported each step (its custom status) as current.
    /// </summary>
    private static async Task<(double Seconds, Dictionary<string, double> Steps)> StartAndFinishAsync(WebApplicationFactory<ControlPlane.Standalone.Program> app, HttpClient client)
    {
        var stopwatch = Stopwatch.StartNew();
        var started = await (await client.PostAsync("/api/orchestrations/nightly-batch/start", null)).Content.ReadFromJsonAsync<JsonElement>();
        var id = started.GetProperty("id").GetString()!;
        var steps = new Dictionary<string, double>();
        var (current, since) = ("pending", 0.0);
        while (true)
        {
            var run = await (await client.GetAsync($"/api/orchestrations/{id}")).Content.ReadFromJsonAsync<JsonElement>();
            var status = run.GetProperty("status").GetString();
            var step = run.TryGetProperty("step", out var s) ? s.GetString() ?? current : current;
            var now = stopwatch.Elapsed.TotalSeconds;
            if (step != current)
            {
                steps[current] = steps.GetValueOrDefault(current) + (now - since);
                (current, since) = (step, now);
            }

            if (status == "completed")
            {
                return (now, steps);
            }

            if (status is "failed" or "terminated")
            {
                throw new InvalidOperationException($"The run ended {status}: {run}");
            }

            await Task.Delay(100);
        }
    }
}

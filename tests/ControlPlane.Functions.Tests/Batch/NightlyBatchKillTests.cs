using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Batch;

/// <summary>
/// The standalone host as its own process, killed with SIGKILL (not stopped) while the nightly run waits on the
/// provider and again in the middle of settling. A host started after each kill, on the same storage, finishes the
/// run: one batch per deployment, every request settled once, the budget charged exactly what the requests cost.
/// </summary>
public sealed class NightlyBatchKillTests
{
    private const string AdminKey = "kill-test-admin-key-0123456789";

    [Fact]
    public async Task NightlyRun_HostKilledWhileWaitingOnTheProviderAndWhileSettling_ARestartedHostFinishesItOnce()
    {
        await using var openAI = await FakeAzureOpenAIServer.StartAsync();
        openAI.PollsPerState = 1_000; // the batches stay in progress until the test lets them finish
        var prefix = Azurite.NewTablePrefix();

        var host = await StandaloneProcess.StartAsync(prefix, openAI);
        string runId;
        string[] ids;
        try
        {
            using var admin = host.Client(AdminKey);
            (await admin.PutAsJsonAsync("/api/budgets/search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" })).EnsureSuccessStatusCode();
            ids = [await SubmitAsync(admin, "gpt-4o-mini"), await SubmitAsync(admin, "gpt-4o-mini"), await SubmitAsync(admin, "gpt-4o")];
            var started = await (await admin.PostAsync("/admin/functions/StartNightlyBatch", null)).Content.ReadFromJsonAsync<JsonElement>();
            runId = started.GetProperty("runId").GetString()!;
            await WaitAsync(admin, runId, run => Step(run) == "poll" && openAI.Batches.Count == 2);
        }
        finally
        {
            host.Kill();
        }

        // Waiting on the provider: a new host picks the run up where its durable timer left it.
        openAI.PollsPerState = 1;
        openAI.SlowContentAfter = 1; // the second deployment's download is slow: the kill lands mid-settle
        openAI.SlowContent = TimeSpan.FromSeconds(30);
        host = await StandaloneProcess.StartAsync(prefix, openAI);
        try
        {
            using var admin = host.Client(AdminKey);
            await WaitAsync(admin, runId, run => Step(run) == "settle" && SettledSome(admin, ids));
        }
        finally
        {
            host.Kill();
        }

        openAI.SlowContent = TimeSpan.Zero;
        host = await StandaloneProcess.StartAsync(prefix, openAI);
        try
        {
            using var admin = host.Client(AdminKey);
            var run = await WaitAsync(admin, runId, run => run.GetProperty("status").GetString() is "completed" or "failed" or "terminated");

            Assert.Equal("completed", run.GetProperty("status").GetString());
            Assert.Equal(2, openAI.Batches.Count);
            Assert.Equal(2, openAI.Files.Count(f => f.Purpose == "batch" && f.FileName.StartsWith(runId, StringComparison.Ordinal)));
            decimal total = 0;
            foreach (var id in ids)
            {
                var request = await (await admin.GetAsync($"/api/batch/requests/{id}")).Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("completed", request.GetProperty("status").GetString());
                Assert.Equal(1, request.GetProperty("attempts").GetInt32());
                total += request.GetProperty("costUsd").GetDecimal();
            }

            Assert.Equal(3, run.GetProperty("output").GetProperty("completed").GetInt32());
            Assert.Equal(total, run.GetProperty("output").GetProperty("costUsd").GetDecimal());
            var month = TimeProvider.System.GetUtcNow();
            var costs = await (await admin.GetAsync($"/api/costs?groupBy=team&from={month.AddDays(-1):yyyy-MM-dd}T00:00:00Z&to={month.AddDays(2):yyyy-MM-dd}T00:00:00Z"))
                .Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(3, costs.GetProperty("requests").GetInt64());
            Assert.Equal(total, costs.GetProperty("totalCostUsd").GetDecimal());
            var budget = await (await admin.GetAsync("/api/budgets/search-monthly")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(total, budget.GetProperty("spentUsd").GetDecimal());
            Assert.Equal(0m, budget.GetProperty("reservedUsd").GetDecimal());
        }
        finally
        {
            host.Kill();
        }
    }

    /// <summary>The first deployment's requests are settled (usage recorded) while the second's download hangs.</summary>
    private static bool SettledSome(HttpClient admin, string[] ids) =>
        ids.Any(id => admin.GetFromJsonAsync<JsonElement>($"/api/batch/requests/{id}").GetAwaiter().GetResult().GetProperty("status").GetString() == "completed");

    private static string? Step(JsonElement run) => run.TryGetProperty("step", out var step) ? step.GetString() : null;

    private static async Task<string> SubmitAsync(HttpClient admin, string model)
    {
        var response = await admin.PostAsJsonAsync("/api/batch/requests", new
        {
            team = "search", feature = "summaries", model, maxOutputTokens = 200,
            body = new { messages = new object[] { new { role = "user", content = "Summarise the ticket." } } },
        });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitAsync(HttpClient admin, string runId, Func<JsonElement, bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var response = await admin.GetAsync($"/api/orchestrations/{runId}");
            if (response.IsSuccessStatusCode)
            {
                var run = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (condition(run))
                {
                    return run;
                }

                if (waited.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"Run {runId}: {run}");
                }
            }

            await Task.Delay(200);
        }
    }

    /// <summary><c>dotnet ControlPlane.Standalone.dll --urls …</c>, as scripts/dev.sh starts it.</summary>
    private sealed class StandaloneProcess(Process process, int port)
    {
        public static async Task<StandaloneProcess> StartAsync(string prefix, FakeAzureOpenAIServer openAI)
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dll = Path.Combine(Azurite.RepositoryRoot(), "src", "ControlPlane.Standalone", "bin", configuration, "net10.0", "ControlPlane.Standalone.dll");
            var port = FakeEventGridTopic.FreePort();
            var start = new ProcessStartInfo("dotnet", $"\"{dll}\" --urls http://127.0.0.1:{port}")
            {
                UseShellExecute = false,
                RedirectStandardOutput = false,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
            };
            start.Environment["ControlPlane__Storage__ConnectionString"] = Azurite.ConnectionString;
            start.Environment["ControlPlane__Storage__TablePrefix"] = prefix;
            start.Environment["ControlPlane__AdminKey"] = AdminKey;
            start.Environment["ControlPlane__Deadlines__Authorize"] = "00:00:30"; // a loaded CI machine must not fail closed here
            start.Environment["ControlPlane__Deadlines__Ingest"] = "00:01:00";
            start.Environment["ControlPlane__AzureOpenAI__Endpoint"] = openAI.BaseAddress.ToString();
            start.Environment["ControlPlane__AzureOpenAI__ApiKey"] = openAI.ApiKey;
            start.Environment["ControlPlane__AzureOpenAI__MaxRetries"] = "0";
            start.Environment["ControlPlane__Batch__PollInterval"] = "00:00:01";
            start.Environment["ControlPlane__Batch__FileCheckInterval"] = "00:00:01";
            start.Environment["ControlPlane__Orchestrations__RetryDelay"] = "00:00:01";
            start.Environment["ControlPlane__Orchestrations__MaxRetryDelay"] = "00:00:02";
            start.Environment["ControlPlane__Durable__PartitionCount"] = "1";
            start.Environment["ControlPlane__Durable__MaxQueuePollingInterval"] = "00:00:00.250";
            start.Environment["ControlPlane__Durable__VisibilityTimeout"] = "00:00:10";
            start.Environment["ControlPlane__Budgets__Leases__Enabled"] = "false";
            start.Environment["ControlPlane__Triggers__Enabled"] = "false";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the standalone host.");
            var host = new StandaloneProcess(process, port);
            using var client = host.Client(null);
            var waited = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    if ((await client.GetAsync("/api/health")).IsSuccessStatusCode)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet: the host is still starting.
                }

                if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    host.Kill();
                    throw new InvalidOperationException($"The standalone host did not come up on port {port} (exited: {process.HasExited}).");
                }

                await Task.Delay(200);
            }
        }

        public HttpClient Client(string? apiKey)
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            if (apiKey is not null)
            {
                client.DefaultRequestHeaders.Add("x-api-key", apiKey);
            }

            return client;
        }

        /// <summary>SIGKILL: no shutdown, no lease release, nothing flushed.</summary>
        public void Kill()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}

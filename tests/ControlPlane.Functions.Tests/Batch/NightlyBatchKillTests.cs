using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Batch;

/// <summary>
/// The standalone host as its own process, killed with SIGKILL (not stopped) while the nightly run waits on the
/// provider and again in the middle of settling: a host started after each kill, on the same storage, finishes the
/// run. And three hosts on one task hub, the one running the orchestration killed: another takes it over once the dead
/// host's partition lease runs out. Either way one batch per deployment, every request settled once, the budget
/// charged exactly what the requests cost.
/// </summary>
public sealed class NightlyBatchKillTests
{
        [Fact]
    public async Task NightlyRun_HostKilledWhileWaitingOnTheProviderAndWhileSettling_ARestartedHostFinishesItOnce()
    {
        await using var openAI = await FakeAzureOpenAIServer.StartAsync();
        openAI.PollsPerState = 1_000; // the batches stay in progress until the test lets them finish
        var prefix = Azurite.NewTablePrefix();

        var host = await StartHostAsync(prefix, openAI);
        string runId;
        string[] ids;
        try
        {
            using var admin = host.Client();
            (await admin.PutAsJsonAsync("/api/budgets/search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" })).EnsureSuccessStatusCode();
            ids = [await SubmitAsync(admin, "gpt-4o-mini"), await SubmitAsync(admin, "gpt-4o-mini"), await SubmitAsync(admin, "gpt-4o")];
            var started = await (await admin.PostAsync("/admin/functions/StartNightlyBatch", null)).Content.ReadFromJsonAsync<JsonElement>();
            runId = started.GetProperty("runId").GetString()!;
            await WaitAsync(admin, runId, run => Step(run) == "poll" && openAI.Batches.Count == 2);
        }
        finally
        {
            host.Dispose();
        }

        // Waiting on the provider: a new host picks the run up where its durable timer left it.
        openAI.PollsPerState = 1;
        openAI.SlowContentAfter = 1; // the second deployment's download is slow: the kill lands mid-settle
        openAI.SlowContent = TimeSpan.FromSeconds(30);
        host = await StartHostAsync(prefix, openAI);
        try
        {
            using var admin = host.Client();
            await WaitAsync(admin, runId, run => Step(run) == "settle" && SettledSome(admin, ids));
        }
        finally
        {
            host.Dispose();
        }

        openAI.SlowContent = TimeSpan.Zero;
        host = await StartHostAsync(prefix, openAI);
        try
        {
            using var admin = host.Client();
            var run = await WaitAsync(admin, runId, run => run.GetProperty("status").GetString() is "completed" or "failed" or "terminated");

            Assert.Equal("completed", run.GetProperty("status").GetString());
            Assert.Equal(2, openAI.Batches.Count);
            Assert.Equal(2, openAI.Files.Count(f => f.Purpose == "batch" && f.FileName.StartsWith(runId, StringComparison.Ordinal)));
            var total = await SettledOnceAsync(admin, ids);

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
            host.Dispose();
        }
    }

    [Fact]
    public async Task NightlyRun_TheHostRunningItKilled_AnotherOfThreeHostsFinishesItOnce_WhileTheOthersKeepServing()
    {
        await using var openAI = await FakeAzureOpenAIServer.StartAsync();
        openAI.PollsPerState = 1_000;
        var prefix = Azurite.NewTablePrefix();
        var hosts = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => StartHostAsync(prefix, openAI, workerId: $"host-{i}")));
        try
        {
            using var first = hosts[0].Client();
            (await first.PutAsJsonAsync("/api/budgets/search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" })).EnsureSuccessStatusCode();
            string[] ids = [await SubmitAsync(first, "gpt-4o-mini"), await SubmitAsync(first, "gpt-4o")];
            var started = await (await first.PostAsync("/admin/functions/StartNightlyBatch", null)).Content.ReadFromJsonAsync<JsonElement>();
            var runId = started.GetProperty("runId").GetString()!;
            await WaitAsync(first, runId, run => Step(run) == "poll" && openAI.Batches.Count == 2);

            // The one partition's lease names the host that runs the orchestration: that one is killed.
            var owner = await PartitionOwnerAsync(prefix);
            var victim = Array.FindIndex(hosts, h => owner == $"host-{Array.IndexOf(hosts, h)}");
            Assert.True(victim >= 0, $"The partition is owned by '{owner}', none of the three hosts.");
            hosts[victim].Kill();
            openAI.PollsPerState = 1;

            // The others keep answering while the lease of the dead host runs out, then one of them takes the run over.
            var survivors = hosts.Where((_, i) => i != victim).ToArray();
            using var admin = survivors[0].Client();
            foreach (var survivor in survivors)
            {
                using var client = survivor.Client();
                Assert.True((await client.GetAsync("/api/health")).IsSuccessStatusCode);
                Assert.True((await client.GetAsync($"/api/orchestrations/{runId}")).IsSuccessStatusCode);
            }

            var done = await WaitAsync(admin, runId, run => run.GetProperty("status").GetString() is "completed" or "failed" or "terminated");
            Assert.Equal("completed", done.GetProperty("status").GetString());
            Assert.NotEqual(owner, await PartitionOwnerAsync(prefix));
            Assert.Equal(2, openAI.Batches.Count);
            var total = await SettledOnceAsync(admin, ids);

            Assert.Equal(total, done.GetProperty("output").GetProperty("costUsd").GetDecimal());
            var budget = await (await admin.GetAsync("/api/budgets/search-monthly")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(total, budget.GetProperty("spentUsd").GetDecimal());
            Assert.Equal(0m, budget.GetProperty("reservedUsd").GetDecimal());
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.Dispose();
            }
        }
    }

    /// <summary>Asserts every request completed in one attempt; returns what they cost together.</summary>
    private static async Task<decimal> SettledOnceAsync(HttpClient admin, string[] ids)
    {
        decimal total = 0;
        foreach (var id in ids)
        {
            var request = await (await admin.GetAsync($"/api/batch/requests/{id}")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("completed", request.GetProperty("status").GetString());
            Assert.Equal(1, request.GetProperty("attempts").GetInt32());
            total += request.GetProperty("costUsd").GetDecimal();
        }

        return total;
    }

    /// <summary>The current owner of the task hub's one control-queue partition, as the Azure Storage provider records it.</summary>
    private static async Task<string?> PartitionOwnerAsync(string prefix)
    {
        var table = new TableClient(Azurite.ConnectionString, $"{prefix}controlplanePartitions");
        await foreach (var lease in table.QueryAsync<TableEntity>())
        {
            return lease.GetString("CurrentOwner");
        }

        return null;
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

    /// <summary>A host of the run; <paramref name="workerId"/> is its name in the task hub's partition leases.</summary>
    private static Task<StandaloneProcess> StartHostAsync(string prefix, FakeAzureOpenAIServer openAI, string workerId = "nightly-host") =>
        StandaloneProcess.StartAsync(prefix, StandaloneProcess.PatientDeadlines, new Dictionary<string, string>
        {
            ["ControlPlane:AzureOpenAI:Endpoint"] = openAI.BaseAddress.ToString(),
            ["ControlPlane:AzureOpenAI:ApiKey"] = openAI.ApiKey,
            ["ControlPlane:AzureOpenAI:MaxRetries"] = "0",
            ["ControlPlane:Batch:PollInterval"] = "00:00:01",
            ["ControlPlane:Batch:FileCheckInterval"] = "00:00:01",
            ["ControlPlane:Orchestrations:RetryDelay"] = "00:00:01",
            ["ControlPlane:Orchestrations:MaxRetryDelay"] = "00:00:02",
            ["ControlPlane:Durable:PartitionCount"] = "1",
            // A restarted host keeps its name, so it takes its own leases back at once.
            ["ControlPlane:Durable:WorkerId"] = workerId,
            ["ControlPlane:Durable:MaxQueuePollingInterval"] = "00:00:00.250",
            ["ControlPlane:Durable:VisibilityTimeout"] = "00:00:10",
            ["ControlPlane:Budgets:Leases:Enabled"] = "false",
        });
}

using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Functions.Hosting;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Batch;

/// <summary>
/// The app, a fake Azure OpenAI (Files + Batches, driven through the real Azure.AI.OpenAI client) and a fake Event
/// Grid topic, sharing one fake clock. <see cref="RunToEndAsync"/> plays the Functions host: it delivers the
/// orchestration queue's messages to the queue function and, when nothing is left, moves the clock to the next
/// wake-up and fires the wake-up timer.
/// </summary>
public sealed class BatchHarness : IAsyncDisposable
{
    private BatchHarness(FakeAzureOpenAIServer openAI, FakeEventGridTopic topic, ControlPlaneApp app, FakeTimeProvider clock)
    {
        OpenAI = openAI;
        Topic = topic;
        App = app;
        Clock = clock;
        Admin = app.Client();
    }

    public FakeAzureOpenAIServer OpenAI { get; }
    public FakeEventGridTopic Topic { get; }
    public ControlPlaneApp App { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Admin { get; }

    public static async Task<BatchHarness> StartAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var clock = new FakeTimeProvider(ControlPlaneApp.Start);
        var openAI = await FakeAzureOpenAIServer.StartAsync(clock);

        // As on Azure, a new file is still "pending" when first looked at, and a batch over it is refused.
        openAI.FileProcessingLookups = 1;
        var topic = new FakeEventGridTopic();
        await topic.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["ControlPlane:AzureOpenAI:Endpoint"] = openAI.BaseAddress.ToString(),
            ["ControlPlane:AzureOpenAI:ApiKey"] = openAI.ApiKey,
            ["ControlPlane:AzureOpenAI:MaxRetries"] = "0",
            ["ControlPlane:Events:TopicEndpoint"] = topic.Endpoint,
            ["ControlPlane:Events:TopicKey"] = FakeEventGridTopic.DefaultKey,
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new BatchHarness(openAI, topic, new ControlPlaneApp(all, services: services) { Clock = clock }, clock);
    }

    /// <summary>gpt-4o-mini on its same-named deployment: a short chat, at most <paramref name="maxOutputTokens"/> out.</summary>
    public Task<HttpResponseMessage> SubmitAsync(string? id = null, string team = "search", string model = "gpt-4o-mini", long maxOutputTokens = 500, string? deployment = null, string text = "Summarise the ticket.") =>
        Admin.PostAsJsonAsync("/api/batch/requests", new
        {
            id,
            team,
            feature = "summaries",
            model,
            deployment,
            maxOutputTokens,
            body = new { messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = text } } },
        });

    public async Task<string> SubmitOkAsync(string? id = null, string model = "gpt-4o-mini", string team = "search")
    {
        var response = await SubmitAsync(id, team, model);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    /// <summary>Fires the nightly timer as the host would; returns the run id.</summary>
    public async Task<string> StartNightlyAsync()
    {
        var response = await Admin.PostJsonAsync("/" + FunctionCatalog.NightlyBatch, "{}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("ReturnValue").GetProperty("runId").GetString()!;
    }

    /// <summary>Delivers queued orchestration messages until the queue is empty (or shows only invisible, failed ones).</summary>
    public async Task DeliverMessagesAsync()
    {
        var runner = App.Services.GetRequiredService<LocalQueueRunner>();
        var function = FunctionCatalog.Find(FunctionCatalog.AdvanceOrchestration)!;
        while (await runner.DrainOnceAsync(function, CancellationToken.None) > 0)
        {
        }
    }

    public async Task<JsonElement> GetRunAsync(string runId) => await (await Admin.GetAsync($"/api/orchestrations/{runId}")).JsonAsync();

    /// <summary>Plays host and clock until <paramref name="condition"/> holds (e.g. the provider has the batch).</summary>
    public async Task AdvanceUntilAsync(string runId, Func<bool> condition, int maxRounds = 20)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            await DeliverMessagesAsync();
            if (condition())
            {
                return;
            }

            await NextWakeUpAsync(await GetRunAsync(runId));
        }

        throw new InvalidOperationException($"The condition did not hold after {maxRounds} rounds of run {runId}.");
    }

    /// <summary>Plays host and clock until the run finishes; <paramref name="between"/> runs after every round (to look in while it is in flight).</summary>
    public async Task<JsonElement> RunToEndAsync(string runId, Func<JsonElement, Task>? between = null, int maxRounds = 100)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            await DeliverMessagesAsync();
            var run = await GetRunAsync(runId);
            var status = run.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "terminated")
            {
                return run;
            }

            if (between is not null)
            {
                await between(run);
            }

            await NextWakeUpAsync(run);
        }

        throw new InvalidOperationException($"Run {runId} did not finish in {maxRounds} rounds: {await GetRunAsync(runId)}");
    }

    /// <summary>Moves the clock to the run's wake-up time and fires the wake-up timer, as the host would.</summary>
    private async Task NextWakeUpAsync(JsonElement run)
    {
        var wakeAt = run.TryGetProperty("wakeAt", out var w) ? w.GetDateTimeOffset() : Clock.GetUtcNow().AddMinutes(1);
        Clock.Advance(wakeAt > Clock.GetUtcNow() ? wakeAt - Clock.GetUtcNow() : TimeSpan.FromSeconds(1));
        (await Admin.PostJsonAsync("/" + FunctionCatalog.WakeOrchestrations, "{}")).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// The budget once leased headroom nobody used has come back: a lease folds a little after it ends, at the next
    /// expiry sweep, so move the clock past that and run the sweep before reading.
    /// </summary>
    public async Task<JsonElement> SettledBudgetAsync(string id)
    {
        Clock.Advance(TimeSpan.FromMinutes(1));
        (await Admin.PostJsonAsync("/" + FunctionCatalog.ReservationExpirySweep, "{}")).EnsureSuccessStatusCode();
        return await Admin.GetBudgetAsync(id);
    }

    /// <summary>Where a request submitted with a client's id keeps its blobs and usage: ids are per team, keys are not.</summary>
    public static string KeyOf(string clientId, string team = "search") => BatchRequest.KeyFor(team, clientId);

    public async Task<JsonElement> GetRequestAsync(string id) => await (await Admin.GetAsync($"/api/batch/requests/{id}")).JsonAsync();

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
        await Topic.DisposeAsync();
        await OpenAI.DisposeAsync();
    }
}

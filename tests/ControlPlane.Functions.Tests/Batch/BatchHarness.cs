using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Batch;

/// <summary>
/// The app, a fake Azure OpenAI (Files + Batches, driven through the real Azure.AI.OpenAI client) and a fake Event
/// Grid topic, sharing one fake clock for domain time (reservations, prices, request times). The nightly run is a
/// Durable orchestration on the app's own task hub: its timers run on real time, with the short waits
/// <see cref="ControlPlaneApp"/> sets, so <see cref="RunToEndAsync"/> simply watches the run until it finishes.
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

    /// <summary>How long a run may take before a test gives up on it (real time; a run takes a few seconds).</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Fires the nightly timer as the host would; returns the run id.</summary>
    public async Task<string> StartNightlyAsync() =>
        (await App.RunTimerAsync("StartNightlyBatch")).GetProperty("runId").GetString()!;

    public async Task<JsonElement> GetRunAsync(string runId) => await (await Admin.GetAsync($"/api/orchestrations/{runId}")).JsonAsync();

    /// <summary>Watches the run until <paramref name="condition"/> holds (e.g. the provider has the batch).</summary>
    public async Task<JsonElement> WaitUntilAsync(string runId, Func<JsonElement, bool> condition, TimeSpan? timeout = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = await GetRunAsync(runId);
            if (condition(run))
            {
                return run;
            }

            if (waited.Elapsed > (timeout ?? RunTimeout))
            {
                throw new TimeoutException($"Run {runId} did not reach the condition in {timeout ?? RunTimeout}: {run}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Watches the run until it finishes; <paramref name="between"/> runs on every look (every 100 ms) while it is in flight.</summary>
    public async Task<JsonElement> RunToEndAsync(string runId, Func<JsonElement, Task>? between = null) =>
        await WaitUntilAsync(runId, run =>
        {
            var status = run.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (status is "completed" or "failed" or "terminated")
            {
                return true;
            }

            between?.Invoke(run).GetAwaiter().GetResult();
            return false;
        });

    /// <summary>
    /// The budget once leased headroom nobody used has come back: a lease folds a little after it ends, at the next
    /// expiry sweep, so move the clock past that and run the sweep before reading.
    /// </summary>
    public async Task<JsonElement> SettledBudgetAsync(string id)
    {
        Clock.Advance(TimeSpan.FromMinutes(1));
        await App.RunTimerAsync("ReservationExpirySweep");
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

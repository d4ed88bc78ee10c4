using ControlPlane.Testing.Fakes;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Client.Chat;
using ControlPlane.Client.OpenAI;
using ControlPlane.Client.Usage;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Client.Fakes;

/// <summary>A real ControlPlane in process (on Azurite), the fake provider, and the client library between them.</summary>
public sealed class ClientHarness : IAsyncDisposable
{
    public const string Model = "gpt-4o-mini";

    // gpt-4o-mini: 200 uncached × $0.15 + 1,000 cached × $0.075 + 300 output (100 of them reasoning) × $0.60 per million.
    public const decimal CallCostUsd = 0.000285m;

    private ClientHarness(ControlPlaneApp app, FakeChatCompletions provider, UsageReporter reporter, RecordingHandler recorder)
    {
        Recorder = recorder;
        App = app;
        Provider = provider;
        Reporter = reporter;
    }

    public ControlPlaneApp App { get; }
    public RecordingHandler Recorder { get; }
    public FakeChatCompletions Provider { get; }
    public UsageReporter Reporter { get; }
    public ControlPlaneClient Client => Reporter.Client;

    public static async Task<ClientHarness> StartAsync(int? defaultMaxOutputTokens = 500)
    {
        var app = new ControlPlaneApp();
        var provider = await FakeChatCompletions.StartAsync();
        var options = new ControlPlaneClientOptions
        {
            ApiKey = ControlPlaneApp.AdminKey,
            Team = "search",
            Feature = "answers",
            DefaultMaxOutputTokens = defaultMaxOutputTokens,
            RetryDelay = TimeSpan.FromMilliseconds(1),
            TimeProvider = app.Clock,
        };
        var recorder = new RecordingHandler();
        return new ClientHarness(app, provider, new UsageReporter(new ControlPlaneClient(app.CreateDefaultClient(recorder), options)), recorder);
    }

    /// <summary>The OpenAI SDK's chat client against the fake; <paramref name="sdkRetries"/> is the SDK's own retry count.</summary>
    public ChatClient OpenAiChatClient(bool withPolicy, int sdkRetries = 0)
    {
        var options = new OpenAIClientOptions { Endpoint = Provider.Endpoint, RetryPolicy = new ClientRetryPolicy(sdkRetries) };
        if (withPolicy)
        {
            options.AddPolicy(new ControlPlanePipelinePolicy(Reporter), PipelinePosition.PerCall);
        }

        return new OpenAIClient(new ApiKeyCredential("sk-fake"), options).GetChatClient(Model);
    }

    /// <summary>Microsoft.Extensions.AI over the OpenAI SDK, with the ControlPlane middleware.</summary>
    public IChatClient ChatClient(int sdkRetries = 0) =>
        OpenAiChatClient(withPolicy: false, sdkRetries).AsIChatClient().AsBuilder().UseControlPlane(Reporter).Build();

    public async Task PutBudgetAsync(string id, decimal limitUsd)
    {
        using var http = App.Client();
        var response = await http.PutAsJsonAsync($"/api/budgets/{id}", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd, mode = "hard" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// True when the budget's headroom is whole again but for its spend: a call costing nearly all of what is left
    /// (<paramref name="nearlyAllUsd"/> at $0.60 per million output tokens of gpt-4o-mini) is still allowed, which a
    /// hold left behind would deny. (<c>reservedUsd</c> cannot say it: it includes the headroom leased to instances.)
    /// </summary>
    public async Task<bool> HeadroomIsWholeAsync(decimal nearlyAllUsd)
    {
        var answer = await Client.AuthorizeAsync(new Api.AuthorizeRequest
        {
            Team = "search", Feature = "probe", Model = Model, InputTokens = 1, MaxOutputTokens = (long)(nearlyAllUsd / 0.60m * 1_000_000m),
        });
        return answer.Allowed;
    }

    public async ValueTask DisposeAsync()
    {
        await Reporter.DisposeAsync();
        await Provider.DisposeAsync();
        await App.DisposeAsync();
    }
}

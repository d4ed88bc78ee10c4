using System.ClientModel;
using ControlPlane.Client.Api;
using ControlPlane.Client.Fakes;
using OpenAI.Chat;

namespace ControlPlane.Client.OpenAI;

/// <summary>The pipeline policy inside the real OpenAI SDK's ChatClient, against the fake endpoint and a real ControlPlane.</summary>
public sealed class ControlPlanePipelinePolicyTests : IAsyncLifetime
{
    private ClientHarness _h = null!;

    public async Task InitializeAsync() => _h = await ClientHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task CompleteChatAsync_Buffered_RecordsTheResponseUsageOnceAtTheExactCost()
    {
        await _h.PutBudgetAsync("search-monthly", 10m);
        var chat = _h.OpenAiChatClient(withPolicy: true);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What is a kill switch?")]);
        await _h.Reporter.FlushAsync();

        Assert.Equal("Hello there.", completion.Content[0].Text);
        var costs = await _h.Client.GetCostsAsync();
        Assert.Equal(1, costs.Requests);
        Assert.Equal(ClientHarness.CallCostUsd, costs.TotalCostUsd);
        var budget = await _h.Client.GetBudgetAsync("search-monthly");
        Assert.Equal(ClientHarness.CallCostUsd, budget.SpentUsd);
        Assert.Equal(["settled"], _h.Recorder.ReservationOutcomes());
        Assert.Equal(500, (long)Assert.Single(_h.Provider.Requests)["max_completion_tokens"]!);
    }

    [Fact]
    public async Task CompleteChatStreamingAsync_AsksForUsageAndRecordsTheFinalChunkOnce()
    {
        await _h.PutBudgetAsync("search-monthly", 10m);
        var chat = _h.OpenAiChatClient(withPolicy: true);

        var text = string.Empty;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream it")], new ChatCompletionOptions { MaxOutputTokenCount = 400 }))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
        }

        await _h.Reporter.FlushAsync();

        Assert.Equal("Hello there.", text);
        var sent = Assert.Single(_h.Provider.Requests);
        Assert.True((bool)sent["stream_options"]!["include_usage"]!);
        Assert.Equal(400, (long)sent["max_completion_tokens"]!);
        var costs = await _h.Client.GetCostsAsync();
        Assert.Equal(1, costs.Requests);
        Assert.Equal(ClientHarness.CallCostUsd, costs.TotalCostUsd);
        Assert.Equal(["settled"], _h.Recorder.ReservationOutcomes());
    }

    [Fact]
    public async Task CompleteChatAsync_Denied_ThrowsBeforeAnythingIsSent()
    {
        await _h.PutBudgetAsync("search-tiny", 0.00001m);
        var chat = _h.OpenAiChatClient(withPolicy: true);

        var denied = await Assert.ThrowsAsync<ControlPlaneDeniedException>(() => chat.CompleteChatAsync([new UserChatMessage("Too dear")]));

        Assert.Equal("search-tiny", denied.BudgetId);
        Assert.Equal(0, _h.Provider.Calls);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task CompleteChatAsync_ProviderFailsAfterSdkRetries_ReleasesTheHold(int status)
    {
        await _h.PutBudgetAsync("search-monthly", 0.001m);
        _h.Provider.Failures.Enqueue(status);
        _h.Provider.Failures.Enqueue(status);
        var chat = _h.OpenAiChatClient(withPolicy: true, sdkRetries: 1);

        await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("Fails")]));
        await _h.Reporter.FlushAsync();

        Assert.Equal(2, _h.Provider.Calls);
        Assert.Equal(["released"], _h.Recorder.Releases());
        Assert.Equal(0m, (await _h.Client.GetBudgetAsync("search-monthly")).SpentUsd);
        Assert.True(await _h.HeadroomIsWholeAsync(0.0009m));
    }

    [Fact]
    public async Task CompleteChatAsync_WithoutPolicy_ReachesTheProviderAndRecordsNothing()
    {
        var chat = _h.OpenAiChatClient(withPolicy: false);

        await chat.CompleteChatAsync([new UserChatMessage("Baseline")]);

        Assert.Equal(1, _h.Provider.Calls);
        Assert.Equal(0, (await _h.Client.GetCostsAsync(new CostQuery())).Requests);
    }
}

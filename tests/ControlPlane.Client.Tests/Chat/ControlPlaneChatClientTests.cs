using ControlPlane.Testing.Fakes;
using System.ClientModel;
using ControlPlane.Client.Api;
using ControlPlane.Client.Fakes;
using Microsoft.Extensions.AI;

namespace ControlPlane.Client.Chat;

/// <summary>The IChatClient middleware over Microsoft.Extensions.AI.OpenAI and the real OpenAI SDK, against a fake
/// Chat Completions endpoint and a real ControlPlane.</summary>
public sealed class ControlPlaneChatClientTests : IAsyncLifetime
{
    private ClientHarness _h = null!;

    public async Task InitializeAsync() => _h = await ClientHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static ChatOptions Attributed(string user = "u-1") => new()
    {
        AdditionalProperties = new() { [ControlPlaneProperties.User] = user, [ControlPlaneProperties.Session] = "s-1", [ControlPlaneProperties.PromptTemplate] = "faq-v2" },
    };

    [Fact]
    public async Task GetResponseAsync_AllowedCall_IsRecordedOnceAtTheExactCostAndSettlesItsHold()
    {
        await _h.PutBudgetAsync("search-monthly", 10m);
        var chat = _h.ChatClient();

        var response = await chat.GetResponseAsync("What is a kill switch?", Attributed());
        await _h.Reporter.FlushAsync();

        Assert.Equal("Hello there.", response.Text);
        var costs = await _h.Client.GetCostsAsync(new CostQuery { GroupBy = "user" });
        Assert.Equal(1, costs.Requests);
        Assert.Equal(ClientHarness.CallCostUsd, costs.TotalCostUsd);
        Assert.Equal("u-1", Assert.Single(costs.Groups).Key);
        var budget = await _h.Client.GetBudgetAsync("search-monthly");
        Assert.Equal(ClientHarness.CallCostUsd, budget.SpentUsd);
        Assert.Equal(["settled"], _h.Recorder.ReservationOutcomes());
        var sent = Assert.Single(_h.Provider.Requests);
        Assert.Equal(500, (long)sent["max_completion_tokens"]!);
        Assert.DoesNotContain(sent, p => p.Key.StartsWith("controlplane", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ReportsOnceFromTheFinalUsageUpdate()
    {
        await _h.PutBudgetAsync("search-monthly", 10m);
        var chat = _h.ChatClient();

        var text = string.Empty;
        await foreach (var update in chat.GetStreamingResponseAsync("Stream it", Attributed("u-2")))
        {
            text += update.Text;
        }

        await _h.Reporter.FlushAsync();

        Assert.Equal("Hello there.", text);
        var costs = await _h.Client.GetCostsAsync(new CostQuery { GroupBy = "user" });
        Assert.Equal(1, costs.Requests);
        Assert.Equal(ClientHarness.CallCostUsd, costs.TotalCostUsd);
        var group = Assert.Single(costs.Groups);
        Assert.Equal(FakeChatCompletions.PromptTokens, group.InputTokens);
        Assert.Equal(FakeChatCompletions.CompletionTokens, group.OutputTokens);
        Assert.Equal(["settled"], _h.Recorder.ReservationOutcomes());
    }

    [Fact]
    public async Task GetResponseAsync_BudgetTooSmall_ThrowsDeniedNamingTheBudgetAndNeverReachesTheProvider()
    {
        await _h.PutBudgetAsync("search-tiny", 0.00001m);
        var chat = _h.ChatClient();

        var denied = await Assert.ThrowsAsync<ControlPlaneDeniedException>(() => chat.GetResponseAsync("Too dear", Attributed()));

        Assert.Equal("search-tiny", denied.BudgetId);
        Assert.Equal(0.00001m, denied.RemainingUsd);
        Assert.Contains("search-tiny", denied.Message, StringComparison.Ordinal);
        Assert.Equal(0, _h.Provider.Calls);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    public async Task GetResponseAsync_ProviderFails_ReleasesTheHoldAndRecordsNothing(int status)
    {
        await _h.PutBudgetAsync("search-monthly", 0.001m);
        _h.Provider.Failures.Enqueue(status);
        var chat = _h.ChatClient(sdkRetries: 0);

        await Assert.ThrowsAsync<ClientResultException>(() => chat.GetResponseAsync("Fails", Attributed()));
        await _h.Reporter.FlushAsync();

        Assert.Equal(["released"], _h.Recorder.Releases());
        Assert.Equal(0m, (await _h.Client.GetBudgetAsync("search-monthly")).SpentUsd);
        Assert.True(await _h.HeadroomIsWholeAsync(0.0009m));
        Assert.Equal(0, (await _h.Client.GetCostsAsync()).Requests);
    }

    [Fact]
    public async Task GetResponseAsync_429ThenSuccessUnderSdkRetry_IsAuthorizedAndRecordedOnce()
    {
        await _h.PutBudgetAsync("search-monthly", 0.001m);
        _h.Provider.Failures.Enqueue(429);
        var chat = _h.ChatClient(sdkRetries: 2);

        await chat.GetResponseAsync("Retry me", Attributed());
        await _h.Reporter.FlushAsync();

        Assert.Equal(2, _h.Provider.Calls);
        var costs = await _h.Client.GetCostsAsync();
        Assert.Equal(1, costs.Requests);
        Assert.Equal(ClientHarness.CallCostUsd, costs.TotalCostUsd);
    }

    [Fact]
    public async Task GetResponseAsync_NoOutputCapAnywhere_IsRefusedBeforeAuthorizing()
    {
        await using var h = await ClientHarness.StartAsync(defaultMaxOutputTokens: null);
        var chat = h.ChatClient();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => chat.GetResponseAsync("No cap"));

        Assert.Contains("MaxOutputTokens", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, h.Provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_32ParallelCallsOnAHardBudget_NeverExceedItAndRecordEveryCallThatRan()
    {
        // Each call's worst case is about $0.0003 (a short prompt plus 500 output tokens at $0.60/M): this budget
        // affords roughly ten at once, so most of the 32 are denied while the first ones hold their reservations.
        const decimal limit = 0.003m;
        await _h.PutBudgetAsync("search-hard", limit);
        var chat = _h.ChatClient();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(async i =>
        {
            try
            {
                await chat.GetResponseAsync($"Parallel call {i}", Attributed($"u-{i % 4}"));
                return true;
            }
            catch (ControlPlaneDeniedException)
            {
                return false;
            }
        }));
        await _h.Reporter.FlushAsync();

        var allowed = outcomes.Count(o => o);
        Assert.InRange(allowed, 1, 31);
        Assert.Equal(allowed, _h.Provider.Calls);
        var budget = await _h.Client.GetBudgetAsync("search-hard");
        Assert.True(budget.SpentUsd + budget.ReservedUsd <= limit, $"spent {budget.SpentUsd} + reserved {budget.ReservedUsd} > {limit}");
        Assert.Equal(allowed * ClientHarness.CallCostUsd, budget.SpentUsd);
        var costs = await _h.Client.GetCostsAsync();
        Assert.Equal(allowed, costs.Requests);
    }
}

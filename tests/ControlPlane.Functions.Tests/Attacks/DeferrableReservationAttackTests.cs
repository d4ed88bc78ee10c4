using System.Net;
using System.Net.Http.Json;
using ControlPlane.Batch;
using ControlPlane.Budgets;

namespace ControlPlane.Attacks;

/// <summary>
/// A deferrable request's money is its own (issue 9, hole 8): its reservation cannot be released apart from the
/// request, nor settled by anyone else's usage, and the nightly run never sends a request without a live hold.
/// </summary>
public sealed class DeferrableReservationAttackTests : IAsyncLifetime
{
    private BatchHarness _batch = null!;

    public async Task InitializeAsync()
    {
        _batch = await BatchHarness.StartAsync();
        await _batch.Admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "total", limitUsd = 1m, mode = "hard" });
    }

    public async Task DisposeAsync() => await _batch.DisposeAsync();

    [Fact]
    public async Task ReleasingAPendingRequestsReservation_IsRefused_AndTheRequestKeepsItsMoney()
    {
        var id = await _batch.SubmitOkAsync("summaries-1");
        var request = await _batch.GetRequestAsync(id);
        var reservationId = request.GetProperty("reservationId").GetString();
        var held = (await _batch.Admin.GetBudgetAsync("search-daily")).Money("reservedUsd");

        await (await _batch.Admin.DeleteAsync($"/api/reservations/{reservationId}")).AssertProblemAsync(HttpStatusCode.Conflict, "reservation_owned_by_batch_request");

        Assert.Equal("pending", (await _batch.GetRequestAsync(id)).GetProperty("status").GetString());
        Assert.Equal(held, (await _batch.Admin.GetBudgetAsync("search-daily")).Money("reservedUsd"));
        Assert.True(held > 0);
    }

    [Fact]
    public async Task AppUsageNamingARequestsReservation_DoesNotSettleIt()
    {
        var id = await _batch.SubmitOkAsync("summaries-2");
        var reservationId = (await _batch.GetRequestAsync(id)).GetProperty("reservationId").GetString();

        var usage = await _batch.Admin.PostAsJsonAsync("/api/usage", new
        {
            id = "app-call", team = "search", feature = "summaries", provider = "azure-openai", model = "gpt-4o-mini", inputTokens = 10, outputTokens = 10, reservationId,
        });

        Assert.Equal("owned", (await usage.JsonAsync()).GetProperty("events")[0].GetProperty("reservation").GetString());
        var run = await _batch.RunToEndAsync(await _batch.StartNightlyAsync());
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal("completed", (await _batch.GetRequestAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task RequestWhoseReservationExpired_IsNotSent_AndFailsWithNothingCharged()
    {
        var id = await _batch.SubmitOkAsync("summaries-3");

        // Past the 5-day reservation lifetime (say the nightly job was off for a week).
        _batch.Clock.Advance(TimeSpan.FromDays(6));
        var run = await _batch.RunToEndAsync(await _batch.StartNightlyAsync());

        Assert.Equal("completed", run.GetProperty("status").GetString());
        var request = await _batch.GetRequestAsync(id);
        Assert.Equal("failed", request.GetProperty("status").GetString());
        Assert.Equal("batch_reservation_not_live", request.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Empty(_batch.OpenAI.Batches);
        var budget = await _batch.SettledBudgetAsync("search-daily");
        Assert.Equal(0m, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
    }
}

using System.Net;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Testing.Fakes;

namespace ControlPlane.Batch;

/// <summary>The nightly run end to end: submit, batch at the (fake) provider, settle at batch prices, report.</summary>
public sealed class BatchRunTests
{
    [Fact]
    public async Task NightlyRun_TwoDeployments_CompletesEveryRequestAtBatchPriceAndReportsTheSaving()
    {
        await using var h = await BatchHarness.StartAsync();
        await h.Admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        var submitted = await h.SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var accepted = await submitted.JsonAsync();
        Assert.Equal("pending", accepted.GetProperty("status").GetString());
        Assert.True(accepted.Money("estimatedSavingUsd") > 0);
        Assert.Equal(accepted.Money("estimatedRealtimeCostUsd") - accepted.Money("estimatedBatchCostUsd"), accepted.Money("estimatedSavingUsd"));
        var a = accepted.GetProperty("id").GetString()!;
        var b = await h.SubmitOkAsync();
        var c = await h.SubmitOkAsync(model: "gpt-4o");
        Assert.True((await h.Admin.GetBudgetAsync("search-monthly")).Money("reservedUsd") > 0);

        var runId = await h.StartNightlyAsync();
        var run = await h.RunToEndAsync(runId);

        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(2, h.OpenAI.Batches.Count);
        var output = run.GetProperty("output");
        Assert.Equal(3, output.GetProperty("completed").GetInt32());
        Assert.Equal(0, output.GetProperty("failed").GetInt32());

        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        decimal batchTotal = 0, realtimeTotal = 0;
        foreach (var id in new[] { a, b, c })
        {
            var request = await h.GetRequestAsync(id);
            Assert.Equal("completed", request.GetProperty("status").GetString());
            Assert.Equal("chat.completion", request.GetProperty("result").GetProperty("object").GetString());
            var tokens = request.GetProperty("tokens");
            var usage = new UsageTokens(tokens.GetProperty("inputTokens").GetInt64(), 0, 0, tokens.GetProperty("outputTokens").GetInt64(), 0);
            var model = request.GetProperty("model").GetString()!;
            var at = request.GetProperty("completedAt").GetDateTimeOffset();
            var batchCost = sheet.Price(new PricingContext("azure-openai", model, "batch", true, at), usage).TotalCost;
            var realtimeCost = sheet.Price(new PricingContext("azure-openai", model, null, false, at), usage).TotalCost;
            Assert.Equal(batchCost, request.Money("costUsd"));
            Assert.Equal(realtimeCost, request.Money("realtimeCostUsd"));
            var recorded = await (await h.Admin.GetAsync($"/api/usage/batch:{id}")).JsonAsync();
            Assert.Equal(batchCost, recorded.Money("costUsd"));
            batchTotal += batchCost;
            realtimeTotal += realtimeCost;
        }

        Assert.Equal(batchTotal, output.Money("costUsd"));
        Assert.Equal(realtimeTotal - batchTotal, output.Money("savingUsd"));
        // Leased headroom nobody used returns when the lease folds (the sweep, a little after the lease ends).
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        (await h.Admin.PostJsonAsync("/ReservationExpirySweep", "{}")).EnsureSuccessStatusCode();
        var budget = await h.Admin.GetBudgetAsync("search-monthly");
        Assert.True(batchTotal == budget.Money("spentUsd"), $"{batchTotal} {budget}");
        Assert.True(0m == budget.Money("reservedUsd"), budget.ToString());
        var completedEvent = Assert.Single(h.Topic.Received, e => e.GetProperty("type").GetString() == "ControlPlane.Batch.Completed");
        Assert.Equal(runId, completedEvent.GetProperty("id").GetString());
        Assert.Equal(realtimeTotal - batchTotal, completedEvent.GetProperty("data").Money("savingUsd"));
    }
}

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
            var recorded = await (await h.Admin.GetAsync($"/api/usage/cp:batch:{id}")).JsonAsync();
            Assert.Equal(batchCost, recorded.Money("costUsd"));
            batchTotal += batchCost;
            realtimeTotal += realtimeCost;
        }

        Assert.Equal(batchTotal, output.Money("costUsd"));
        Assert.Equal(realtimeTotal - batchTotal, output.Money("savingUsd"));
        var budget = await h.SettledBudgetAsync("search-monthly");
        Assert.True(batchTotal == budget.Money("spentUsd"), $"{batchTotal} {budget}");
        Assert.True(0m == budget.Money("reservedUsd"), budget.ToString());
        var completedEvent = Assert.Single(h.Topic.Received, e => e.GetProperty("type").GetString() == "ControlPlane.Batch.Completed");
        Assert.Equal(runId, completedEvent.GetProperty("id").GetString());
        Assert.Equal(realtimeTotal - batchTotal, completedEvent.GetProperty("data").Money("savingUsd"));
    }

    [Fact]
    public async Task NightlyRun_UsageWithCachedTokens_ReconcilesWithTheOutputFileAtBatchPrices()
    {
        await using var h = await BatchHarness.StartAsync();
        // Each answer reports its own usage, cached prompt tokens included, as the service does.
        h.OpenAI.UsageFor = line => new FakeUsage(PromptTokens: 1200 + line.Line, CompletionTokens: 300, CachedTokens: 1024);
        for (var i = 0; i < 5; i++)
        {
            await h.SubmitOkAsync($"rec-{i}");
        }

        await h.RunToEndAsync(await h.StartNightlyAsync());

        // Read the provider's output file as finance would, independently of ControlPlane's parser.
        var batch = Assert.Single(h.OpenAI.Batches);
        var lines = System.Text.Encoding.UTF8.GetString(h.OpenAI.FileContent(batch.OutputFileId!)!).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("response").GetProperty("body").GetProperty("usage")).ToList();
        Assert.Equal(5, lines.Count);
        var sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        var batchContext = new PricingContext("azure-openai", "gpt-4o-mini", "batch", true, ControlPlaneApp.Start);
        var expected = lines.Sum(u => sheet.Price(batchContext, new UsageTokens(
            u.GetProperty("prompt_tokens").GetInt64(), u.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64(), 0,
            u.GetProperty("completion_tokens").GetInt64(), 0)).TotalCost);
        var costs = await (await h.Admin.GetAsync("/api/costs?groupBy=model&from=2026-11-23T00:00:00Z&to=2026-11-25T00:00:00Z")).JsonAsync();
        var group = Assert.Single(costs.GetProperty("groups").EnumerateArray());
        Assert.Equal(expected, costs.Money("totalCostUsd"));
        Assert.Equal(lines.Sum(u => u.GetProperty("prompt_tokens").GetInt64()), group.GetProperty("inputTokens").GetInt64());
        Assert.Equal(lines.Sum(u => u.GetProperty("completion_tokens").GetInt64()), group.GetProperty("outputTokens").GetInt64());
        var recorded = await (await h.Admin.GetAsync($"/api/usage/cp:batch:{BatchHarness.KeyOf("rec-0")}")).JsonAsync();
        Assert.Equal(1024, recorded.GetProperty("cachedInputTokens").GetInt64());
        Assert.True(recorded.GetProperty("batch").GetBoolean());
        Assert.Equal("batch", recorded.GetProperty("deploymentType").GetString());
        // Half the real-time price for the same tokens.
        var realtime = lines.Sum(u => sheet.Price(new PricingContext("azure-openai", "gpt-4o-mini", null, false, ControlPlaneApp.Start), new UsageTokens(
            u.GetProperty("prompt_tokens").GetInt64(), u.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64(), 0,
            u.GetProperty("completion_tokens").GetInt64(), 0)).TotalCost);
        Assert.Equal(realtime / 2, expected);
    }

    [Fact]
    public async Task NightlyRun_EventGridDownAtReport_RetriesTheReportAndDeliversTheEventOnce()
    {
        await using var h = await BatchHarness.StartAsync(new() { ["ControlPlane:Orchestrations:MaxActivityAttempts"] = "20" });
        await h.SubmitOkAsync();
        // The publisher retries twice itself; 6 refusals outlast two attempts of the report step.
        h.Topic.FailNext(6);

        var run = await h.RunToEndAsync(await h.StartNightlyAsync());

        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(0, h.Topic.FailuresLeft); // every refusal was met: the report step ran more than once
        Assert.Single(h.Topic.Received, e => e.GetProperty("type").GetString() == "ControlPlane.Batch.Completed");
    }

    [Theory]
    [InlineData(null, "nightly-batch-20261124T0200")]
    [InlineData("0 30 23 * * *", "nightly-batch-20261123T2330")]
    public async Task Schedule_ClockPassesIt_TheLocalRunnerStartsTheNightlyRunAndSeesItThrough(string? schedule, string expectedRunId)
    {
        var settings = new Dictionary<string, string?> { ["ControlPlane:Triggers:Enabled"] = "true" };
        if (schedule is not null)
        {
            settings["ControlPlane:Batch:Schedule"] = schedule;
        }

        await using var h = await BatchHarness.StartAsync(settings);
        var id = await h.SubmitOkAsync();

        // Move the fake clock a minute at a time past the schedule; the runner fires the timers and drains the queue.
        var status = "pending";
        for (var minute = 0; minute < 20 * 60 && status != "completed"; minute++)
        {
            h.Clock.Advance(TimeSpan.FromMinutes(1));
            if (h.Clock.GetUtcNow() >= new DateTimeOffset(2026, 11, 23, 23, 0, 0, TimeSpan.Zero))
            {
                await Task.Delay(20);
                status = (await h.GetRequestAsync(id)).GetProperty("status").GetString()!;
            }
        }

        Assert.Equal("completed", status);
        var runs = await (await h.Admin.GetAsync("/api/orchestrations?kind=nightly-batch")).JsonAsync();
        Assert.Equal([expectedRunId], runs.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }
}

using ControlPlane.Azure.Batch;
using ControlPlane.Budgets;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Batch;

/// <summary>
/// A run whose steps are repeated — a host that did a step's work and died before Durable recorded it, a provider
/// answer lost after the provider acted — still creates one batch per file, records each request's usage once and
/// charges each budget once. (Killing a real host process mid-run: <c>NightlyBatchKillTests</c>.)
/// </summary>
public sealed class BatchCrashTests
{
    /// <summary>
    /// A run over two deployments saves its state at the end of each step: collect, submit (files still pending),
    /// submit (batches created), poll until the batches are done, settle. The report step saves nothing.
    /// </summary>
    public static TheoryData<int> Steps => [1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task NightlyRun_HostDiesAfterAStepsWork_TheStepRunsAgainWithoutSecondBatchOrSecondCharge(int step)
    {
        await using var h = await BatchHarness.StartAsync(services: Faults.CrashAfterStep(step));
        await AssertRunsOnceAsync(h);
    }

    [Fact]
    public async Task NightlyRun_EveryStepsWorkDoneTwice_RunsAsOnce()
    {
        await using var h = await BatchHarness.StartAsync(services: Faults.EveryStepTwice());
        await AssertRunsOnceAsync(h);
    }

    [Fact]
    public async Task NightlyRun_AnswersToUploadAndCreateLost_FindsThemInsteadOfRepeating()
    {
        var gateway = default(AnswerLosingGateway);
        await using var h = await BatchHarness.StartAsync(services: s => s.AddSingleton<IBatchGateway>(sp =>
            gateway = new AnswerLosingGateway(AzureOpenAIBatchGateway.Create(sp.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value))));
        await AssertRunsOnceAsync(h);

        Assert.Equal((2, 2), (gateway!.Uploads, gateway.Creates));
    }

    private static async Task<string> AssertRunsOnceAsync(BatchHarness h)
    {
        await h.Admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        string[] ids = [await h.SubmitOkAsync(), await h.SubmitOkAsync(), await h.SubmitOkAsync(model: "gpt-4o")];

        var runId = await h.StartNightlyAsync();
        var run = await h.RunToEndAsync(runId);

        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(2, h.OpenAI.Files.Count(f => f.Purpose == "batch" && f.FileName.StartsWith(runId, StringComparison.Ordinal)));
        Assert.Equal(2, h.OpenAI.Batches.Count);
        decimal total = 0;
        foreach (var id in ids)
        {
            var request = await h.GetRequestAsync(id);
            Assert.Equal("completed", request.GetProperty("status").GetString());
            Assert.Equal(1, request.GetProperty("attempts").GetInt32());
            total += request.Money("costUsd");
        }

        Assert.Equal(3, run.GetProperty("output").GetProperty("completed").GetInt32());
        Assert.Equal(total, run.GetProperty("output").Money("costUsd"));
        var costs = await (await h.Admin.GetAsync("/api/costs?groupBy=team&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z")).JsonAsync();
        Assert.Equal(total, costs.Money("totalCostUsd"));
        Assert.Equal(3, costs.GetProperty("requests").GetInt64());
        var budget = await h.SettledBudgetAsync("search-monthly");
        Assert.Equal(total, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
        Assert.Equal([runId], h.Topic.Received.Where(e => e.GetProperty("type").GetString() == "ControlPlane.Batch.Completed").Select(e => e.GetProperty("id").GetString()).Distinct());
        return runId;
    }
}

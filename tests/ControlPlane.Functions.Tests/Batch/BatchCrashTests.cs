using ControlPlane.Azure.Batch;
using ControlPlane.Budgets;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Batch;

/// <summary>
/// A run that crashes, loses a message or sees a message twice still creates one batch per file, records each
/// request's usage once and charges each budget once.
/// </summary>
public sealed class BatchCrashTests
{
    /// <summary>
    /// A run over two deployments checkpoints 9 times: collect, submit x3 (upload, files still pending, create),
    /// poll x3 (validating, in_progress, finalizing), settle, report.
    /// </summary>
    public static TheoryData<int> Checkpoints => [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task NightlyRun_CrashBeforeCheckpoint_ResumesWithoutSecondBatchOrSecondCharge(int checkpoint)
    {
        await using var h = await BatchHarness.StartAsync(services: Faults.CrashBeforeCheckpoint(checkpoint));
        await AssertRunsOnceAsync(h);
    }

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task NightlyRun_MessageLostAfterCheckpoint_WakeUpResendsIt(int send)
    {
        // Send 1 is the start's; sends 2-7 follow the checkpoints that continue at once.
        await using var h = await BatchHarness.StartAsync(services: Faults.Dispatcher(loseSend: send));
        await AssertRunsOnceAsync(h);
    }

    [Fact]
    public async Task NightlyRun_EveryMessageDeliveredTwice_RunsEachStepOnce()
    {
        await using var h = await BatchHarness.StartAsync(services: Faults.Dispatcher(duplicateEvery: true));
        await AssertRunsOnceAsync(h);
    }

    [Fact]
    public async Task NightlyRun_AnswersToUploadAndCreateLost_FindsThemInsteadOfRepeating()
    {
        await using var h = await BatchHarness.StartAsync(services: s => s.AddSingleton<IBatchGateway>(sp =>
            new AnswerLosingGateway(AzureOpenAIBatchGateway.Create(sp.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value))));
        var run = await AssertRunsOnceAsync(h);

        var history = (await h.GetRunAsync(run)).GetProperty("history");
        Assert.Equal(2, history.EnumerateArray().Count(e => e.GetProperty("outcome").GetString() == "retry"));
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

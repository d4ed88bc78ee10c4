using System.Net;
using ControlPlane.Batch;
using ControlPlane.Functions.Orchestrations;

namespace ControlPlane.Orchestrations;

/// <summary>Starting, reading, terminating and retrying orchestrations through the API (the nightly batch as the kind).</summary>
public sealed class OrchestrationsApiTests : IAsyncLifetime
{
    private BatchHarness _h = null!;

    public async Task InitializeAsync() => _h = await BatchHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Start_WithInstanceId_StartsOnceAndAnswersTheSameInstanceAfter()
    {
        var first = await _h.Admin.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceId":"manual-1"}""");
        var again = await _h.Admin.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceId":"manual-1"}""");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("/api/orchestrations/manual-1", first.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var view = await first.JsonAsync();
        Assert.Contains(view.GetProperty("status").GetString(), new[] { "pending", "running" });
        Assert.Equal(ControlPlane.Access.ApiKeyService.BootstrapAdminKeyId, view.GetProperty("startedBy").GetString());
        var list = await (await _h.Admin.GetAsync("/api/orchestrations?kind=nightly-batch")).JsonAsync();
        Assert.Single(list.GetProperty("instances").EnumerateArray());
    }

    [Fact]
    public async Task Start_NoBody_StartsWithGeneratedIdAndRunsToCompletion()
    {
        var started = await (await _h.Admin.PostAsync("/api/orchestrations/nightly-batch/start", null)).JsonAsync();
        var id = started.GetProperty("id").GetString()!;

        var run = await _h.RunToEndAsync(id);

        Assert.StartsWith("nightly-batch-", id);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal("completed", run.GetProperty("step").GetString());
        Assert.Equal(0, run.GetProperty("output").GetProperty("requests").GetInt32());
        Assert.Equal("nightly-batch", run.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Start_UnknownKindOrBadId_AnswersProblem()
    {
        await (await _h.Admin.PostAsync("/api/orchestrations/month-end-close/start", null)).AssertProblemAsync(HttpStatusCode.NotFound, OrchestrationsApi.KindUnknownCode);
        await (await _h.Admin.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceId":"a/b"}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest, OrchestrationsApi.IdInvalidCode);
        await (await _h.Admin.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceid":"x","when":"now"}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "request_json_invalid");
    }

    [Fact]
    public async Task Get_Unknown_Answers404AndBadStatusFilterAnswers400()
    {
        await (await _h.Admin.GetAsync("/api/orchestrations/nope")).AssertProblemAsync(HttpStatusCode.NotFound, OrchestrationsApi.NotFoundCode);
        await (await _h.Admin.GetAsync("/api/orchestrations?status=sleeping")).AssertProblemAsync(HttpStatusCode.BadRequest, OrchestrationsApi.StatusInvalidCode);
    }

    [Fact]
    public async Task Terminate_WhilePolling_StopsTheRunAndRetryResumesItWithTheSameBatch()
    {
        await _h.SubmitOkAsync();
        var runId = await _h.StartNightlyAsync();
        await _h.WaitUntilAsync(runId, run => _h.OpenAI.Batches.Count == 1 && run.GetProperty("step").GetString() == "poll");

        var terminated = await _h.Admin.PostJsonAsync($"/api/orchestrations/{runId}/terminate", """{"reason":"wrong prompts"}""");

        Assert.Equal(HttpStatusCode.OK, terminated.StatusCode);
        var run = await terminated.JsonAsync();
        Assert.Equal("terminated", run.GetProperty("status").GetString());
        Assert.Contains("wrong prompts", run.GetProperty("output").ToString());
        var batchPolls = _h.OpenAI.CountRequests("GET", $"/openai/batches/{_h.OpenAI.Batches.Single().Id}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // three poll intervals: a live run would have looked again
        Assert.Equal(batchPolls, _h.OpenAI.CountRequests("GET", $"/openai/batches/{_h.OpenAI.Batches.Single().Id}"));
        await (await _h.Admin.PostAsync($"/api/orchestrations/{runId}/terminate", null)).AssertProblemAsync(HttpStatusCode.Conflict, OrchestrationsApi.NotRunningCode);

        // Retried, it runs again under the same id and resumes from its saved state: the same batch, settled once.
        (await _h.Admin.PostAsync($"/api/orchestrations/{runId}/retry", null)).EnsureSuccessStatusCode();
        var resumed = await _h.RunToEndAsync(runId);
        Assert.Equal("completed", resumed.GetProperty("status").GetString());
        Assert.Single(_h.OpenAI.Batches);
        Assert.Equal(1, resumed.GetProperty("output").GetProperty("completed").GetInt32());
        await (await _h.Admin.PostAsync($"/api/orchestrations/{runId}/retry", null)).AssertProblemAsync(HttpStatusCode.Conflict, OrchestrationsApi.NotStoppedCode);
    }

    [Fact]
    public async Task Api_Roles_FinanceReadsOnlyAdminControlsIngestNeither()
    {
        var finance = _h.App.Client(await _h.App.IssueKeyAsync("finance"));
        var ingest = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "search"));

        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/api/orchestrations")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await finance.PostAsync("/api/orchestrations/nightly-batch/start", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ingest.GetAsync("/api/orchestrations")).StatusCode);
    }
}

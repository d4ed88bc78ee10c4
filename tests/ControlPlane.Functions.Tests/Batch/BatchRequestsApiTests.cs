using System.Net;
using System.Net.Http.Json;
using ControlPlane.Budgets;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Batch;

/// <summary>Submitting, reading and cancelling deferrable requests.</summary>
public sealed class BatchRequestsApiTests : IAsyncLifetime
{
    private BatchHarness _h = null!;

    public async Task InitializeAsync() => _h = await BatchHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(object body) => _h.Admin.PostAsJsonAsync("/api/batch/requests", body);

    [Fact]
    public async Task Submit_EstimatesWithTheTokenizerAndPricesBothWays()
    {
        var response = await PostAsync(new
        {
            team = "search", feature = "summaries", model = "gpt-4o", maxOutputTokens = 1000,
            body = new { messages = new[] { new { role = "user", content = "Hello world" } } },
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.StartsWith("/api/batch/requests/breq_", response.Headers.Location!.OriginalString);
        var body = await response.JsonAsync();
        // "Hello world" is 2 o200k tokens; 3 per message, 1 for the role, 3 to prime the reply.
        Assert.Equal(9, body.GetProperty("estimatedInputTokens").GetInt64());
        // gpt-4o on azure-openai: $2.50/$10 per million real time, half in batch.
        Assert.Equal(0.0100225m, body.Money("estimatedRealtimeCostUsd"));
        Assert.Equal(0.00501125m, body.Money("estimatedBatchCostUsd"));
        Assert.Equal(0.00501125m, body.Money("estimatedSavingUsd"));
        Assert.StartsWith("res_", body.GetProperty("reservationId").GetString());
        Assert.Equal(ControlPlaneApp.Start.AddDays(5), body.GetProperty("reservationExpiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Submit_SameIdTwice_ReturnsTheFirstAndReservesOnce()
    {
        await _h.Admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        var first = await _h.SubmitAsync("nightly-report-42");
        var again = await _h.SubmitAsync("nightly-report-42");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var (firstBody, againBody) = (await first.JsonAsync(), await again.JsonAsync());
        var reserved = (await _h.Admin.GetBudgetAsync("search-monthly")).Money("reservedUsd");
        Assert.Equal(firstBody.Money("estimatedBatchCostUsd"), reserved - await UnusedLeaseAsync(reserved));
        Assert.Equal(firstBody.GetProperty("reservationId").GetString(), againBody.GetProperty("reservationId").GetString());
        var conflict = await _h.SubmitAsync("nightly-report-42", model: "gpt-4o");
        await conflict.AssertProblemAsync(HttpStatusCode.Conflict, BatchErrors.IdConflict);
    }

    /// <summary>Leased headroom not yet handed to a reservation shows as reserved until its lease folds; fold it to see only holds.</summary>
    private async Task<decimal> UnusedLeaseAsync(decimal reservedBefore)
    {
        return reservedBefore - (await _h.SettledBudgetAsync("search-monthly")).Money("reservedUsd");
    }

    [Fact]
    public async Task Submit_BudgetCannotAffordCeiling_Answers402AndKeepsNothing()
    {
        await _h.Admin.PutBudgetAsync("search-tiny", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 0.0001m, mode = "hard" });

        var response = await _h.SubmitAsync(maxOutputTokens: 10_000);

        var problem = await response.AssertProblemAsync(HttpStatusCode.PaymentRequired, BatchErrors.Denied);
        Assert.Equal("budget_exceeded", problem.GetProperty("reason").GetString());
        Assert.Equal("search-tiny", problem.GetProperty("budgetId").GetString());
        var list = await (await _h.Admin.GetAsync("/api/batch/requests")).JsonAsync();
        Assert.Equal(0, list.GetProperty("requests").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10}""", BatchErrors.BodyRequired)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":[]}""", BatchErrors.BodyInvalid)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"messages":[]}}""", BatchErrors.MessagesRequired)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"stream":true,"messages":[{"role":"user","content":"x"}]}}""", BatchErrors.StreamingUnsupported)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"max_tokens":11,"messages":[{"role":"user","content":"x"}]}}""", BatchErrors.MaxTokensConflict)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}}""", BatchErrors.BodyInvalid)]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","body":{"messages":[{"role":"user","content":"x"}]}}""", "authorize_max_output_tokens_required")]
    [InlineData("""{"id":"has space","team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"messages":[{"role":"user","content":"x"}]}}""", BatchErrors.IdInvalid)]
    [InlineData("""{"feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"messages":[{"role":"user","content":"x"}]}}""", "usage_field_required")]
    [InlineData("""{"team":"search","feature":"f","model":"gpt-4o-mini","maxOutputTokens":10,"body":{"messages":[{"role":"user","content":"x"}]},"priority":"high"}""", "request_json_invalid")]
    public async Task Submit_InvalidRequest_Answers400WithStableCodeAndWritesNothing(string json, string code)
    {
        var response = await _h.Admin.PostJsonAsync("/api/batch/requests", json);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        var list = await (await _h.Admin.GetAsync("/api/batch/requests")).JsonAsync();
        Assert.Equal(0, list.GetProperty("requests").GetArrayLength());
    }

    [Fact]
    public async Task Submit_UnpricedModel_Answers400()
    {
        var response = await _h.SubmitAsync(model: "my-finetune");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, BatchErrors.ModelUnpriced);
    }

    [Fact]
    public async Task Submit_AzureOpenAINotConfigured_Answers503()
    {
        await using var app = new ControlPlaneApp();

        var response = await app.Client().PostJsonAsync("/api/batch/requests", "{}");

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "batch_not_configured");
    }

    [Fact]
    public async Task Requests_OtherTeamsKey_CannotSubmitSeeOrCancel()
    {
        var id = await _h.SubmitOkAsync();
        var ads = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "ads"));

        var submit = await ads.PostAsJsonAsync("/api/batch/requests", new
        {
            team = "search", feature = "f", model = "gpt-4o-mini", maxOutputTokens = 10, body = new { messages = new[] { new { role = "user", content = "x" } } },
        });
        await submit.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        await (await ads.GetAsync($"/api/batch/requests/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, BatchErrors.NotFound);
        await (await ads.DeleteAsync($"/api/batch/requests/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, BatchErrors.NotFound);
        var own = await (await ads.GetAsync("/api/batch/requests")).JsonAsync();
        Assert.Equal(0, own.GetProperty("requests").GetArrayLength());
        var finance = _h.App.Client(await _h.App.IssueKeyAsync("finance"));
        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync($"/api/batch/requests/{id}")).StatusCode);
    }

    [Fact]
    public async Task Cancel_PendingRequest_ReleasesReservationAndTheRunSkipsIt()
    {
        var id = await _h.SubmitOkAsync();
        var reservationId = (await _h.GetRequestAsync(id)).GetProperty("reservationId").GetString();

        var cancelled = await _h.Admin.DeleteAsync($"/api/batch/requests/{id}");
        var again = await _h.Admin.DeleteAsync($"/api/batch/requests/{id}");

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.JsonAsync()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        // The request's money is its own: a client cannot release it apart from the request (cancel did).
        await (await _h.Admin.DeleteAsync($"/api/reservations/{reservationId}")).AssertProblemAsync(HttpStatusCode.Conflict, "reservation_owned_by_batch_request");
        var run = await _h.RunToEndAsync(await _h.StartNightlyAsync());
        Assert.Equal(0, run.GetProperty("output").GetProperty("requests").GetInt32());
        Assert.Empty(_h.OpenAI.Batches);
        Assert.Empty(_h.OpenAI.Files);
    }

    [Fact]
    public async Task Cancel_AfterSubmission_Answers409()
    {
        var id = await _h.SubmitOkAsync();
        var runId = await _h.StartNightlyAsync();
        await _h.WaitUntilAsync(runId, run => run.TryGetProperty("step", out var step) && step.GetString() == "poll");

        var response = await _h.Admin.DeleteAsync($"/api/batch/requests/{id}");

        await response.AssertProblemAsync(HttpStatusCode.Conflict, BatchErrors.AlreadySubmitted);
        await _h.RunToEndAsync(runId);
        await (await _h.Admin.DeleteAsync($"/api/batch/requests/{id}")).AssertProblemAsync(HttpStatusCode.Conflict, BatchErrors.AlreadyFinished);
    }

    [Fact]
    public async Task List_FiltersByStatus()
    {
        var kept = await _h.SubmitOkAsync();
        var dropped = await _h.SubmitOkAsync();
        await _h.Admin.DeleteAsync($"/api/batch/requests/{dropped}");

        var pending = await (await _h.Admin.GetAsync("/api/batch/requests?status=pending")).JsonAsync();
        var bad = await _h.Admin.GetAsync("/api/batch/requests?status=sleeping");

        Assert.Equal([kept], pending.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        await bad.AssertProblemAsync(HttpStatusCode.BadRequest, BatchErrors.StatusInvalid);
    }

    [Fact]
    public async Task Cancel_RacingTheNightlyCollect_EachRequestIsEitherCancelledAndFreeOrRunAndChargedNeverBoth()
    {
        await _h.Admin.PutBudgetAsync("search-monthly", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 10m, mode = "hard" });
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await _h.SubmitOkAsync($"race-{i:D2}"));
        }

        var runId = await _h.StartNightlyAsync();
        // The run's collect step and 40 cancellations, staggered so that some land before the claim and some after.
        var deliver = _h.RunToEndAsync(runId);
        var cancels = ids.Select((id, i) => Task.Run(async () =>
        {
            await Task.Delay(i * 5);
            return await _h.Admin.DeleteAsync($"/api/batch/requests/{id}");
        })).ToList();
        await deliver;
        var answers = await Task.WhenAll(cancels);
        await _h.RunToEndAsync(runId);

        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, a.StatusCode.ToString()));
        decimal charged = 0;
        var cancelled = 0;
        foreach (var id in ids)
        {
            var request = await _h.GetRequestAsync(id);
            var usage = await _h.Admin.GetAsync($"/api/usage/cp:batch:{BatchHarness.KeyOf(id)}");
            if (request.GetProperty("status").GetString() == "cancelled")
            {
                cancelled++;
                Assert.Equal(HttpStatusCode.NotFound, usage.StatusCode);
            }
            else
            {
                Assert.Equal("completed", request.GetProperty("status").GetString());
                Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
                charged += request.Money("costUsd");
            }
        }

        Assert.Equal(ids.Count - cancelled, _h.OpenAI.Batches.Sum(b => b.Total));
        Assert.Equal(cancelled, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        var budget = await _h.SettledBudgetAsync("search-monthly");
        Assert.Equal(charged, budget.Money("spentUsd"));
        Assert.Equal(0m, budget.Money("reservedUsd"));
    }

    [Fact]
    public async Task RetentionSweeps_DeleteFinishedRequestsRunsAndTheirBlobsButKeepPendingOnes()
    {
        var done = await _h.SubmitOkAsync("old-done");
        var runId = await _h.StartNightlyAsync();
        await _h.RunToEndAsync(runId);
        var waiting = await _h.SubmitOkAsync("still-pending");
        var payloads = _h.App.Services.GetRequiredService<IBatchPayloadStore>();
        Assert.NotNull(await payloads.GetResultAsync(BatchHarness.KeyOf(done)));

        _h.Clock.Advance(TimeSpan.FromDays(29));
        var early = await (await _h.Admin.PostJsonAsync("/admin/functions/BatchRetentionSweep", "{}")).JsonAsync();
        _h.Clock.Advance(TimeSpan.FromDays(2));
        var swept = await (await _h.Admin.PostJsonAsync("/admin/functions/BatchRetentionSweep", "{}")).JsonAsync();
        // Durable keeps the instance's real creation time: move the app's clock past it by the retention.
        var realNow = TimeProvider.System.GetUtcNow();
        _h.Clock.SetUtcNow(realNow > _h.Clock.GetUtcNow() ? realNow.AddDays(91) : _h.Clock.GetUtcNow().AddDays(91));
        var runsSwept = await (await _h.Admin.PostJsonAsync("/admin/functions/OrchestrationRetentionSweep", "{}")).JsonAsync();

        Assert.Equal(0, early.GetProperty("requests").GetInt32());
        Assert.Equal(1, swept.GetProperty("requests").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await _h.Admin.GetAsync($"/api/batch/requests/{done}")).StatusCode);
        Assert.Null(await payloads.GetResultAsync(BatchHarness.KeyOf(done)));
        Assert.Null(await payloads.GetRequestBodyAsync(BatchHarness.KeyOf(done)));
        Assert.Equal("pending", (await _h.GetRequestAsync(waiting)).GetProperty("status").GetString());
        Assert.NotNull(await payloads.GetRequestBodyAsync(BatchHarness.KeyOf(waiting)));
        Assert.True(runsSwept.TryGetProperty("deleted", out var deleted), runsSwept.ToString());
        Assert.Equal(1, deleted.GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await _h.Admin.GetAsync($"/api/orchestrations/{runId}")).StatusCode);
        // The usage it recorded is ledger data, kept by the ledger's own retention.
        Assert.Equal(HttpStatusCode.OK, (await _h.Admin.GetAsync($"/api/usage/cp:batch:{BatchHarness.KeyOf(done)}")).StatusCode);
    }
}

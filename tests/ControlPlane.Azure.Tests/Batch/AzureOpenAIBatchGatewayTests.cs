using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Azure.Batch;
using ControlPlane.Batch;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Tests.Batch;

/// <summary>The real Azure.AI.OpenAI 2.1.0 SDK, through <see cref="AzureOpenAIBatchGateway"/>, against <see cref="FakeAzureOpenAIServer"/>.</summary>
public sealed class AzureOpenAIBatchGatewayTests : IAsyncLifetime
{
    private const string ApiVersion = "api-version=2024-10-21";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 3, 1, 2, 0, 0, TimeSpan.Zero));
    private FakeAzureOpenAIServer _aoai = null!;
    private AzureOpenAIBatchGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _aoai = await FakeAzureOpenAIServer.StartAsync(_clock);
        _gateway = FakeAzureOpenAI.CreateGateway(_aoai);
    }

    public async Task DisposeAsync() => await _aoai.DisposeAsync();

    [Fact]
    public async Task UploadInputFileAsync_ValidJsonl_IsFoundByNameNewestFirst()
    {
        var first = await _gateway.UploadInputFileAsync("nightly-2025-03-01.jsonl", Jsonl(Line("a", "hello")));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var input = Jsonl(Line("a", "hello"), Line("b", "world"));
        var second = await _gateway.UploadInputFileAsync("nightly-2025-03-01.jsonl", input);
        await _gateway.UploadInputFileAsync("nightly-2025-03-02.jsonl", Jsonl(Line("c", "other")));

        var found = await _gateway.FindInputFileAsync("nightly-2025-03-01.jsonl");

        Assert.Equal(new BatchFile(second.Id, "nightly-2025-03-01.jsonl", input.Length, "processed"), found);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(await _gateway.FindInputFileAsync("nightly-2025-02-28.jsonl"));
        Assert.Equal(input.ToArray(), _aoai.FileContent(second.Id));

        var upload = _aoai.Requests[1];
        Assert.Equal(("POST", "/openai/files", $"?{ApiVersion}", true), (upload.Method, upload.Path, upload.Query, upload.HadApiKey));
        Assert.Contains("name=purpose", upload.Body, StringComparison.Ordinal);
        var list = _aoai.Requests[3];
        Assert.Equal(("GET", "/openai/files", $"?{ApiVersion}&purpose=batch"), (list.Method, list.Path, list.Query));
    }

    [Fact]
    public async Task CreateBatchAsync_FileStillPending_IsRefusedUntilTheServiceProcessedIt()
    {
        _aoai.FileProcessingLookups = 1;
        var file = await _gateway.UploadInputFileAsync("pending.jsonl", Jsonl(Line("a", "hello")));

        var refused = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.CreateBatchAsync(file.Id));
        var stillPending = await _gateway.FindInputFileAsync("pending.jsonl");
        var processed = await _gateway.FindInputFileAsync("pending.jsonl");
        var job = await _gateway.CreateBatchAsync(file.Id);

        Assert.Equal("pending", file.Status);
        Assert.Equal((400, false), (refused.StatusCode, refused.IsTransient));
        Assert.Contains("'pending' state", refused.Message);
        Assert.Equal(("pending", "processed"), (stillPending!.Status, processed!.Status));
        Assert.Equal(BatchJobStatus.Validating, job.Status);
    }

    [Fact]
    public async Task UploadInputFileAsync_LineWithoutCustomId_ThrowsNonTransient400()
    {
        var bad = Encoding.UTF8.GetBytes(Line("a", "ok") + "\n" + """{"method":"POST","url":"/chat/completions","body":{"model":"gpt-4o-mini"}}""" + "\n");

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.UploadInputFileAsync("bad.jsonl", bad));

        Assert.Equal((400, "invalidPayload", false), (e.StatusCode, e.ErrorCode, e.IsTransient));
        Assert.Contains("Line 2", e.Message, StringComparison.Ordinal);
        Assert.Empty(_aoai.Files);
    }

    [Fact]
    public async Task UploadInputFileAsync_MoreLinesThanTheLimit_ThrowsTooManyLines()
    {
        _aoai.MaxFileLines = 2;

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() =>
            _gateway.UploadInputFileAsync("big.jsonl", Jsonl(Line("a", "1"), Line("b", "2"), Line("c", "3"))));

        Assert.Equal((400, "tooManyLines"), (e.StatusCode, e.ErrorCode));
        await _gateway.UploadInputFileAsync("ok.jsonl", Jsonl(Line("a", "1"), Line("b", "2")));
    }

    [Fact]
    public async Task UploadInputFileAsync_LargerThanTheLimit_ThrowsFileTooLarge()
    {
        var input = Jsonl(Line("a", new string('x', 600)));
        _aoai.MaxFileBytes = input.Length - 1;

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.UploadInputFileAsync("big.jsonl", input));

        Assert.Equal((400, "fileTooLarge"), (e.StatusCode, e.ErrorCode));
    }

    [Fact]
    public async Task GetBatchAsync_PolledThroughTheLifecycle_CompletesWithOneOutputLinePerRequest()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(
            Line("req-1", "abcdefgh", maxTokens: 5),
            Line("req-2", "abcdefghijkl", maxTokens: 100),
            Line("req-3", "abc")));

        var created = await _gateway.CreateBatchAsync(file.Id);
        var states = new List<BatchJobStatus> { created.Status };
        var job = created;
        for (var i = 0; i < 3; i++)
        {
            job = await _gateway.GetBatchAsync(created.Id);
            states.Add(job.Status);
        }

        Assert.Equal([BatchJobStatus.Validating, BatchJobStatus.InProgress, BatchJobStatus.Finalizing, BatchJobStatus.Completed], states);
        Assert.True(job.Status.IsTerminal);
        Assert.Equal((file.Id, _clock.GetUtcNow()), (created.InputFileId, created.CreatedAt));
        Assert.Equal(new BatchRequestCounts(3, 3, 0), job.RequestCounts);
        Assert.Null(job.ErrorFileId);
        Assert.Empty(job.Errors);

        var create = JsonNode.Parse(_aoai.Requests.Single(r => r is { Method: "POST", Path: "/openai/batches" }).Body)!;
        Assert.Equal((file.Id, "/chat/completions", "24h"),
            (create["input_file_id"]!.GetValue<string>(), create["endpoint"]!.GetValue<string>(), create["completion_window"]!.GetValue<string>()));

        var output = Lines(await _gateway.DownloadFileAsync(job.OutputFileId!));
        Assert.Equal(["req-1", "req-2", "req-3"], output.Select(l => l["custom_id"]!.GetValue<string>()));
        Assert.All(output, l => Assert.Equal(200, l["response"]!["status_code"]!.GetValue<int>()));
        Assert.All(output, l => Assert.StartsWith("batch_req_", l["id"]!.GetValue<string>(), StringComparison.Ordinal));

        // Prompt: ceil(characters / 4) + 4 for the one message; completion: min(max_tokens, 16).
        Assert.Equal([(6, 5, 11, "length"), (7, 16, 23, "stop"), (5, 16, 21, "stop")], output.Select(l =>
        {
            var body = l["response"]!["body"]!;
            var usage = body["usage"]!;
            return (usage["prompt_tokens"]!.GetValue<int>(), usage["completion_tokens"]!.GetValue<int>(), usage["total_tokens"]!.GetValue<int>(),
                body["choices"]![0]!["finish_reason"]!.GetValue<string>());
        }));
        var first = output[0]["response"]!["body"]!;
        Assert.Equal(("chat.completion", "gpt-4o-mini", "assistant"),
            (first["object"]!.GetValue<string>(), first["model"]!.GetValue<string>(), first["choices"]![0]!["message"]!["role"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DownloadFileAsync_UsageScriptedPerCustomId_ReturnsThoseExactTokens()
    {
        _aoai.UsageFor = line => line.CustomId == "cached" ? new FakeUsage(2000, 300, CachedTokens: 1024, ReasoningTokens: 128) : null;
        var job = await RunToEndAsync(Jsonl(Line("cached", "long prompt"), Line("plain", "abcd")));

        var output = Lines(await _gateway.DownloadFileAsync(job.OutputFileId!));

        var usage = output.Single(l => l["custom_id"]!.GetValue<string>() == "cached")["response"]!["body"]!["usage"]!;
        Assert.Equal((2000, 300, 2300, 1024, 128), (usage["prompt_tokens"]!.GetValue<int>(), usage["completion_tokens"]!.GetValue<int>(),
            usage["total_tokens"]!.GetValue<int>(), usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>(),
            usage["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>()));
        var plain = output.Single(l => l["custom_id"]!.GetValue<string>() == "plain")["response"]!["body"]!["usage"]!;
        Assert.Equal(5, plain["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task FindBatchByInputFileAsync_OlderBatchBeyondTheFirstPage_PagesUntilItIsFound()
    {
        var gateway = AzureOpenAIBatchGateway.Create(FakeAzureOpenAI.Options(_aoai) with { BatchListPageSize = 2 });
        var files = new List<BatchFile>();
        var batches = new List<BatchJob>();
        for (var i = 0; i < 5; i++)
        {
            files.Add(await gateway.UploadInputFileAsync($"in-{i}.jsonl", Jsonl(Line("a", "x"))));
            batches.Add(await gateway.CreateBatchAsync(files[i].Id));
        }

        var found = await gateway.FindBatchByInputFileAsync(files[0].Id);

        Assert.Equal(batches[0].Id, found?.Id);
        Assert.Equal(files[0].Id, found?.InputFileId);

        // Newest first, two per page: the oldest batch is on the third page, reached through after=<last id>.
        var pages = _aoai.Requests.Where(r => r is { Method: "GET", Path: "/openai/batches" }).ToList();
        Assert.Equal([$"?{ApiVersion}&limit=2", $"?{ApiVersion}&after={batches[3].Id}&limit=2", $"?{ApiVersion}&after={batches[1].Id}&limit=2"],
            pages.Select(p => p.Query));
        Assert.Equal(batches[4].Id, (await gateway.FindBatchByInputFileAsync(files[4].Id))?.Id);
    }

    [Fact]
    public async Task FindBatchByInputFileAsync_NoBatchOverTheFile_ReturnsNull()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "x")));
        await _gateway.CreateBatchAsync(file.Id);
        var other = await _gateway.UploadInputFileAsync("other.jsonl", Jsonl(Line("a", "x")));

        Assert.Null(await _gateway.FindBatchByInputFileAsync(other.Id));
        Assert.Single(_aoai.Batches);
    }

    [Fact]
    public async Task GetBatchAsync_LineNamesUnknownDeployment_FailsWithModelNotFoundOnThatLine()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "x"), Line("b", "y", model: "gpt-5-nope")));
        var created = await _gateway.CreateBatchAsync(file.Id);

        var job = await _gateway.GetBatchAsync(created.Id);

        Assert.Equal(BatchJobStatus.Failed, job.Status);
        var error = Assert.Single(job.Errors);
        Assert.Equal(("model_not_found", 2), (error.Code, error.Line));
        Assert.Contains("gpt-5-nope", error.Message, StringComparison.Ordinal);
        Assert.Null(job.OutputFileId);
        Assert.Equal(BatchJobStatus.Failed, (await _gateway.GetBatchAsync(created.Id)).Status);
    }

    [Fact]
    public async Task GetBatchAsync_DuplicateCustomId_FailsValidation()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "x"), Line("b", "y"), Line("a", "z")));
        var created = await _gateway.CreateBatchAsync(file.Id);

        var job = await _gateway.GetBatchAsync(created.Id);

        Assert.Equal(BatchJobStatus.Failed, job.Status);
        Assert.Equal([new BatchJobError("duplicate_custom_id", "The custom_id 'a' is used by more than one request.", 3)], job.Errors);
    }

    [Fact]
    public async Task GetBatchAsync_WindowExpiresMidway_DoneLinesInOutputRestBatchExpiredInErrorFile()
    {
        _aoai.ScriptNextBatch(FakeBatchOutcome.Expires(linesDone: 2));

        var job = await RunToEndAsync(Jsonl(Line("a", "1"), Line("b", "2"), Line("c", "3"), Line("d", "4")));

        Assert.Equal(BatchJobStatus.Expired, job.Status);
        Assert.Equal(new BatchRequestCounts(4, 2, 2), job.RequestCounts);
        Assert.Equal(["a", "b"], Lines(await _gateway.DownloadFileAsync(job.OutputFileId!)).Select(l => l["custom_id"]!.GetValue<string>()));
        var errors = Lines(await _gateway.DownloadFileAsync(job.ErrorFileId!));
        Assert.Equal([("c", "batch_expired"), ("d", "batch_expired")],
            errors.Select(l => (l["custom_id"]!.GetValue<string>(), l["error"]!["code"]!.GetValue<string>())));
    }

    [Fact]
    public async Task CancelBatchAsync_InProgress_CancellingThenCancelledWithDoneLinesInOutput()
    {
        _aoai.ScriptNextBatch(FakeBatchOutcome.Completed with { LinesDoneBeforeCancel = 1 });
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "1"), Line("b", "2"), Line("c", "3")));
        var created = await _gateway.CreateBatchAsync(file.Id);
        Assert.Equal(BatchJobStatus.InProgress, (await _gateway.GetBatchAsync(created.Id)).Status);

        var cancelling = await _gateway.CancelBatchAsync(created.Id);
        var cancelled = await _gateway.GetBatchAsync(created.Id);

        Assert.Equal(BatchJobStatus.Cancelling, cancelling.Status);
        Assert.Equal(BatchJobStatus.Cancelled, cancelled.Status);
        Assert.Equal(new BatchRequestCounts(3, 1, 0), cancelled.RequestCounts);
        Assert.Equal(["a"], Lines(await _gateway.DownloadFileAsync(cancelled.OutputFileId!)).Select(l => l["custom_id"]!.GetValue<string>()));
        Assert.Equal(1, _aoai.CountRequests("POST", $"/openai/batches/{created.Id}/cancel"));
    }

    [Fact]
    public async Task CancelBatchAsync_AlreadyCompleted_ThrowsNonTransient409()
    {
        var job = await RunToEndAsync(Jsonl(Line("a", "1")));

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.CancelBatchAsync(job.Id));

        Assert.Equal((409, "batchNotCancellable", false), (e.StatusCode, e.ErrorCode, e.IsTransient));
    }

    [Fact]
    public async Task GetBatchAsync_SomeLinesRejected_ErrorFileHoldsThemAndOutputTheRest()
    {
        _aoai.ScriptNextBatch(FakeBatchOutcome.WithFailedLines("b"));

        var job = await RunToEndAsync(Jsonl(Line("a", "1"), Line("b", "2"), Line("c", "3")));

        Assert.Equal(BatchJobStatus.Completed, job.Status);
        Assert.Equal(new BatchRequestCounts(3, 2, 1), job.RequestCounts);
        Assert.Equal(["a", "c"], Lines(await _gateway.DownloadFileAsync(job.OutputFileId!)).Select(l => l["custom_id"]!.GetValue<string>()));
        var failed = Assert.Single(Lines(await _gateway.DownloadFileAsync(job.ErrorFileId!)));
        Assert.Equal(("b", 400, "content_filter"), (failed["custom_id"]!.GetValue<string>(), failed["response"]!["status_code"]!.GetValue<int>(),
            failed["response"]!["body"]!["error"]!["code"]!.GetValue<string>()));
        Assert.Null(failed["error"]);
    }

    [Fact]
    public async Task GetBatchAsync_Throttled_ThrowsTransient429WithTheServiceCode()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "1")));
        var created = await _gateway.CreateBatchAsync(file.Id);
        _aoai.FailNext(1, 429, method: "GET", pathPrefix: "/openai/batches/", retryAfterSeconds: 30);

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.GetBatchAsync(created.Id));

        Assert.Equal((429, "429", true), (e.StatusCode, e.ErrorCode, e.IsTransient));
        Assert.Equal("validating", _aoai.FindBatch(created.Id)!.Status);
        Assert.Equal(BatchJobStatus.InProgress, (await _gateway.GetBatchAsync(created.Id)).Status);
    }

    [Fact]
    public async Task CreateBatchAsync_ServerError_ThrowsTransient500AndMakesNoBatch()
    {
        var file = await _gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "1")));
        _aoai.FailNext(1, 500, method: "POST", pathPrefix: "/openai/batches");

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.CreateBatchAsync(file.Id));

        Assert.Equal((500, "InternalServerError", true), (e.StatusCode, e.ErrorCode, e.IsTransient));
        Assert.Empty(_aoai.Batches);
    }

    [Fact]
    public async Task CreateBatchAsync_ServiceUnavailableOnceWithRetries_SucceedsOnTheRetry()
    {
        var gateway = FakeAzureOpenAI.CreateGateway(_aoai, maxRetries: 2);
        var file = await gateway.UploadInputFileAsync("in.jsonl", Jsonl(Line("a", "1")));
        _aoai.FailNext(1, 503, method: "POST", pathPrefix: "/openai/batches", retryAfterSeconds: 0);

        var job = await gateway.CreateBatchAsync(file.Id);

        Assert.Equal(BatchJobStatus.Validating, job.Status);
        Assert.Equal(2, _aoai.CountRequests("POST", "/openai/batches"));
        Assert.Single(_aoai.Batches);
    }

    [Fact]
    public async Task GetBatchAsync_UnknownBatch_ThrowsNonTransient404()
    {
        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => _gateway.GetBatchAsync("batch_does-not-exist"));

        Assert.Equal((404, "batchNotFound", false), (e.StatusCode, e.ErrorCode, e.IsTransient));
    }

    [Fact]
    public async Task GetBatchAsync_WrongApiKey_ThrowsNonTransient401()
    {
        var gateway = FakeAzureOpenAI.CreateGateway(_aoai, apiKey: "not-the-key");

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => gateway.GetBatchAsync("batch_1"));

        Assert.Equal((401, "401", false), (e.StatusCode, e.ErrorCode, e.IsTransient));
    }

    [Fact]
    public async Task DownloadFileAsync_NobodyListening_ThrowsTransientWithoutStatus()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var gateway = AzureOpenAIBatchGateway.Create(FakeAzureOpenAI.Options(_aoai) with { Endpoint = new Uri($"http://127.0.0.1:{port}/") });

        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => gateway.DownloadFileAsync("file-1"));

        Assert.Equal((null, null, true), (e.StatusCode, e.ErrorCode, e.IsTransient));
    }

    [Theory]
    [InlineData(0)] // one try: the SDK throws its network timeout as a TaskCanceledException
    [InlineData(1)] // retried: the SDK throws "Retry failed after 2 tries", an AggregateException of those
    public async Task GetBatchAsync_ProviderAcceptsButNeverAnswers_IsTransientAtTheNetworkTimeout_NotAHangOrACancellation(int maxRetries)
    {
        _aoai.HangNext(10, "GET", "/openai/batches");
        var gateway = AzureOpenAIBatchGateway.Create(FakeAzureOpenAI.Options(_aoai, maxRetries) with { NetworkTimeout = TimeSpan.FromSeconds(1) });

        // Bounded: a call that hung would fail this wait instead of the test hanging with it.
        var e = await Assert.ThrowsAsync<BatchGatewayException>(() => gateway.GetBatchAsync("batch_silent").WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal((null, null, true), (e.StatusCode, e.ErrorCode, e.IsTransient));
        Assert.Equal(maxRetries + 1, _aoai.Requests.Count(r => r.Method == "GET" && r.Path == "/openai/batches/batch_silent"));
    }

    [Fact]
    public async Task GetBatchAsync_CallersOwnCancellation_StaysACancellation()
    {
        _aoai.HangNext(1, "GET", "/openai/batches");
        using var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var gateway = AzureOpenAIBatchGateway.Create(FakeAzureOpenAI.Options(_aoai) with { NetworkTimeout = TimeSpan.FromSeconds(20) });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gateway.GetBatchAsync("batch_silent", shutdown.Token).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task FakeServer_RequestWithoutApiKeyOrApiVersion_Answers401Or400()
    {
        using var http = new HttpClient { BaseAddress = _aoai.BaseAddress };

        using var noKey = await http.GetAsync(new Uri($"openai/batches?{ApiVersion}", UriKind.Relative));
        using var withKey = new HttpRequestMessage(HttpMethod.Get, new Uri("openai/batches", UriKind.Relative));
        withKey.Headers.Add("api-key", _aoai.ApiKey);
        using var noVersion = await http.SendAsync(withKey);

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        Assert.Equal("MissingApiVersionParameter", JsonNode.Parse(await noVersion.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    /// <summary>Uploads, creates and polls until the batch is terminal.</summary>
    private async Task<BatchJob> RunToEndAsync(ReadOnlyMemory<byte> jsonl)
    {
        var file = await _gateway.UploadInputFileAsync($"in-{Guid.NewGuid():N}.jsonl", jsonl);
        var job = await _gateway.CreateBatchAsync(file.Id);
        for (var polls = 0; !job.Status.IsTerminal; polls++)
        {
            Assert.True(polls < 10, $"batch {job.Id} still {job.Status} after {polls} polls");
            job = await _gateway.GetBatchAsync(job.Id);
        }

        return job;
    }

    private static string Line(string customId, string content, string model = "gpt-4o-mini", int? maxTokens = null)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (maxTokens is { } max)
        {
            body["max_tokens"] = max;
        }

        return new JsonObject { ["custom_id"] = customId, ["method"] = "POST", ["url"] = "/chat/completions", ["body"] = body }.ToJsonString();
    }

    private static ReadOnlyMemory<byte> Jsonl(params string[] lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    private static List<JsonObject> Lines(ReadOnlyMemory<byte> jsonl) =>
        [.. Encoding.UTF8.GetString(jsonl.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
}

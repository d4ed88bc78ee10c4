using Reply = ControlPlane.Testing.Fakes.FakeReply;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// Azure OpenAI's Files and Batches data-plane API, in memory, on Kestrel at <c>http://127.0.0.1:{free port}</c>, with the
/// routes <c>Azure.AI.OpenAI</c> 2.1.0 sends (all with <c>?api-version=</c>):
/// <list type="bullet">
/// <item><c>POST /openai/files</c> (multipart: <c>file</c>, <c>purpose</c>), <c>GET /openai/files[?purpose=]</c>, <c>GET|DELETE /openai/files/{id}</c>,
/// <c>GET /openai/files/{id}/content</c>. A batch input file must be JSONL whose every line is a JSON object with <c>custom_id</c>,
/// <c>method</c> <c>POST</c>, <c>url</c> <c>/chat/completions</c> and <c>body.model</c>, within <see cref="MaxFileBytes"/> and
/// <see cref="MaxFileLines"/> (Azure: 200 MB, 100,000); otherwise 400.</item>
/// <item><c>POST /openai/batches</c> (<c>input_file_id</c>, <c>endpoint</c> <c>/chat/completions</c>, <c>completion_window</c> <c>24h</c>,
/// optional <c>metadata</c>), <c>GET /openai/batches[?after=&amp;limit=]</c> (newest first), <c>GET /openai/batches/{id}</c>,
/// <c>POST /openai/batches/{id}/cancel</c>.</item>
/// <item>Every request needs the <see cref="ApiKey"/> in <c>api-key</c> (401) and an <c>api-version</c> (400). Errors are
/// <c>{"error":{"code","message"}}</c>.</item>
/// </list>
/// A batch moves <c>validating → in_progress → finalizing → completed</c>, one state per <see cref="PollsPerState"/> GETs of
/// that batch (listing does not move it). Leaving <c>validating</c> it checks every line's <c>body.model</c> against
/// <see cref="Deployments"/> (<c>model_not_found</c>) and that <c>custom_id</c>s are unique (<c>duplicate_custom_id</c>), and
/// fails with those errors. What happens next is the batch's <see cref="FakeBatchOutcome"/>: all lines succeed, some fail,
/// the window expires, or a cancel arrives (<c>cancelling</c>, then <c>cancelled</c> on the next look).
/// </summary>
public sealed class FakeAzureOpenAIServer : IAsyncDisposable
{
    public const string DefaultApiKey = "fake-azure-openai-key";

    private const string ChatCompletionsUrl = "/chat/completions";
    private const int DefaultMaxCompletionTokens = 16;

    private readonly WebApplication _app;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private readonly List<FileEntry> _files = [];
    private readonly List<BatchEntry> _batches = [];
    private readonly List<RecordedOpenAIRequest> _requests = [];
    private readonly List<InjectedFailure> _failures = [];
    private readonly Queue<FakeBatchOutcome> _scriptedOutcomes = new();
    private int _nextId;

    private FakeAzureOpenAIServer(WebApplication app, TimeProvider timeProvider)
    {
        _app = app;
        _timeProvider = timeProvider;
    }

    /// <summary>Where Kestrel listens: <c>http://127.0.0.1:{port}/</c>, the resource endpoint to give the client.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The key every request must carry in <c>api-key</c>. Default <see cref="DefaultApiKey"/>.</summary>
    public string ApiKey { get; set; } = DefaultApiKey;

    /// <summary>Model deployments that exist; a line naming another fails validation with <c>model_not_found</c>. Default <c>gpt-4o-mini</c>, <c>gpt-4o</c>.</summary>
    public ISet<string> Deployments { get; } = new HashSet<string>(StringComparer.Ordinal) { "gpt-4o-mini", "gpt-4o" };

    /// <summary>GETs of a batch that see it in one state before it moves to the next. Default 1.</summary>
    public int PollsPerState { get; set; } = 1;

    /// <summary>
    /// Times a new file is listed or read as <c>pending</c> before it shows <c>processed</c>; creating a batch over a
    /// pending file is refused with 400, as Azure does. Default 0 (processed at once).
    /// </summary>
    public int FileProcessingLookups { get; set; }

    /// <summary>Largest input file accepted. Default 200 MB, Azure's limit; tests lower it to trip it cheaply.</summary>
    public long MaxFileBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>Most request lines in an input file. Default 100,000, Azure's limit.</summary>
    public int MaxFileLines { get; set; } = 100_000;

    /// <summary>
    /// Usage for a line, or null for the default: prompt tokens ⌈characters of the messages / 4⌉ + 4 per message, completion
    /// tokens min(<c>max_completion_tokens</c> ?? <c>max_tokens</c> ?? 16, 16), no cached or reasoning tokens.
    /// </summary>
    public Func<FakeBatchLine, FakeUsage?>? UsageFor { get; set; }

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedOpenAIRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Every file the fake holds (uploaded inputs and batch outputs), oldest first.</summary>
    public IReadOnlyList<FakeFile> Files
    {
        get
        {
            lock (_gate)
            {
                return [.. _files.Select(f => new FakeFile(f.Id, f.FileName, f.Purpose, f.Content.Length, f.CreatedAt))];
            }
        }
    }

    /// <summary>Every batch created so far, oldest first: tests count them to prove no duplicate was made.</summary>
    public IReadOnlyList<FakeBatch> Batches
    {
        get
        {
            lock (_gate)
            {
                return [.. _batches.Select(Snapshot)];
            }
        }
    }

    public static async Task<FakeAzureOpenAIServer> StartAsync(TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0")
            .ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 256L * 1024 * 1024);
        var app = builder.Build();
        var server = new FakeAzureOpenAIServer(app, timeProvider ?? TimeProvider.System);
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    /// <summary>The next batch created (then the one after, in order) follows <paramref name="outcome"/>; unscripted batches complete.</summary>
    public void ScriptNextBatch(FakeBatchOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        lock (_gate)
        {
            _scriptedOutcomes.Enqueue(outcome);
        }
    }

    /// <summary>Replaces the outcome of a batch that exists; it takes effect at the batch's next state change.</summary>
    public void ScriptBatch(string batchId, FakeBatchOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        lock (_gate)
        {
            _batches.Single(b => b.Id == batchId).Outcome = outcome;
        }
    }

    /// <summary>Every file still pending shows <c>processed</c> from now on (tests hold files pending, then let them go).</summary>
    public void FinishProcessingFiles()
    {
        lock (_gate)
        {
            foreach (var file in _files)
            {
                file.PendingLookups = 0;
            }
        }
    }

    /// <summary>The batch as the fake holds it now, or null. Does not count as a look at it.</summary>
    public FakeBatch? FindBatch(string batchId)
    {
        lock (_gate)
        {
            return _batches.FirstOrDefault(b => b.Id == batchId) is { } batch ? Snapshot(batch) : null;
        }
    }

    /// <summary>A file's bytes, or null.</summary>
    public byte[]? FileContent(string fileId)
    {
        lock (_gate)
        {
            return _files.FirstOrDefault(f => f.Id == fileId)?.Content.ToArray();
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests that match (<paramref name="method"/>, and a path starting with
    /// <paramref name="pathPrefix"/>, when given) are answered <paramref name="status"/> with an Azure error body instead of
    /// being served; 429 carries <c>retry-after</c> (<paramref name="retryAfterSeconds"/>, default 1). Authentication and the
    /// api-version are checked first, as the service's front door does.
    /// </summary>
    public void FailNext(int count, int status, string? method = null, string? pathPrefix = null, int? retryAfterSeconds = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Add(new InjectedFailure(status, method, pathPrefix, retryAfterSeconds ?? (status == 429 ? 1 : null)));
            }
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests that match are read and then never answered, the way a service that
    /// accepted the connection and went silent looks: the client has only its own timeout to go by.
    /// </summary>
    public void HangNext(int count, string? method = null, string? pathPrefix = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _hangs.Add((method, pathPrefix));
            }
        }
    }

    private readonly List<(string? Method, string? PathPrefix)> _hangs = [];

    /// <summary>Requests whose method and path are exactly these.</summary>
    public int CountRequests(string method, string path) =>
        Requests.Count(r => r.Method == method && string.Equals(r.Path, path, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }

        var path = request.Path.Value ?? "/";
        var apiKey = request.Headers["api-key"].ToString();

        // Multipart is read before taking the lock: MultipartReader is asynchronous.
        var upload = request.Method == "POST" && path == "/openai/files" ? await ReadUploadAsync(request.ContentType, body).ConfigureAwait(false) : null;
        Reply? reply = null;
        bool hang;
        lock (_gate)
        {
            _requests.Add(new RecordedOpenAIRequest(request.Method, path, request.QueryString.Value ?? string.Empty,
                Encoding.UTF8.GetString(body), apiKey.Length > 0));
            var index = _hangs.FindIndex(h => (h.Method is null || h.Method == request.Method) && (h.PathPrefix is null || path.StartsWith(h.PathPrefix, StringComparison.Ordinal)));
            hang = index >= 0;
            if (hang)
            {
                _hangs.RemoveAt(index);
            }

            if (!hang)
            {
                reply = Serve(request.Method, path, request.Query, apiKey, body, upload);
            }
        }

        if (hang)
        {
            await Silence(context).ConfigureAwait(false);
            return;
        }

        if (request.Method == "GET" && path.EndsWith("/content", StringComparison.Ordinal)
            && Interlocked.Increment(ref _contentDownloads) > SlowContentAfter && SlowContent > TimeSpan.Zero)
        {
            // A slow download: a host killed now is killed in the middle of settling.
            await Task.Delay(SlowContent, context.RequestAborted).ConfigureAwait(false);
        }

        await reply!.WriteAsync(context, "apim-request-id", "application/json").ConfigureAwait(false);
    }

    private int _contentDownloads;

    /// <summary>Holds the request open until the client gives up on it or the server stops; nothing is written.</summary>
    internal static async Task Silence(HttpContext context)
    {
        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.RequestAborted.Register(() => abandoned.TrySetResult()))
        {
            await abandoned.Task.ConfigureAwait(false);
        }
    }

    /// <summary>How long a file download takes once <see cref="SlowContentAfter"/> downloads have been served. Default none.</summary>
    public TimeSpan SlowContent { get; set; }

    /// <summary>Downloads served at full speed before <see cref="SlowContent"/> applies.</summary>
    public int SlowContentAfter { get; set; }

    private Reply Serve(string method, string path, IQueryCollection query, string apiKey, byte[] body, Upload? upload)
    {
        if (!string.Equals(apiKey, ApiKey, StringComparison.Ordinal))
        {
            return Error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
                + "for an active subscription and use a correct regional API endpoint for your resource.");
        }

        if (query["api-version"].ToString().Length == 0)
        {
            return Error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }

        var failure = _failures.FirstOrDefault(f => (f.Method is null || f.Method == method)
            && (f.PathPrefix is null || path.StartsWith(f.PathPrefix, StringComparison.Ordinal)));
        if (failure is not null)
        {
            _failures.Remove(failure);
            return InjectedError(failure);
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || segments[0] != "openai")
        {
            return Error(404, "404", "Resource not found");
        }

        return (segments[1], segments.Length, method) switch
        {
            ("files", 2, "POST") => UploadFile(upload!),
            ("files", 2, "GET") => ListFiles(query["purpose"].ToString()),
            ("files", 3, "GET") => WithFile(segments[2], f =>
            {
                var reply = new Reply(200, Render(f));
                f.Observed();
                return reply;
            }),
            ("files", 3, "DELETE") => WithFile(segments[2], DeleteFile),
            ("files", 4, "GET") when segments[3] == "content" => WithFile(segments[2], f => new Reply(200, null) { Bytes = f.Content }),
            ("batches", 2, "POST") => CreateBatch(body),
            ("batches", 2, "GET") => ListBatches(query["after"].ToString(), query["limit"].ToString()),
            ("batches", 3, "GET") => WithBatch(segments[2], GetBatch),
            ("batches", 4, "POST") when segments[3] == "cancel" => WithBatch(segments[2], CancelBatch),
            _ => Error(404, "404", "Resource not found"),
        };
    }

    // ---- files ----

    private Reply UploadFile(Upload upload)
    {
        if (upload.Problem is { } problem)
        {
            return Error(400, "invalidPayload", problem);
        }

        if (upload.Purpose != "batch")
        {
            return Error(400, "invalidPayload", $"The purpose '{upload.Purpose}' is not supported by this fake; it serves 'batch' files.");
        }

        if (upload.Content.Length > MaxFileBytes)
        {
            return Error(400, "fileTooLarge", $"The file is {upload.Content.Length} bytes; a batch input file may have at most {MaxFileBytes} bytes.");
        }

        var lines = SplitLines(upload.Content);
        if (lines.Count == 0)
        {
            return Error(400, "invalidPayload", "The batch input file is empty.");
        }

        if (lines.Count > MaxFileLines)
        {
            return Error(400, "tooManyLines", $"The file has {lines.Count} requests; a batch input file may have at most {MaxFileLines}.");
        }

        foreach (var (number, text) in lines)
        {
            if (CheckLineShape(text) is { } lineProblem)
            {
                return Error(400, "invalidPayload", $"Line {number} of the batch input file is invalid: {lineProblem}");
            }
        }

        var file = AddFile(upload.FileName, "batch", upload.Content);
        return new Reply(200, Render(file));
    }

    /// <summary>What the service checks on upload of a batch file: one JSON request per line, addressed to chat completions.</summary>
    private static string? CheckLineShape(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return "it is not valid JSON.";
        }

        if (node is not JsonObject line)
        {
            return "it is not a JSON object.";
        }

        if (line["custom_id"] is not JsonValue customId || customId.GetValueKind() != JsonValueKind.String || customId.GetValue<string>().Length == 0)
        {
            return "'custom_id' is required.";
        }

        if (line["method"]?.GetValueKind() != JsonValueKind.String || line["method"]!.GetValue<string>() != "POST")
        {
            return "'method' must be POST.";
        }

        if (line["url"]?.GetValueKind() != JsonValueKind.String || line["url"]!.GetValue<string>() != ChatCompletionsUrl)
        {
            return $"'url' must be {ChatCompletionsUrl}.";
        }

        if (line["body"] is not JsonObject body || body["model"]?.GetValueKind() != JsonValueKind.String)
        {
            return "'body.model' is required.";
        }

        return null;
    }

    private Reply ListFiles(string purpose)
    {
        var data = new JsonArray();
        foreach (var file in _files.Where(f => purpose.Length == 0 || f.Purpose == purpose))
        {
            data.Add(Render(file));
            file.Observed();
        }

        return new Reply(200, new JsonObject { ["object"] = "list", ["data"] = data });
    }

    private Reply DeleteFile(FileEntry file)
    {
        _files.Remove(file);
        return new Reply(200, new JsonObject { ["id"] = file.Id, ["object"] = "file", ["deleted"] = true });
    }

    private Reply WithFile(string id, Func<FileEntry, Reply> serve) =>
        _files.FirstOrDefault(f => f.Id == id) is { } file
            ? serve(file)
            : Error(404, "fileNotFound", $"File with id '{id}' was not found.");

    private FileEntry AddFile(string fileName, string purpose, byte[] content)
    {
        var file = new FileEntry($"file-{NextId()}", fileName, purpose, content, _timeProvider.GetUtcNow()) { PendingLookups = FileProcessingLookups };
        _files.Add(file);
        return file;
    }

    private static JsonObject Render(FileEntry file) => new()
    {
        ["id"] = file.Id,
        ["object"] = "file",
        ["bytes"] = file.Content.Length,
        ["created_at"] = file.CreatedAt.ToUnixTimeSeconds(),
        ["filename"] = file.FileName,
        ["purpose"] = file.Purpose,
        ["status"] = file.PendingLookups > 0 ? "pending" : "processed",
    };

    // ---- batches ----

    private Reply CreateBatch(byte[] body)
    {
        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException e)
        {
            return Error(400, "invalidPayload", $"The request body is not valid JSON: {e.Message}");
        }

        if (request is null)
        {
            return Error(400, "invalidPayload", "The request body must be a JSON object.");
        }

        var inputFileId = StringOf(request, "input_file_id");
        var endpoint = StringOf(request, "endpoint");
        var window = StringOf(request, "completion_window");
        if (inputFileId is null || endpoint is null || window is null)
        {
            return Error(400, "missing_required_parameter", "input_file_id, endpoint and completion_window are required.");
        }

        if (endpoint != ChatCompletionsUrl)
        {
            return Error(400, "invalid_endpoint", $"The endpoint '{endpoint}' is not supported; this fake serves {ChatCompletionsUrl}.");
        }

        if (window != "24h")
        {
            return Error(400, "invalid_completion_window", $"The completion window '{window}' is not supported; use '24h'.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request["metadata"] is JsonObject meta)
        {
            foreach (var (key, value) in meta)
            {
                if (value?.GetValueKind() != JsonValueKind.String)
                {
                    return Error(400, "invalidPayload", $"metadata.{key} must be a string.");
                }

                metadata[key] = value.GetValue<string>();
            }
        }

        var file = _files.FirstOrDefault(f => f.Id == inputFileId);
        if (file is null)
        {
            return Error(404, "fileNotFound", $"File with id '{inputFileId}' was not found.");
        }

        if (file.Purpose != "batch")
        {
            return Error(400, "invalidPayload", $"File '{inputFileId}' has purpose '{file.Purpose}'; a batch needs a 'batch' file.");
        }

        if (file.PendingLookups > 0)
        {
            // Azure's words; it documents no code for this, so the fake uses its generic one.
            return Error(400, "invalidPayload",
                $"The input file '{inputFileId}' is in 'pending' state. Only files with status 'Processed' are accepted for batch inferencing. Please check the file status and try again.");
        }

        var now = _timeProvider.GetUtcNow();
        var batch = new BatchEntry($"batch_{Guid.NewGuid()}", inputFileId, endpoint, window, metadata, now,
            _scriptedOutcomes.TryDequeue(out var scripted) ? scripted : FakeBatchOutcome.Completed);
        _batches.Add(batch);
        return new Reply(200, Render(batch));
    }

    private Reply ListBatches(string after, string limitText)
    {
        var limit = 20;
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            return Error(400, "invalidPayload", "limit must be between 1 and 100.");
        }

        // Newest first, as the service lists them; 'after' is the last id of the previous page.
        var ordered = Enumerable.Reverse(_batches).ToList();
        var start = 0;
        if (after.Length > 0)
        {
            var index = ordered.FindIndex(b => b.Id == after);
            if (index < 0)
            {
                return Error(404, "batchNotFound", $"Batch with id '{after}' was not found.");
            }

            start = index + 1;
        }

        var page = ordered.Skip(start).Take(limit).ToList();
        var data = new JsonArray();
        foreach (var batch in page)
        {
            data.Add(Render(batch));
        }

        return new Reply(200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["first_id"] = page.Count > 0 ? page[0].Id : null,
            ["last_id"] = page.Count > 0 ? page[^1].Id : null,
            ["has_more"] = start + page.Count < ordered.Count,
        });
    }

    private Reply WithBatch(string id, Func<BatchEntry, Reply> serve) =>
        _batches.FirstOrDefault(b => b.Id == id) is { } batch
            ? serve(batch)
            : Error(404, "batchNotFound", $"Batch with id '{id}' was not found.");

    private Reply GetBatch(BatchEntry batch)
    {
        Observe(batch);
        return new Reply(200, Render(batch));
    }

    private Reply CancelBatch(BatchEntry batch)
    {
        if (batch.Status is not ("validating" or "in_progress"))
        {
            return Error(409, "batchNotCancellable", $"Cannot cancel a batch with status '{batch.Status}'.");
        }

        batch.CancelledWhileInProgress = batch.Status == "in_progress";
        batch.Status = "cancelling";
        batch.CancellingAt = _timeProvider.GetUtcNow();
        batch.Polls = 0;
        return new Reply(200, Render(batch));
    }

    /// <summary>One GET of the batch: after <see cref="PollsPerState"/> of them in a state, it moves on.</summary>
    private void Observe(BatchEntry batch)
    {
        if (batch.Status is "completed" or "failed" or "expired" or "cancelled" || ++batch.Polls < PollsPerState)
        {
            return;
        }

        batch.Polls = 0;
        var now = _timeProvider.GetUtcNow();
        switch (batch.Status)
        {
            case "validating":
                Validate(batch, now);
                break;
            case "in_progress" when batch.Outcome.ExpiresAfterLines is { } done:
                Run(batch, Math.Min(done, batch.Lines.Count), expireRest: true);
                WriteResults(batch);
                batch.Status = "expired";
                batch.ExpiredAt = now;
                break;
            case "in_progress":
                Run(batch, batch.Lines.Count, expireRest: false);
                batch.Status = "finalizing";
                batch.FinalizingAt = now;
                break;
            case "finalizing":
                WriteResults(batch);
                batch.Status = "completed";
                batch.CompletedAt = now;
                break;
            case "cancelling":
                Run(batch, batch.CancelledWhileInProgress ? Math.Min(batch.Outcome.LinesDoneBeforeCancel, batch.Lines.Count) : 0, expireRest: false);
                WriteResults(batch);
                batch.Status = "cancelled";
                batch.CancelledAt = now;
                break;
        }
    }

    private void Validate(BatchEntry batch, DateTimeOffset now)
    {
        var input = _files.FirstOrDefault(f => f.Id == batch.InputFileId);
        var errors = new List<FakeBatchError>();
        if (input is null)
        {
            errors.Add(new FakeBatchError("file_not_found", $"The input file '{batch.InputFileId}' was deleted before the batch ran."));
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (number, text) in SplitLines(input.Content))
            {
                var line = JsonNode.Parse(text)!.AsObject();
                var customId = line["custom_id"]!.GetValue<string>();
                var body = line["body"]!.AsObject();
                var model = body["model"]!.GetValue<string>();
                if (!seen.Add(customId))
                {
                    errors.Add(new FakeBatchError("duplicate_custom_id", $"The custom_id '{customId}' is used by more than one request.", number, "custom_id"));
                }

                if (!Deployments.Contains(model))
                {
                    errors.Add(new FakeBatchError("model_not_found",
                        $"The provided model deployment '{model}' does not exist or is not a global batch deployment.", number, "body.model"));
                }

                batch.Lines.Add(new FakeBatchLine(number, customId, model, body));
            }
        }

        errors.AddRange(batch.Outcome.ValidationErrors);
        if (errors.Count > 0)
        {
            batch.Errors.AddRange(errors);
            batch.Lines.Clear();
            batch.Status = "failed";
            batch.FailedAt = now;
            return;
        }

        batch.Status = "in_progress";
        batch.InProgressAt = now;
    }

    /// <summary>Answers the first <paramref name="done"/> lines; with <paramref name="expireRest"/> the others get <c>batch_expired</c>.</summary>
    private void Run(BatchEntry batch, int done, bool expireRest)
    {
        var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        for (var i = 0; i < batch.Lines.Count; i++)
        {
            var line = batch.Lines[i];
            var id = $"batch_req_{Guid.NewGuid():N}";
            if (i >= done)
            {
                if (expireRest)
                {
                    batch.ErrorLines.Add(new JsonObject
                    {
                        ["id"] = id,
                        ["custom_id"] = line.CustomId,
                        ["response"] = null,
                        ["error"] = new JsonObject
                        {
                            ["code"] = "batch_expired",
                            ["message"] = "This request could not be executed before the completion window expired.",
                        },
                    });
                }

                continue;
            }

            if (batch.Outcome.FailedLines.TryGetValue(line.CustomId, out var code))
            {
                batch.ErrorLines.Add(LineResult(id, line.CustomId, 400, new JsonObject
                {
                    ["error"] = new JsonObject { ["code"] = code, ["message"] = FailureMessage(code) },
                }));
                continue;
            }

            batch.OutputLines.Add(LineResult(id, line.CustomId, 200, Completion(line, created)));
        }

        batch.Completed = batch.OutputLines.Count;
        batch.Failed = batch.ErrorLines.Count;
    }

    private void WriteResults(BatchEntry batch)
    {
        if (batch.OutputLines.Count > 0)
        {
            batch.OutputFileId = AddFile($"{batch.Id}_output.jsonl", "batch_output", Jsonl(batch.OutputLines)).Id;
        }

        if (batch.ErrorLines.Count > 0)
        {
            batch.ErrorFileId = AddFile($"{batch.Id}_error.jsonl", "batch_output", Jsonl(batch.ErrorLines)).Id;
        }
    }

    private JsonObject Completion(FakeBatchLine line, long created)
    {
        var usage = UsageFor?.Invoke(line) ?? DefaultUsage(line);
        var limit = MaxCompletionTokens(line.Body);
        return new JsonObject
        {
            ["id"] = $"chatcmpl-{Guid.NewGuid():N}",
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = line.Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = $"Answer to {line.CustomId}." },
                ["finish_reason"] = limit is { } l && usage.CompletionTokens >= l ? "length" : "stop",
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = usage.PromptTokens,
                ["completion_tokens"] = usage.CompletionTokens,
                ["total_tokens"] = usage.PromptTokens + usage.CompletionTokens,
                ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens },
                ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = usage.ReasoningTokens },
            },
            ["system_fingerprint"] = "fp_fake",
        };
    }

    /// <summary>Deterministic from the request: ⌈message characters / 4⌉ + 4 per message in, min(limit, 16) out.</summary>
    public static FakeUsage DefaultUsage(FakeBatchLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var characters = 0;
        var messages = 0;
        if (line.Body["messages"] is JsonArray array)
        {
            foreach (var message in array)
            {
                messages++;
                characters += message?["content"] switch
                {
                    JsonValue text when text.GetValueKind() == JsonValueKind.String => text.GetValue<string>().Length,
                    JsonArray parts => parts.Sum(p => p?["text"]?.GetValueKind() == JsonValueKind.String ? p["text"]!.GetValue<string>().Length : 0),
                    _ => 0,
                };
            }
        }

        var prompt = ((characters + 3) / 4) + (4 * messages);
        var completion = Math.Min(MaxCompletionTokens(line.Body) ?? DefaultMaxCompletionTokens, DefaultMaxCompletionTokens);
        return new FakeUsage(prompt, Math.Max(completion, 0));
    }

    private static int? MaxCompletionTokens(JsonObject body)
    {
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
        {
            if (body[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
            {
                return value.GetValue<int>();
            }
        }

        return null;
    }

    private static JsonObject LineResult(string id, string customId, int status, JsonObject body) => new()
    {
        ["id"] = id,
        ["custom_id"] = customId,
        ["response"] = new JsonObject
        {
            ["status_code"] = status,
            ["request_id"] = Guid.NewGuid().ToString(),
            ["body"] = body,
        },
        ["error"] = null,
    };

    private static string FailureMessage(string code) => code switch
    {
        "content_filter" => "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        "context_length_exceeded" => "This model's maximum context length was exceeded.",
        _ => $"The request failed with '{code}'.",
    };

    private static JsonObject Render(BatchEntry batch)
    {
        JsonNode? errors = null;
        if (batch.Errors.Count > 0)
        {
            var data = new JsonArray();
            foreach (var error in batch.Errors)
            {
                data.Add(new JsonObject { ["code"] = error.Code, ["message"] = error.Message, ["param"] = error.Param, ["line"] = error.Line });
            }

            errors = new JsonObject { ["object"] = "list", ["data"] = data };
        }

        var metadata = new JsonObject();
        foreach (var (key, value) in batch.Metadata)
        {
            metadata[key] = value;
        }

        return new JsonObject
        {
            ["id"] = batch.Id,
            ["object"] = "batch",
            ["endpoint"] = batch.Endpoint,
            ["errors"] = errors,
            ["input_file_id"] = batch.InputFileId,
            ["completion_window"] = batch.CompletionWindow,
            ["status"] = batch.Status,
            ["output_file_id"] = batch.OutputFileId,
            ["error_file_id"] = batch.ErrorFileId,
            ["created_at"] = batch.CreatedAt.ToUnixTimeSeconds(),
            ["in_progress_at"] = Unix(batch.InProgressAt),
            ["expires_at"] = batch.CreatedAt.AddHours(24).ToUnixTimeSeconds(),
            ["finalizing_at"] = Unix(batch.FinalizingAt),
            ["completed_at"] = Unix(batch.CompletedAt),
            ["failed_at"] = Unix(batch.FailedAt),
            ["expired_at"] = Unix(batch.ExpiredAt),
            ["cancelling_at"] = Unix(batch.CancellingAt),
            ["cancelled_at"] = Unix(batch.CancelledAt),
            ["request_counts"] = new JsonObject
            {
                ["total"] = batch.Status is "validating" or "failed" ? 0 : batch.Lines.Count,
                ["completed"] = batch.Completed,
                ["failed"] = batch.Failed,
            },
            ["metadata"] = batch.Metadata.Count > 0 ? metadata : null,
        };
    }

    private static FakeBatch Snapshot(BatchEntry b) => new(b.Id, b.Status, b.InputFileId, b.OutputFileId, b.ErrorFileId,
        b.Lines.Count, b.Completed, b.Failed, new Dictionary<string, string>(b.Metadata));

    private static long? Unix(DateTimeOffset? time) => time?.ToUnixTimeSeconds();

    private static string? StringOf(JsonObject json, string name) =>
        json[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>Non-blank lines with their 1-based numbers; a trailing newline or CRLF endings are fine.</summary>
    private static List<(int Number, string Text)> SplitLines(byte[] content)
    {
        var lines = new List<(int, string)>();
        var number = 0;
        foreach (var raw in Encoding.UTF8.GetString(content).Split('\n'))
        {
            number++;
            var text = raw.TrimEnd('\r');
            if (text.Trim().Length > 0)
            {
                lines.Add((number, text));
            }
        }

        return lines;
    }

    private static byte[] Jsonl(IEnumerable<JsonObject> lines)
    {
        var builder = new StringBuilder();
        foreach (var line in lines)
        {
            builder.Append(line.ToJsonString()).Append('\n');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private string NextId() => (++_nextId).ToString("x8", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..16];

    private static async Task<Upload> ReadUploadAsync(string? contentType, byte[] body)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Upload.Invalid("The upload must be multipart/form-data with 'file' and 'purpose'.");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            return Upload.Invalid("The multipart boundary is missing.");
        }

        string? purpose = null;
        string? fileName = null;
        byte[]? content = null;
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = null };
        try
        {
            while (await reader.ReadNextSectionAsync().ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer).ConfigureAwait(false);
                switch (HeaderUtilities.RemoveQuotes(disposition.Name).Value)
                {
                    case "purpose":
                        purpose = Encoding.UTF8.GetString(buffer.ToArray());
                        break;
                    case "file":
                        fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                        content = buffer.ToArray();
                        break;
                }
            }
        }
        catch (IOException e)
        {
            return Upload.Invalid($"The multipart body is malformed: {e.Message}");
        }

        return content is null || string.IsNullOrEmpty(fileName)
            ? Upload.Invalid("The 'file' part with a file name is required.")
            : new Upload(purpose, fileName, content, null);
    }

    private static Reply InjectedError(InjectedFailure failure)
    {
        var (code, message) = failure.Status switch
        {
            429 => ("429", "Requests to the Batch API have exceeded call rate limit of your current OpenAI S0 pricing tier. "
                + $"Please retry after {failure.RetryAfterSeconds ?? 1} seconds."),
            500 => ("InternalServerError", "The server had an error while processing your request. Sorry about that!"),
            503 => ("ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later."),
            _ => ("Error", $"Injected failure {failure.Status}."),
        };
        return Error(failure.Status, code, message).WithRetryAfter("retry-after", failure.RetryAfterSeconds);
    }

    private static Reply Error(int status, string code, string message) => FakeReply.Error(status, code, message);

    private sealed record Upload(string? Purpose, string FileName, byte[] Content, string? Problem)
    {
        public static Upload Invalid(string problem) => new(null, string.Empty, [], problem);
    }

    private sealed record InjectedFailure(int Status, string? Method, string? PathPrefix, int? RetryAfterSeconds);

    private sealed class FileEntry(string id, string fileName, string purpose, byte[] content, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public string FileName { get; } = fileName;
        public string Purpose { get; } = purpose;
        public byte[] Content { get; } = content;
        public DateTimeOffset CreatedAt { get; } = createdAt;

        /// <summary>Lookups left before the file shows <c>processed</c>.</summary>
        public int PendingLookups { get; set; }

        public void Observed() => PendingLookups = Math.Max(0, PendingLookups - 1);
    }

    private sealed class BatchEntry(string id, string inputFileId, string endpoint, string completionWindow,
        IReadOnlyDictionary<string, string> metadata, DateTimeOffset createdAt, FakeBatchOutcome outcome)
    {
        public string Id { get; } = id;
        public string InputFileId { get; } = inputFileId;
        public string Endpoint { get; } = endpoint;
        public string CompletionWindow { get; } = completionWindow;
        public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public FakeBatchOutcome Outcome { get; set; } = outcome;
        public string Status { get; set; } = "validating";
        public int Polls { get; set; }
        public bool CancelledWhileInProgress { get; set; }
        public List<FakeBatchLine> Lines { get; } = [];
        public List<FakeBatchError> Errors { get; } = [];
        public List<JsonObject> OutputLines { get; } = [];
        public List<JsonObject> ErrorLines { get; } = [];
        public int Completed { get; set; }
        public int Failed { get; set; }
        public string? OutputFileId { get; set; }
        public string? ErrorFileId { get; set; }
        public DateTimeOffset? InProgressAt { get; set; }
        public DateTimeOffset? FinalizingAt { get; set; }
        public DateTimeOffset? CompletedAt { get; set; }
        public DateTimeOffset? FailedAt { get; set; }
        public DateTimeOffset? ExpiredAt { get; set; }
        public DateTimeOffset? CancellingAt { get; set; }
        public DateTimeOffset? CancelledAt { get; set; }
    }
}

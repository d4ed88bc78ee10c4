using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Azure.AI.OpenAI;
using Azure.Identity;
using ControlPlane.Batch;
using OpenAI.Batch;
using OpenAI.Files;

namespace ControlPlane.Azure.Batch;

/// <summary>
/// <see cref="IBatchGateway"/> over Azure OpenAI with the <c>Azure.AI.OpenAI</c> 2.1.0 SDK (api-version 2024-10-21):
/// <c>/openai/files</c> for input and output files, <c>/openai/batches</c> for jobs.
/// <para>
/// The SDK's batch calls are protocol methods that hand back raw JSON, and its typed file model cannot hold Azure's file
/// statuses (<c>pending</c>, <c>running</c>, ...), so every answer is read from the raw response body here.
/// </para>
/// </summary>
public sealed class AzureOpenAIBatchGateway : IBatchGateway
{
    private const string ChatCompletionsEndpoint = "/chat/completions";
    private const string CompletionWindow = "24h";

    /// <summary>The data-plane version this gateway is written against; <see cref="CreateClient"/> pins the SDK to it.</summary>
    public const string ApiVersion = "2024-10-21";

    private readonly OpenAIFileClient _files;
#pragma warning disable OPENAI001 // BatchClient is experimental in OpenAI 2.1.0; it is the only client for /batches and is pinned with the package.
    private readonly BatchClient _batches;
#pragma warning restore OPENAI001
    private readonly Uri _endpoint;
    private readonly int _batchListPageSize;

    /// <param name="client">A client from <see cref="CreateClient"/>, or one built alike for api-version <see cref="ApiVersion"/>.</param>
    /// <param name="options">The settings the client was built from: <see cref="AzureOpenAIOptions.Endpoint"/> is needed to cancel a batch.</param>
    public AzureOpenAIBatchGateway(AzureOpenAIClient client, AzureOpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.Endpoint ?? throw new ArgumentException($"{AzureOpenAIOptions.SectionName}:Endpoint is required.", nameof(options));
        _endpoint = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
#pragma warning disable AOAI001 // GetOpenAIFileClient is experimental in Azure.AI.OpenAI 2.1.0; pinned with the package.
        _files = client.GetOpenAIFileClient();
#pragma warning restore AOAI001
#pragma warning disable OPENAI001 // GetBatchClient is experimental in OpenAI 2.1.0; pinned with the package.
        _batches = client.GetBatchClient();
#pragma warning restore OPENAI001
        _batchListPageSize = options.BatchListPageSize;
    }

    /// <summary>Production wiring: a client from <see cref="CreateClient"/>.</summary>
    public static AzureOpenAIBatchGateway Create(AzureOpenAIOptions options, PipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AzureOpenAIBatchGateway(CreateClient(options, transport), options);
    }

    /// <summary>
    /// A client for <see cref="AzureOpenAIOptions.Endpoint"/> with the <c>api-key</c> when one is set, otherwise
    /// <see cref="DefaultAzureCredential"/>, and <see cref="AzureOpenAIOptions.MaxRetries"/> retries.
    /// </summary>
    /// <param name="transport">Replaces the HTTP transport, e.g. for a local fake; null keeps the SDK's.</param>
    public static AzureOpenAIClient CreateClient(AzureOpenAIOptions options, PipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.Endpoint ?? throw new ArgumentException($"{AzureOpenAIOptions.SectionName}:Endpoint is required.", nameof(options));
        var clientOptions = new AzureOpenAIClientOptions(AzureOpenAIClientOptions.ServiceVersion.V2024_10_21)
        {
            RetryPolicy = new ClientRetryPolicy(options.MaxRetries),
            NetworkTimeout = options.NetworkTimeout,
        };
        if (transport is not null)
        {
            clientOptions.Transport = transport;
        }

        return string.IsNullOrEmpty(options.ApiKey)
            ? new AzureOpenAIClient(endpoint, new DefaultAzureCredential(), clientOptions)
            : new AzureOpenAIClient(endpoint, new ApiKeyCredential(options.ApiKey), clientOptions);
    }

    public Task<BatchFile> UploadInputFileAsync(string fileName, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        return CallAsync($"upload of input file '{fileName}'", async () =>
        {
            using var content = new MemoryStream(jsonl.ToArray(), writable: false);
            var result = await _files.UploadFileAsync(content, fileName, FileUploadPurpose.Batch, cancellationToken).ConfigureAwait(false);
            using var json = Parse(result.GetRawResponse());
            return ToFile(json.RootElement);
        }, cancellationToken);
    }

    public Task<BatchFile?> FindInputFileAsync(string fileName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        return CallAsync($"lookup of input file '{fileName}'", async () =>
        {
            var result = await _files.GetFilesAsync(FilePurpose.Batch, cancellationToken).ConfigureAwait(false);
            using var json = Parse(result.GetRawResponse());

            // A retried upload may have left several files with the same name; any of them holds the same bytes, and
            // the newest is the one a later attempt would have used.
            BatchFile? newest = null;
            long newestCreatedAt = long.MinValue;
            foreach (var file in json.RootElement.GetProperty("data").EnumerateArray())
            {
                if (StringOf(file, "filename") == fileName && StringOf(file, "purpose") == "batch" && NumberOf(file, "created_at") is var createdAt && createdAt >= newestCreatedAt)
                {
                    newest = ToFile(file);
                    newestCreatedAt = createdAt;
                }
            }

            return newest;
        }, cancellationToken);
    }

    public Task<BatchJob> CreateBatchAsync(string inputFileId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputFileId);
        return CallAsync($"creation of a batch over '{inputFileId}'", async () =>
        {
            using var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new Dictionary<string, string>
            {
                ["input_file_id"] = inputFileId,
                ["endpoint"] = ChatCompletionsEndpoint,
                ["completion_window"] = CompletionWindow,
            }));
#pragma warning disable OPENAI001 // Experimental batch API, see the field.
            var operation = await _batches.CreateBatchAsync(body, waitUntilCompleted: false, Options(cancellationToken)).ConfigureAwait(false);
#pragma warning restore OPENAI001
            return ToJob(operation.GetRawResponse());
        }, cancellationToken);
    }

    public Task<BatchJob?> FindBatchByInputFileAsync(string inputFileId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputFileId);
        return CallAsync<BatchJob?>($"lookup of the batch over '{inputFileId}'", async () =>
        {
            // The SDK follows has_more / last_id from page to page. The service lists newest first, so the first match is
            // the latest batch made over this file, and the scan stops there.
#pragma warning disable OPENAI001 // Experimental batch API, see the field.
            var pages = _batches.GetBatchesAsync(after: null, limit: _batchListPageSize, Options(cancellationToken)).GetRawPagesAsync();
#pragma warning restore OPENAI001
            await foreach (var page in pages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                using var json = Parse(page.GetRawResponse());
                foreach (var batch in json.RootElement.GetProperty("data").EnumerateArray())
                {
                    if (StringOf(batch, "input_file_id") == inputFileId)
                    {
                        return ToJob(batch);
                    }
                }
            }

            return null;
        }, cancellationToken);
    }

    public Task<BatchJob> GetBatchAsync(string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        return CallAsync($"read of batch '{batchId}'", async () =>
        {
            var operation = await ResumeAsync(batchId, cancellationToken).ConfigureAwait(false);
            return ToJob(operation.GetRawResponse());
        }, cancellationToken);
    }

    public Task<BatchJob> CancelBatchAsync(string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        return CallAsync($"cancellation of batch '{batchId}'", async () =>
        {
            // The SDK cancels only through a rehydrated operation, and rehydrating GETs the batch first: two calls where the
            // service needs one, and a throttled GET would stop a cancel. So the POST goes out here, through the client's
            // own pipeline (authentication, retries) to the route the SDK uses.
#pragma warning disable OPENAI001 // Experimental batch API, see the field.
            var pipeline = _batches.Pipeline;
#pragma warning restore OPENAI001
            using var message = pipeline.CreateMessage();
            message.Request.Method = "POST";
            message.Request.Uri = new Uri(_endpoint, $"openai/batches/{Uri.EscapeDataString(batchId)}/cancel?api-version={ApiVersion}");
            message.Request.Headers.Set("Accept", "application/json");
            message.Apply(Options(cancellationToken));
            await pipeline.SendAsync(message).ConfigureAwait(false);
            var response = message.Response!;
            if (response.IsError)
            {
                throw await ClientResultException.CreateAsync(response).ConfigureAwait(false);
            }

            return ToJob(response);
        }, cancellationToken);
    }

    public Task<ReadOnlyMemory<byte>> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        return CallAsync($"download of file '{fileId}'", async () =>
        {
            var result = await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false);
            return result.Value.ToMemory();
        }, cancellationToken);
    }

    /// <summary>
    /// OpenAI 2.1.0 has no public "get batch by id": a batch is reached by rehydrating its create operation from a
    /// continuation token holding the id (<c>{"batchId":"..."}</c>, the token's own format), which GETs the batch once.
    /// </summary>
#pragma warning disable OPENAI001 // Experimental batch API, see the field.
    private Task<CreateBatchOperation> ResumeAsync(string batchId, CancellationToken cancellationToken)
    {
        var token = ContinuationToken.FromBytes(BinaryData.FromObjectAsJson(new Dictionary<string, string> { ["batchId"] = batchId }));
        return CreateBatchOperation.RehydrateAsync(_batches, token, cancellationToken);
    }
#pragma warning restore OPENAI001

    private static RequestOptions Options(CancellationToken cancellationToken) => new() { CancellationToken = cancellationToken };

    /// <summary>
    /// Runs one call and turns every way it can fail into a <see cref="BatchGatewayException"/>, except the caller's own
    /// cancellation (a host shutting down), which stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    private static async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ClientResultException e) when (e.Status != 0)
        {
            var (code, message) = ReadError(e.GetRawResponse());
            throw new BatchGatewayException(
                $"Azure OpenAI refused the {what}: HTTP {e.Status}{(code is null ? string.Empty : $" ({code})")}: {message ?? e.Message}",
                e.Status, code, e);
        }
        catch (Exception e) when (IsNoAnswer(e, cancellationToken))
        {
            // No answer: the connection failed or a try timed out. Whether the service acted on the request is unknown,
            // which is why every caller can look up what an earlier attempt created.
            throw new BatchGatewayException($"Azure OpenAI did not answer the {what}: {e.Message}", statusCode: null, errorCode: null, e);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BatchGatewayException($"Azure OpenAI answered the {what} with a body that is not the documented shape: {e.Message}",
                statusCode: null, errorCode: "unexpected_response", e);
        }
    }

    /// <summary>
    /// The service did not answer: the connection failed, or a try passed its network timeout (the SDK reports that as
    /// a cancellation the caller did not ask for), or every try of a retried call ended so (the SDK's
    /// <see cref="AggregateException"/> "Retry failed after N tries").
    /// </summary>
    private static bool IsNoAnswer(Exception e, CancellationToken cancellationToken) => e switch
    {
        ClientResultException { Status: 0 } or HttpRequestException or IOException or TimeoutException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException all => all.InnerExceptions.Count > 0 && all.InnerExceptions.All(inner => IsNoAnswer(inner, cancellationToken)),
        _ => false,
    };

    /// <summary>Azure's error body: <c>{"error":{"code","message"}}</c>; anything else leaves both null.</summary>
    private static (string? Code, string? Message) ReadError(PipelineResponse? response)
    {
        if (response?.Content is not { } content || content.ToMemory().IsEmpty)
        {
            return (null, null);
        }

        try
        {
            using var json = JsonDocument.Parse(content.ToMemory());
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object)
            {
                return (StringOf(error, "code"), StringOf(error, "message"));
            }
        }
        catch (JsonException)
        {
            // A proxy or gateway answered with HTML or text: the status alone has to do.
        }

        return (null, null);
    }

    private static JsonDocument Parse(PipelineResponse response) => JsonDocument.Parse(response.Content.ToMemory());

    private static BatchFile ToFile(JsonElement file) => new(
        file.GetProperty("id").GetString()!,
        StringOf(file, "filename") ?? string.Empty,
        NumberOf(file, "bytes"),
        StringOf(file, "status") ?? string.Empty);

    private static BatchJob ToJob(PipelineResponse response)
    {
        using var json = Parse(response);
        return ToJob(json.RootElement);
    }

    private static BatchJob ToJob(JsonElement batch)
    {
        var counts = batch.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object
            ? new BatchRequestCounts((int)NumberOf(c, "total"), (int)NumberOf(c, "completed"), (int)NumberOf(c, "failed"))
            : new BatchRequestCounts(0, 0, 0);
        var errors = new List<BatchJobError>();
        if (batch.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object
            && e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            foreach (var error in data.EnumerateArray())
            {
                int? line = error.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : null;
                errors.Add(new BatchJobError(StringOf(error, "code") ?? string.Empty, StringOf(error, "message") ?? string.Empty, line));
            }
        }

        return new BatchJob(
            batch.GetProperty("id").GetString()!,
            new BatchJobStatus(StringOf(batch, "status") ?? string.Empty),
            StringOf(batch, "input_file_id") ?? string.Empty,
            NullIfEmpty(StringOf(batch, "output_file_id")),
            NullIfEmpty(StringOf(batch, "error_file_id")),
            counts,
            errors,
            DateTimeOffset.FromUnixTimeSeconds(NumberOf(batch, "created_at")));
    }

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long NumberOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    // An empty id names no file, like a missing one.
    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

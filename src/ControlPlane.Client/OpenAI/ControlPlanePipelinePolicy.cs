using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Client.Api;
using ControlPlane.Client.Usage;

namespace ControlPlane.Client.OpenAI;

/// <summary>
/// An OpenAI SDK pipeline policy (<c>options.AddPolicy(policy, PipelinePosition.PerCall)</c>) for apps that call
/// <c>OpenAIClient</c> / <c>AzureOpenAIClient</c> directly. For each Chat Completions request it authorizes the worst
/// case (prompt counted locally; <c>max_completion_tokens</c> or <c>max_tokens</c>, else the default, which is then
/// written into the request); a denial throws <see cref="ControlPlaneDeniedException"/> before anything is sent.
/// Buffered answers report the response's <c>usage</c> as returned; streams get <c>stream_options.include_usage</c>
/// and report from the final SSE chunk's <c>usage</c> as it passes. A call that fails (after the SDK's own retries,
/// which run behind this per-call policy) releases its reservation. Other requests pass through untouched.
/// </summary>
public sealed class ControlPlanePipelinePolicy(UsageReporter reporter) : PipelinePolicy
{
    private readonly ControlPlaneClientOptions _options = (reporter ?? throw new ArgumentNullException(nameof(reporter))).Client.Options;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessCoreAsync(message, pipeline, currentIndex, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessCoreAsync(message, pipeline, currentIndex, async: true);

    private async ValueTask ProcessCoreAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool async)
    {
        ArgumentNullException.ThrowIfNull(message);
        var request = message.Request;
        if (request.Method != "POST" || request.Uri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) != true || request.Content is null)
        {
            await NextAsync(message, pipeline, currentIndex, async).ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(request.Content, async, message.CancellationToken).ConfigureAwait(false);
        var call = await AuthorizeAsync(body, message.CancellationToken).ConfigureAwait(false);
        request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
        if (call.Streaming)
        {
            message.BufferResponse = false;
        }

        try
        {
            await NextAsync(message, pipeline, currentIndex, async).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await reporter.ReleaseAsync(call.ReservationId).ConfigureAwait(false);
            throw;
        }

        var response = message.Response!;
        if (response.IsError)
        {
            // 429, 5xx and refusals are not billed: the hold goes back now.
            await reporter.ReleaseAsync(call.ReservationId).ConfigureAwait(false);
            if (call.Streaming)
            {
                await response.BufferContentAsync(message.CancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (call.Streaming)
        {
            response.ContentStream = new UsageTapStream(response.ContentStream!, usage => Settle(call, usage));
            return;
        }

        Settle(call, UsageOf(response.Content));
    }

    private static ValueTask NextAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool async)
    {
        if (async)
        {
            return ProcessNextAsync(message, pipeline, currentIndex);
        }

        ProcessNext(message, pipeline, currentIndex);
        return default;
    }

    private static async ValueTask<JsonObject> ReadBodyAsync(BinaryContent content, bool async, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        if (async)
        {
            await content.WriteToAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            content.WriteTo(buffer, cancellationToken);
        }

        return JsonNode.Parse(buffer.ToArray()) as JsonObject
            ?? throw new InvalidOperationException("A chat completions request body is not a JSON object.");
    }

    private async Task<AuthorizedCall> AuthorizeAsync(JsonObject body, CancellationToken cancellationToken)
    {
        var model = (string?)body["model"] ?? throw new InvalidOperationException("The chat completions request names no model.");
        var maxOutput = (long?)body["max_completion_tokens"] ?? (long?)body["max_tokens"] ?? _options.DefaultMaxOutputTokens
            ?? throw new InvalidOperationException("ControlPlane prices a call's worst case: set MaxOutputTokenCount on the request or ControlPlaneClientOptions.DefaultMaxOutputTokens.");
        if (body["max_completion_tokens"] is null && body["max_tokens"] is null)
        {
            body["max_completion_tokens"] = maxOutput;
        }

        // n choices each up to the cap: the worst case counts every one.
        var choices = (long?)body["n"] ?? 1;
        var streaming = (bool?)body["stream"] == true;
        if (streaming)
        {
            var streamOptions = body["stream_options"] as JsonObject ?? [];
            streamOptions["include_usage"] = true;
            body["stream_options"] = streamOptions;
        }

        var attribution = CallAttribution.From(_options);
        var inputTokens = PromptTokenCounter.CountMessages(MessageTexts(body["messages"] as JsonArray));
        var answer = await reporter.Client.AuthorizeAsync(
            AuthorizeRequest.For(attribution, _options.Provider, model, inputTokens, maxOutput * Math.Max(1, choices)), cancellationToken).ConfigureAwait(false);
        if (!answer.Allowed)
        {
            throw new ControlPlaneDeniedException(answer);
        }

        return new AuthorizedCall(attribution, model, streaming, answer.ReservationId!, Guid.NewGuid().ToString("N"), _options.TimeProvider.GetTimestamp());
    }

    private static IEnumerable<string?> MessageTexts(JsonArray? messages)
    {
        foreach (var message in messages ?? [])
        {
            yield return message?["content"] switch
            {
                JsonValue text => (string?)text,
                JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
                _ => null,
            };
        }
    }

    private static JsonElement? UsageOf(BinaryData content)
    {
        using var doc = JsonDocument.Parse(content);
        return doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? usage.Clone() : null;
    }

    private void Settle(AuthorizedCall call, JsonElement? usage)
    {
        if (usage is null)
        {
            // No usage came back (a stream cut short): nothing to price; the hold goes back.
            _ = reporter.ReleaseAsync(call.ReservationId);
            return;
        }

        reporter.Enqueue(UsageReport.Of(call.EventId, call.Attribution, call.Model, _options.Provider, _options.TimeProvider.GetUtcNow()) with
        {
            Usage = usage,
            ReservationId = call.ReservationId,
            LatencyMs = (long)_options.TimeProvider.GetElapsedTime(call.Started).TotalMilliseconds,
        });
    }

    private sealed record AuthorizedCall(CallAttribution Attribution, string Model, bool Streaming, string ReservationId, string EventId, long Started);
}

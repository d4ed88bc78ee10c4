using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// A local Chat Completions endpoint (<c>POST /v1/chat/completions</c>) on Kestrel, shaped like OpenAI's: buffered
/// answers with a <c>usage</c> object, SSE streams whose last chunk carries <c>usage</c> only when the request asked
/// for <c>stream_options.include_usage</c>, and scripted failures (429 with <c>retry-after-ms</c>, 5xx) answered
/// in order before normal answers resume.
/// </summary>
public sealed class FakeChatCompletions : IAsyncDisposable
{
    public const long PromptTokens = 1200;
    public const long CachedTokens = 1000;
    public const long CompletionTokens = 300;
    public const long ReasoningTokens = 100;

    private readonly WebApplication _app;
    private int _calls;

    private FakeChatCompletions(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Requests that reached the endpoint, failures included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<int> Failures { get; } = new();
    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    public static async Task<FakeChatCompletions> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeChatCompletions(app);
        app.MapPost("/v1/chat/completions", fake.CompleteAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Endpoint = new Uri(address + "/v1");
        return fake;
    }

    public static JsonObject Usage() => new()
    {
        ["prompt_tokens"] = PromptTokens,
        ["completion_tokens"] = CompletionTokens,
        ["total_tokens"] = PromptTokens + CompletionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedTokens, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = ReasoningTokens, ["audio_tokens"] = 0 },
    };

    private async Task CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        Requests.Enqueue(body);
        if (Failures.TryDequeue(out var status))
        {
            context.Response.StatusCode = status;
            context.Response.Headers["retry-after-ms"] = "1";
            await context.Response.WriteAsJsonAsync(new { error = new { message = $"fake failure {status}", type = "server_error", code = (string?)null } });
            return;
        }

        var model = (string)body["model"]!;
        if ((bool?)body["stream"] != true)
        {
            var answer = new JsonObject
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 1_764_000_000, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "Hello there." },
                }),
                ["usage"] = Usage(),
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
            return;
        }

        context.Response.ContentType = "text/event-stream";
        foreach (var piece in new[] { "Hello", " there." })
        {
            await Chunk(context, model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece } }), null);
        }

        await Chunk(context, model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" }), null);
        if ((bool?)body["stream_options"]?["include_usage"] == true)
        {
            await Chunk(context, model, [], Usage());
        }

        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static async Task Chunk(HttpContext context, string model, JsonArray choices, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 1_764_000_000, ["model"] = model,
            ["choices"] = choices, ["usage"] = usage,
        };
        await context.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n");
        await context.Response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

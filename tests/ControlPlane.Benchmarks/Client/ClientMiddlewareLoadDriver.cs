using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Client;
using ControlPlane.Client.Chat;
using ControlPlane.Client.OpenAI;
using ControlPlane.Client.Usage;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;
using HdrHistogram;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Benchmarks.Client;

/// <summary>
/// What the client library adds to an app's LLM call: the same call to a local Chat Completions fake, with and without
/// the ControlPlane middleware, interleaved one by one in the same run, with ControlPlane itself served by Kestrel on
/// loopback (on Azurite) and a hard budget the calls reserve against. Two pairs: the OpenAI SDK's ChatClient without /
/// with <see cref="ControlPlanePipelinePolicy"/>, and a plain HTTP IChatClient without / with <c>UseControlPlane</c>.
/// The added latency is the authorize round trip plus local token counting; usage posting runs in the background.
/// </summary>
public static class ClientMiddlewareLoadDriver
{
    private const string Model = "gpt-4o-mini";

    public static async Task RunAsync(string[] args)
    {
        var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var warmup = Math.Max(20, calls / 10);
        Console.WriteLine($"Client middleware: {calls:N0} calls per path (after {warmup} warm-up), one at a time, ControlPlane on loopback Kestrel + Azurite");

        await using var provider = await FakeChatCompletions.StartAsync();
        await using var app = BenchmarkApp.Start();
        // A free loopback port, so a run never collides with whatever holds the default one.
        app.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        app.StartServer();
        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var controlPlane = new HttpClient { BaseAddress = new Uri(listening + "/") };
        Console.WriteLine($"ControlPlane at {controlPlane.BaseAddress}, provider fake at {provider.Endpoint}");

        using (var put = new HttpRequestMessage(HttpMethod.Put, "api/budgets/bench-team"))
        {
            put.Headers.Add("x-api-key", BenchmarkApp.AdminKey);
            put.Content = JsonContent.Create(new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd = 1_000_000m, mode = "hard" });
            (await controlPlane.SendAsync(put)).EnsureSuccessStatusCode();
        }

        await using var reporter = new UsageReporter(new ControlPlaneClient(controlPlane, new ControlPlaneClientOptions
        {
            ApiKey = BenchmarkApp.AdminKey, Team = "search", Feature = "answers", DefaultMaxOutputTokens = 500,
        }));

        var sdkPlain = OpenAiChat(provider.Endpoint, null);
        var sdkPolicy = OpenAiChat(provider.Endpoint, new ControlPlanePipelinePolicy(reporter));
        using var http = new HttpClient();
        IChatClient plainChat = new PlainHttpChatClient(http, provider.Endpoint);
        var middlewareChat = plainChat.AsBuilder().UseControlPlane(reporter).Build();
        Microsoft.Extensions.AI.ChatMessage[] prompt = [new(ChatRole.User, "What does a kill switch do when a budget is exhausted? Answer in one sentence.")];
        var options = new ChatOptions { ModelId = Model, MaxOutputTokens = 500 };
        List<OpenAI.Chat.ChatMessage> sdkPrompt = [new UserChatMessage(prompt[0].Text)];
        var sdkOptions = new ChatCompletionOptions { MaxOutputTokenCount = 500 };

        var paths = new (string Name, Func<Task> Call)[]
        {
            ("OpenAI SDK ChatClient (baseline)", () => sdkPlain.CompleteChatAsync(sdkPrompt, sdkOptions)),
            ("OpenAI SDK ChatClient + ControlPlanePipelinePolicy", () => sdkPolicy.CompleteChatAsync(sdkPrompt, sdkOptions)),
            ("IChatClient over HTTP (baseline)", () => plainChat.GetResponseAsync(prompt, options)),
            ("IChatClient over HTTP + UseControlPlane", () => middlewareChat.GetResponseAsync(prompt, options)),
        };
        var latencies = paths.Select(_ => new LongHistogram(60_000_000, 3)).ToArray();
        for (var i = 0; i < warmup + calls; i++)
        {
            // Interleaved, so drift in the machine's load touches every path alike.
            for (var p = 0; p < paths.Length; p++)
            {
                var started = Stopwatch.GetTimestamp();
                await paths[p].Call();
                if (i >= warmup)
                {
                    latencies[p].RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
                }
            }
        }

        await reporter.FlushAsync();
        Console.WriteLine();
        Console.WriteLine("| path | p50 ms | p99 ms | added p50 ms | added p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        for (var p = 0; p < paths.Length; p++)
        {
            var baseline = latencies[p - p % 2];
            var added = p % 2 == 1
                ? $"{(latencies[p].GetValueAtPercentile(50) - baseline.GetValueAtPercentile(50)) / 1000.0:N2} | {(latencies[p].GetValueAtPercentile(99) - baseline.GetValueAtPercentile(99)) / 1000.0:N2}"
                : "— | —";
            Console.WriteLine($"| {paths[p].Name} | {latencies[p].GetValueAtPercentile(50) / 1000.0:N2} | {latencies[p].GetValueAtPercentile(99) / 1000.0:N2} | {added} |");
        }

        Console.WriteLine($"Usage events not recorded: {reporter.Failed}; provider calls: {provider.Calls:N0}");
    }

    private static ChatClient OpenAiChat(Uri endpoint, PipelinePolicy? policy)
    {
        var options = new OpenAIClientOptions { Endpoint = endpoint };
        if (policy is not null)
        {
            options.AddPolicy(policy, PipelinePosition.PerCall);
        }

        return new OpenAIClient(new ApiKeyCredential("sk-fake"), options).GetChatClient(Model);
    }

    /// <summary>The thinnest IChatClient over Chat Completions: one POST, the usage read back.</summary>
    private sealed class PlainHttpChatClient(HttpClient http, Uri endpoint) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var body = new
            {
                model = options?.ModelId ?? Model,
                max_completion_tokens = options?.MaxOutputTokens,
                messages = messages.Select(m => new { role = m.Role.Value, content = m.Text }),
            };
            using var response = await http.PostAsJsonAsync(new Uri(endpoint + "/chat/completions"), body, cancellationToken);
            response.EnsureSuccessStatusCode();
            var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            var usage = json.GetProperty("usage");
            return new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant, json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()))
            {
                ModelId = json.GetProperty("model").GetString(),
                Usage = new UsageDetails
                {
                    InputTokenCount = usage.GetProperty("prompt_tokens").GetInt64(),
                    OutputTokenCount = usage.GetProperty("completion_tokens").GetInt64(),
                    CachedInputTokenCount = usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64(),
                    ReasoningTokenCount = usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64(),
                },
            };
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The benchmark measures buffered calls.");

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", endpoint, Model) : null;

        public void Dispose()
        {
        }
    }
}

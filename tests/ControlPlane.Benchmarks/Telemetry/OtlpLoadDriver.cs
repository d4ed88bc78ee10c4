using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ControlPlane.Functions.Telemetry.Otlp;
using ControlPlane.Testing;
using Google.Protobuf;
using HdrHistogram;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ControlPlane.Benchmarks.Telemetry;

/// <summary>
/// The OTLP traces receiver's throughput on Azurite, against a baseline measured in the same run and app: the same
/// calls posted as <c>POST /api/usage</c> batches. Each OTLP export carries 512 GenAI spans (the OpenTelemetry SDKs'
/// default maximum export batch) and each usage batch the same 512 calls, so the difference is what decoding
/// protobuf and reading span attributes costs over reading the usage JSON.
/// </summary>
public static class OtlpLoadDriver
{
    private const int PerRequest = 512;

    public static async Task RunAsync(string[] args)
    {
        var spans = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_240;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var requests = Math.Max(1, spans / PerRequest);
        Console.WriteLine($"OTLP load: {requests * PerRequest:N0} GenAI spans in exports of {PerRequest}, {clients} parallel clients, in-process app on Azurite");

        await using var app = BenchmarkApp.Start();
        var client = app.AdminClient();
        var now = TimeProvider.System.GetUtcNow();

        // Warm-up: JIT, connection pools, table creation, the price sheet.
        await PostUsageAsync(client, UsageBody(-1, now));
        await PostOtlpAsync(client, OtlpBody(-1, now));

        var usageBodies = Enumerable.Range(0, requests).Select(r => UsageBody(r, now)).ToList();
        var otlpBodies = Enumerable.Range(0, requests).Select(r => OtlpBody(r, now)).ToList();
        // The paths take turns, round by round, so the machine's load and Azurite's growing tables touch both alike.
        var usage = new Measure();
        var otlp = new Measure();
        const int Rounds = 4;
        for (var round = 0; round < Rounds; round++)
        {
            var slice = Enumerable.Range(0, requests).Where(r => r % Rounds == round).ToList();
            await usage.RunAsync(slice, clients, r => PostUsageAsync(client, usageBodies[r]));
            await otlp.RunAsync(slice, clients, r => PostOtlpAsync(client, otlpBodies[r]));
        }

        Console.WriteLine();
        Console.WriteLine("| path | calls/s | ratio to POST /api/usage | p50 ms/request | p99 ms/request | body bytes/request |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| POST /api/usage, {PerRequest} events/request (baseline) | {usage.PerSecond:N0} | 100% | {usage.P50:N1} | {usage.P99:N1} | {System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(usageBodies[0]).Length:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| POST /v1/traces protobuf, {PerRequest} spans/request | {otlp.PerSecond:N0} | {otlp.PerSecond / usage.PerSecond * 100:N0}% | {otlp.P50:N1} | {otlp.P99:N1} | {otlpBodies[0].Length:N0} |"));
    }

    /// <summary>Calls per second over the time spent in this path's rounds, and its request latency.</summary>
    private sealed class Measure
    {
        private readonly LongHistogram _latency = new(TimeStamp.Minutes(1), 3);
        private TimeSpan _elapsed;
        private int _calls;

        public double PerSecond => _calls / _elapsed.TotalSeconds;
        public double P50 => _latency.GetValueAtPercentile(50) / 1000.0;
        public double P99 => _latency.GetValueAtPercentile(99) / 1000.0;

        public async Task RunAsync(List<int> requests, int clients, Func<int, Task> step)
        {
            _elapsed += await ParallelLoad.RunAsync(requests, clients, _latency, step);
            _calls += requests.Count * PerRequest;
        }
    }

    private static async Task PostUsageAsync(HttpClient client, object body) =>
        (await client.PostAsJsonAsync("/api/usage", body)).EnsureSuccessStatusCode();

    private static async Task PostOtlpAsync(HttpClient client, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        var response = await client.PostAsync("/v1/traces", content);
        response.EnsureSuccessStatusCode();
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        if (answer.PartialSuccess is { RejectedSpans: > 0 } partial)
        {
            throw new InvalidOperationException(partial.ErrorMessage);
        }
    }

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    /// <summary>The call both paths report: gpt-4o or gpt-4o-mini, 1,200 in (1,000 cached), 300 out, over 8 teams.</summary>
    private static (string Team, string Feature, string User, string Model, DateTimeOffset At) Call(int request, int i, DateTimeOffset now) =>
        ($"team-{i % 8}", $"feature-{i % 20}", $"user-{i % 50}", i % 3 == 0 ? "gpt-4o" : "gpt-4o-mini", now.AddSeconds(-(i % 600)));

    private static object UsageBody(int request, DateTimeOffset now) => new
    {
        events = Enumerable.Range(0, PerRequest).Select(i =>
        {
            var (team, feature, user, model, at) = Call(request, i, now);
            return new
            {
                id = $"{RunId}-{request}-{i}", timestamp = at.ToString("O", CultureInfo.InvariantCulture), team, feature, user, model,
                provider = "azure-openai", app = "bench", inputTokens = 1200, cachedInputTokens = 1000, outputTokens = 300, latencyMs = 800,
            };
        }).ToList(),
    };

    private static byte[] OtlpBody(int request, DateTimeOffset now)
    {
        var scope = new ScopeSpans();
        var traceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        for (var i = 0; i < PerRequest; i++)
        {
            var (team, feature, user, model, at) = Call(request, i, now);
            var end = (ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100;
            var span = new Span
            {
                TraceId = traceId,
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)),
                Name = $"chat {model}",
                StartTimeUnixNano = end - 800_000_000,
                EndTimeUnixNano = end,
            };
            span.Attributes.Add(Text("gen_ai.operation.name", "chat"));
            span.Attributes.Add(Text("gen_ai.provider.name", "azure.ai.openai"));
            span.Attributes.Add(Text("gen_ai.request.model", model));
            span.Attributes.Add(Text("gen_ai.response.model", model));
            span.Attributes.Add(Count("gen_ai.usage.input_tokens", 1200));
            span.Attributes.Add(Count("gen_ai.usage.cache_read.input_tokens", 1000));
            span.Attributes.Add(Count("gen_ai.usage.output_tokens", 300));
            span.Attributes.Add(Text("controlplane.team", team));
            span.Attributes.Add(Text("controlplane.feature", feature));
            span.Attributes.Add(Text("controlplane.user", user));
            scope.Spans.Add(span);
        }

        var resource = new ResourceSpans { Resource = new Resource { Attributes = { Text("service.name", "bench") } } };
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } }.ToByteArray();
    }

    private static KeyValue Text(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Count(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ControlPlane.Telemetry;

/// <summary>
/// The real OpenTelemetry .NET OTLP exporter (HTTP/protobuf) sending GenAI spans to the real app on Kestrel and
/// Azurite: the calls cost exactly what the same calls posted to <c>POST /api/usage</c> cost, and the exporter's very
/// request sent again changes nothing.
/// </summary>
public sealed class OtlpExporterTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        var port = LoopbackPort.Free();
        _app.UseKestrel(port);
        _app.StartServer();
        _url = $"http://127.0.0.1:{port}";
        _admin = _app.Client();
        foreach (var team in new[] { "search", "ads" })
        {
            await _admin.PutBudgetAsync(team, new { scope = new { type = "team", value = team }, period = "monthly", limitUsd = 100m, mode = "soft" });
        }
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>Three calls as an app's instrumentation reports them, and the same calls as POST /api/usage events.</summary>
    private static readonly (Dictionary<string, object?> Span, object Usage)[] Calls =
    [
        (new()
        {
            ["gen_ai.operation.name"] = "chat", ["gen_ai.provider.name"] = "azure.ai.openai", ["gen_ai.request.model"] = "prod-4o",
            ["gen_ai.response.model"] = "gpt-4o", ["gen_ai.usage.input_tokens"] = 12_000L, ["gen_ai.usage.cache_read.input_tokens"] = 8_000L,
            ["gen_ai.usage.output_tokens"] = 700L, ["controlplane.feature"] = "answers", ["gen_ai.conversation.id"] = "conv-7",
        },
        new { provider = "azure-openai", model = "gpt-4o", inputTokens = 12_000, cachedInputTokens = 8_000, outputTokens = 700, feature = "answers", session = "conv-7" }),
        (new()
        {
            ["gen_ai.operation.name"] = "chat", ["gen_ai.system"] = "openai", ["gen_ai.request.model"] = "o4-mini",
            ["gen_ai.usage.input_tokens"] = 3_000L, ["gen_ai.usage.output_tokens"] = 2_500L, ["gen_ai.usage.reasoning.output_tokens"] = 2_000L,
            ["controlplane.feature"] = "planner", ["controlplane.user"] = "u-42",
        },
        new { provider = "openai", model = "o4-mini", inputTokens = 3_000, outputTokens = 2_500, reasoningTokens = 2_000, feature = "planner", user = "u-42" }),
        (new()
        {
            ["gen_ai.operation.name"] = "chat", ["gen_ai.provider.name"] = "anthropic", ["gen_ai.request.model"] = "claude-sonnet-4-5",
            ["gen_ai.usage.input_tokens"] = 50_000L, ["gen_ai.usage.cache_read.input_tokens"] = 30_000L,
            ["gen_ai.usage.cache_creation.input_tokens"] = 15_000L, ["gen_ai.usage.output_tokens"] = 1_200L, ["controlplane.feature"] = "review",
        },
        new { provider = "anthropic", model = "claude-sonnet-4-5", inputTokens = 50_000, cachedInputTokens = 30_000, cacheWriteTokens = 15_000, outputTokens = 1_200, feature = "review" }),
    ];

    [Fact]
    public async Task ExportTraces_RealOtlpExporter_CostsWhatUsageEventsCost_AndTheResentBatchChangesNothing()
    {
        var ingestKey = await _app.IssueKeyAsync("ingest", "search");
        var recorder = new RecordingHandler();
        var spans = new List<(string TraceId, string SpanId)>();
        using (var source = new ActivitySource("ControlPlane.Tests.Otlp"))
        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("support-bot").AddAttributes([new("controlplane.team", "search")]))
            .AddSource(source.Name)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri($"{_url}/v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Headers = $"x-api-key={ingestKey}";
                o.HttpClientFactory = () => new HttpClient(recorder);
            })
            .Build())
        {
            using (var request = source.StartActivity("GET /ask", ActivityKind.Server))
            {
                foreach (var (attributes, _) in Calls)
                {
                    using var call = source.StartActivity($"chat {attributes["gen_ai.request.model"]}", ActivityKind.Client)!;
                    call.SetStartTime(ControlPlaneApp.Start.AddSeconds(-3).UtcDateTime);
                    foreach (var (key, value) in attributes)
                    {
                        call.SetTag(key, value);
                    }

                    call.SetEndTime(ControlPlaneApp.Start.AddSeconds(-1).UtcDateTime);
                    spans.Add((call.TraceId.ToHexString(), call.SpanId.ToHexString()));
                }
            }

            Assert.True(tracing.ForceFlush(10_000));
        }

        var export = Assert.Single(recorder.Requests);
        Assert.Equal(HttpStatusCode.OK, export.Status);
        Assert.Equal("application/x-protobuf", export.ContentType);

        // The same calls as usage events, for another team so that each has its own budget to compare.
        var usage = await (await _admin.PostAsJsonAsync("/api/usage", new
        {
            events = Calls.Select((c, i) => Merge(c.Usage, new { id = $"u-{i}", team = "ads", app = "support-bot" })).ToList(),
        })).JsonAsync();
        var usageCosts = usage.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("costUsd").GetDecimal()).ToList();

        var recorded = new List<System.Text.Json.JsonElement>();
        foreach (var (traceId, spanId) in spans)
        {
            var response = await _admin.GetAsync($"/api/usage/otlp:{traceId}:{spanId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            recorded.Add(await response.JsonAsync());
        }

        Assert.Equal(usageCosts, recorded.Select(e => e.GetProperty("costUsd").GetDecimal()));
        Assert.All(usageCosts, c => Assert.True(c > 0m));
        Assert.Equal(["search", "search", "search"], recorded.Select(e => e.GetProperty("team").GetString()));
        Assert.Equal("support-bot", recorded[0].GetProperty("app").GetString());
        Assert.Equal("conv-7", recorded[0].GetProperty("session").GetString());
        Assert.Equal(2000, recorded[0].GetProperty("latencyMs").GetInt64());
        Assert.Equal(ControlPlaneApp.Start.AddSeconds(-1), recorded[0].GetProperty("timestamp").GetDateTimeOffset());
        var spent = (await _admin.GetBudgetAsync("search")).Money("spentUsd");
        Assert.Equal((await _admin.GetBudgetAsync("ads")).Money("spentUsd"), spent);
        Assert.Equal(usageCosts.Sum(), spent);
        var before = await CostsAsync();

        // The exporter's own request, sent again (as its retry would): every span is a duplicate of itself.
        using var resend = new HttpClient();
        var again = await resend.SendAsync(export.Replay());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(spent, (await _admin.GetBudgetAsync("search")).Money("spentUsd"));
        Assert.Equal(before, await CostsAsync());
    }

    private async Task<(decimal Cost, long Requests)> CostsAsync()
    {
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=team&team=search")).JsonAsync();
        return (costs.GetProperty("totalCostUsd").GetDecimal(), costs.GetProperty("groups")[0].GetProperty("requests").GetInt64());
    }

    private static Dictionary<string, object> Merge(object a, object b) =>
        new[] { a, b }.SelectMany(o => o.GetType().GetProperties().Select(p => (p.Name, Value: p.GetValue(o)!))).ToDictionary(p => p.Name, p => p.Value);

    /// <summary>Keeps what the exporter sent and what it was answered, so a test can send the very same request again.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new HttpClientHandler())
    {
        public List<Recorded> Requests { get; } = [];

        // The exporter sends synchronously (HttpClient.Send) where the runtime allows; both paths are recorded.
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var (body, headers, contentType) = Capture(request);
            var response = base.Send(request, cancellationToken);
            Record(request, headers, contentType, body, response);
            return response;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var (body, headers, contentType) = Capture(request);
            var response = await base.SendAsync(request, cancellationToken);
            Record(request, headers, contentType, body, response);
            return response;
        }

        private static (byte[] Body, List<(string Name, string Value)> Headers, string ContentType) Capture(HttpRequestMessage request)
        {
            using var buffer = new MemoryStream();
            request.Content!.CopyTo(buffer, null, CancellationToken.None);
            var contentType = request.Content.Headers.ContentType!.MediaType!;
            var headers = request.Headers.Select(h => (h.Key, string.Join(",", h.Value))).ToList();
            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            return (buffer.ToArray(), headers, contentType);
        }

        private void Record(HttpRequestMessage request, List<(string Name, string Value)> headers, string contentType, byte[] body, HttpResponseMessage response)
        {
            lock (Requests)
            {
                Requests.Add(new Recorded(request.RequestUri!, headers, contentType, body, response.StatusCode));
            }
        }
    }

    private sealed record Recorded(Uri Uri, List<(string Name, string Value)> Headers, string ContentType, byte[] Body, HttpStatusCode Status)
    {
        public HttpRequestMessage Replay()
        {
            var message = new HttpRequestMessage(HttpMethod.Post, Uri) { Content = new ByteArrayContent(Body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
            foreach (var (name, value) in Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            return message;
        }
    }
}

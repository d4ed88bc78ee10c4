using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ControlPlane.Functions.Telemetry.Otlp;
using ControlPlane.Usage;
using Google.Protobuf;

namespace ControlPlane.Telemetry;

/// <summary><c>POST /v1/traces</c> with hand-made OTLP bodies: both encodings, gzip, partial success and every refusal.</summary>
public sealed class TracesApiTests : IAsyncLifetime
{
    private const string TraceId = "5b8efff798038103d269b633813fc60c";
    private readonly ControlPlaneApp _app = new(new() { ["ControlPlane:Usage:MaxRequestBytes"] = "65536" });
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private static ulong Nanos(DateTimeOffset at) => (ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static KeyValue Attribute(string key, object value) => new()
    {
        Key = key,
        Value = value switch
        {
            string s => new AnyValue { StringValue = s },
            long l => new AnyValue { IntValue = l },
            int i => new AnyValue { IntValue = i },
            _ => throw new ArgumentException(key),
        },
    };

    /// <summary>A gpt-4o-mini chat span of team search: 1,200 in (1,000 cached), 300 out = $0.000285.</summary>
    private static Span ChatSpan(string spanId, string team = "search", params (string Key, object? Value)[] changes)
    {
        var attributes = new Dictionary<string, object?>
        {
            ["gen_ai.operation.name"] = "chat", ["gen_ai.provider.name"] = "openai", ["gen_ai.request.model"] = "gpt-4o-mini",
            ["gen_ai.usage.input_tokens"] = 1200L, ["gen_ai.usage.cache_read.input_tokens"] = 1000L, ["gen_ai.usage.output_tokens"] = 300L,
            ["controlplane.team"] = team, ["controlplane.feature"] = "answers",
        };
        foreach (var (key, value) in changes)
        {
            attributes[key] = value;
        }

        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceId)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(spanId)),
            Name = "chat gpt-4o-mini",
            StartTimeUnixNano = Nanos(ControlPlaneApp.Start.AddSeconds(-2)),
            EndTimeUnixNano = Nanos(ControlPlaneApp.Start.AddSeconds(-1)),
        };
        span.Attributes.AddRange(attributes.Where(a => a.Value is not null).Select(a => Attribute(a.Key, a.Value!)));
        return span;
    }

    private static Span PlainSpan(string spanId) => new()
    {
        TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceId)),
        SpanId = ByteString.CopyFrom(Convert.FromHexString(spanId)),
        Name = "GET /orders",
        Attributes = { Attribute("http.request.method", "GET") },
    };

    private static ExportTraceServiceRequest Export(params Span[] spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.AddRange(spans);
        var resource = new ResourceSpans { Resource = new Resource { Attributes = { Attribute("service.name", "support-bot") } } };
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }

    private static ByteArrayContent Protobuf(byte[] body, string contentType = "application/x-protobuf")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private static async Task<ExportTraceServiceResponse> SuccessAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        return ExportTraceServiceResponse.Parser.ParseFrom(body);
    }

    private static async Task<RpcStatus> FailureAsync(HttpResponseMessage response, HttpStatusCode status, string code, string mediaType = "application/x-protobuf")
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, response.Headers.GetValues("x-controlplane-error-code").Single());
        var rpc = mediaType == "application/json" ? RpcStatus.Parser.ParseJson(Encoding.UTF8.GetString(body)) : RpcStatus.Parser.ParseFrom(body);
        Assert.StartsWith(code + ": ", rpc.Message);
        return rpc;
    }

    private Task<HttpResponseMessage> PostAsync(HttpContent content, HttpClient? client = null) => (client ?? _admin).PostAsync("/v1/traces", content);

    private async Task<JsonElement?> RecordedAsync(string spanId)
    {
        var response = await _admin.GetAsync($"/api/usage/otlp:{TraceId}:{spanId}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.JsonAsync();
    }

    [Fact]
    public async Task ExportTraces_GoodBadAndPlainSpans_RecordsTheGoodAndCountsTheBadAsRejected()
    {
        var export = Export(
            ChatSpan("1000000000000001"),
            ChatSpan("1000000000000002", changes: ("controlplane.feature", null)),
            PlainSpan("1000000000000003"),
            ChatSpan("1000000000000004", changes: ("gen_ai.usage.input_tokens", -5L)),
            ChatSpan("1000000000000005", changes: [("gen_ai.usage.output_tokens", 10L), ("gen_ai.usage.reasoning.output_tokens", 20L)]));

        var response = await SuccessAsync(await PostAsync(Protobuf(export.ToByteArray())));

        Assert.Equal(3, response.PartialSuccess.RejectedSpans);
        var message = response.PartialSuccess.ErrorMessage;
        Assert.StartsWith("3 GenAI spans were not recorded.", message);
        Assert.Contains($"span {TraceId}/1000000000000002: {UsageErrors.FieldRequired} (controlplane.feature)", message);
        Assert.Contains($"{UsageErrors.TokensNegative} (gen_ai.usage.input_tokens)", message);
        Assert.Contains($"{UsageErrors.TokensPartitionOutput} (gen_ai.usage.reasoning.output_tokens)", message);
        var recorded = await RecordedAsync("1000000000000001");
        Assert.Equal(0.000285m, recorded!.Value.GetProperty("costUsd").GetDecimal());
        Assert.Equal("support-bot", recorded.Value.GetProperty("app").GetString());
        foreach (var notRecorded in new[] { "1000000000000002", "1000000000000003", "1000000000000004", "1000000000000005" })
        {
            Assert.Null(await RecordedAsync(notRecorded));
        }
    }

    [Fact]
    public async Task ExportTraces_OtlpJson_HexIdsAndStringInt64s_AnswersJsonAndIsTheSameEventAsProtobuf()
    {
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},
              "scopeSpans":[{"scope":{"name":"my.instrumentation"},"spans":[
                {"traceId":"{{{TraceId.ToUpperInvariant()}}}","spanId":"2000000000000001","name":"chat","kind":3,
                 "startTimeUnixNano":"{{{Nanos(ControlPlaneApp.Start.AddSeconds(-2))}}}","endTimeUnixNano":{{{Nanos(ControlPlaneApp.Start.AddSeconds(-1))}}},
                 "attributes":[
                   {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                   {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
                   {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},
                   {"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":1000}},
                   {"key":"gen_ai.usage.output_tokens","value":{"intValue":"300"}},
                   {"key":"controlplane.team","value":{"stringValue":"search"}},
                   {"key":"controlplane.feature","value":{"stringValue":"answers"}}],
                 "events":[{"timeUnixNano":"1","name":"gen_ai.content.prompt"}],
                 "links":[{"traceId":"{{{TraceId}}}","spanId":"2000000000000009"}],
                 "status":{"code":2,"message":"rate limited"}},
                {"traceId":"{{{TraceId}}}","spanId":"not-hex","name":"chat","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}]}
              ]}]}]}
            """;

        var response = await PostAsync(new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("partialSuccess");
        Assert.Equal("1", body.GetProperty("rejectedSpans").ToString());
        Assert.Contains(TelemetryErrors.SpanIdInvalid, body.GetProperty("errorMessage").GetString());
        var recorded = (await RecordedAsync("2000000000000001"))!.Value;
        Assert.Equal(0.000285m, recorded.GetProperty("costUsd").GetDecimal());
        Assert.Equal("error", recorded.GetProperty("status").GetString());
        Assert.Equal(ControlPlaneApp.Start.AddSeconds(-1), recorded.GetProperty("timestamp").GetDateTimeOffset());

        // The same span in protobuf (lower-case ids) is the same event: recorded once.
        var again = await SuccessAsync(await PostAsync(Protobuf(Export(ChatSpan("2000000000000001")).ToByteArray())));
        Assert.Null(again.PartialSuccess);
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=team")).JsonAsync();
        Assert.Equal(0.000285m, costs.GetProperty("totalCostUsd").GetDecimal());
        Assert.Equal(1, costs.GetProperty("groups")[0].GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task ExportTraces_Gzip_IsDecompressedAndRecorded()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            Export(ChatSpan("3000000000000001")).WriteTo(gzip);
        }

        var content = Protobuf(compressed.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        var response = await SuccessAsync(await PostAsync(content));

        Assert.Null(response.PartialSuccess);
        Assert.NotNull(await RecordedAsync("3000000000000001"));
    }

    [Fact]
    public async Task ExportTraces_GzipBomb_Is413OnTheDecompressedSize()
    {
        // A few hundred bytes that inflate to 1 MiB, over the 64 KiB limit this app is set to.
        var export = Export(ChatSpan("3000000000000002", changes: ("controlplane.tag.padding", new string('a', 1 << 20))));
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            export.WriteTo(gzip);
        }

        Assert.True(compressed.Length < 65536);
        var content = Protobuf(compressed.ToArray());
        content.Headers.ContentEncoding.Add("gzip");

        await FailureAsync(await PostAsync(content), HttpStatusCode.RequestEntityTooLarge, "request_body_too_large");
        Assert.Null(await RecordedAsync("3000000000000002"));
    }

    [Fact]
    public async Task ExportTraces_OversizedBody_Is413()
    {
        var export = Export([.. Enumerable.Range(0, 400).Select(i => ChatSpan($"40000000000{i:x5}"))]);
        Assert.True(export.CalculateSize() > 65536);

        await FailureAsync(await PostAsync(Protobuf(export.ToByteArray())), HttpStatusCode.RequestEntityTooLarge, "request_body_too_large");
        Assert.Null(await RecordedAsync("4000000000000000"));
    }

    [Fact]
    public async Task ExportTraces_GarbageBody_Is400InTheRequestsEncoding()
    {
        await FailureAsync(await PostAsync(Protobuf([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])), HttpStatusCode.BadRequest, TelemetryErrors.BodyInvalid);
        await FailureAsync(await PostAsync(new StringContent("{\"resourceSpans\": [", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, TelemetryErrors.BodyInvalid, "application/json");
        var notGzip = Protobuf(Export(ChatSpan("5000000000000001")).ToByteArray());
        notGzip.Headers.ContentEncoding.Add("gzip");
        await FailureAsync(await PostAsync(notGzip), HttpStatusCode.BadRequest, TelemetryErrors.BodyInvalid);
    }

    [Fact]
    public async Task ExportTraces_WrongContentTypeOrEncoding_Is415()
    {
        var body = Export(ChatSpan("6000000000000001")).ToByteArray();

        await FailureAsync(await PostAsync(Protobuf(body, "text/plain")), HttpStatusCode.UnsupportedMediaType, "request_unsupported_media_type");
        var brotli = Protobuf(body);
        brotli.Headers.ContentEncoding.Add("br");
        await FailureAsync(await PostAsync(brotli), HttpStatusCode.UnsupportedMediaType, TelemetryErrors.EncodingUnsupported);
        Assert.Null(await RecordedAsync("6000000000000001"));
    }

    [Fact]
    public async Task ExportTraces_WrongKey_Is401()
    {
        using var stranger = _app.Client("not-a-key-0123456789");

        var response = await PostAsync(Protobuf(Export(ChatSpan("7000000000000001")).ToByteArray()), stranger);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await RecordedAsync("7000000000000001"));
    }

    [Fact]
    public async Task ExportTraces_IngestKeyOfAnotherTeam_RejectsThoseSpansAndRecordsItsOwn()
    {
        using var ingest = _app.Client(await _app.IssueKeyAsync("ingest", "search"));

        var response = await SuccessAsync(await PostAsync(Protobuf(Export(ChatSpan("8000000000000001"), ChatSpan("8000000000000002", team: "ads")).ToByteArray()), ingest));

        Assert.Equal(1, response.PartialSuccess.RejectedSpans);
        Assert.Contains($"span {TraceId}/8000000000000002: auth_team_forbidden (controlplane.team)", response.PartialSuccess.ErrorMessage);
        Assert.NotNull(await RecordedAsync("8000000000000001"));
        Assert.Null(await RecordedAsync("8000000000000002"));
    }

    [Fact]
    public async Task ExportTraces_FinanceKey_Is403()
    {
        using var finance = _app.Client(await _app.IssueKeyAsync("finance"));

        var response = await PostAsync(Protobuf(Export(ChatSpan("9000000000000001")).ToByteArray()), finance);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ExportTraces_StorageUnreachable_Is503WithRetryAfter_WhichOtlpExportersRetry()
    {
        await using var down = new ControlPlaneApp(new()
        {
            ["ControlPlane:Storage:ConnectionString"] =
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        });
        using var admin = down.Client();

        var response = await PostAsync(Protobuf(Export(ChatSpan("a000000000000001")).ToByteArray()), admin);

        await FailureAsync(response, HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task ExportTraces_EmptyExport_IsASuccess()
    {
        var response = await SuccessAsync(await PostAsync(Protobuf([])));

        Assert.Null(response.PartialSuccess);
    }
}

using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Functions.Http;
using ControlPlane.Functions.Telemetry.Otlp;
using ControlPlane.Telemetry;
using Google.Protobuf;

namespace ControlPlane.Functions.Telemetry;

/// <summary>
/// Reads an OTLP/HTTP <c>ExportTraceServiceRequest</c> (binary protobuf or OTLP/JSON, optionally gzip) within our
/// bounds, and turns its spans into <see cref="TelemetrySpan"/>s. The size limit holds for the body as sent and,
/// separately, for the body once decompressed, so a small gzip bomb is refused after reading the limit, not after
/// filling memory.
/// </summary>
internal static class OtlpTraceBody
{
    public const string ProtobufMediaType = "application/x-protobuf";
    public const string JsonMediaType = "application/json";

    /// <summary>OTLP/JSON's quirks besides proto3 JSON (hex ids) are handled here; unknown fields are ignored, as
    /// the specification asks of receivers, so newer exporters' fields do not fail an export.</summary>
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The encoding a Content-Type names, or null when OTLP/HTTP defines none for it.</summary>
    public static OtlpEncoding? EncodingOf(string? contentType)
    {
        var mediaType = contentType?.Split(';', 2)[0].Trim();
        return mediaType switch
        {
            _ when string.Equals(mediaType, ProtobufMediaType, StringComparison.OrdinalIgnoreCase) => OtlpEncoding.Protobuf,
            _ when string.Equals(mediaType, JsonMediaType, StringComparison.OrdinalIgnoreCase) => OtlpEncoding.Json,
            _ => null,
        };
    }

    /// <summary>The decoded request, or why it cannot be read (<see cref="OtlpFailure"/>).</summary>
    public static async Task<(ExportTraceServiceRequest? Request, OtlpFailure? Failure)> ReadAsync(
        HttpRequest request, OtlpEncoding encoding, int maxBytes, CancellationToken cancellationToken)
    {
        var contentEncoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = contentEncoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && contentEncoding.Length > 0 && !contentEncoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new(StatusCodes.Status415UnsupportedMediaType, TelemetryErrors.EncodingUnsupported,
                $"Content-Encoding '{contentEncoding}' is not supported; send gzip or no Content-Encoding."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        byte[] body;
        try
        {
            await using var sent = new LengthLimitedStream(request.Body, maxBytes);
            await using var decoded = gzip ? new LengthLimitedStream(new GZipStream(sent, CompressionMode.Decompress), maxBytes) : null;
            using var buffer = new MemoryStream();
            await ((Stream?)decoded ?? sent).CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        catch (LengthLimitedStream.LimitExceededException)
        {
            return (null, TooLarge(maxBytes));
        }
        catch (InvalidDataException ex)
        {
            return (null, Invalid($"The gzip body cannot be decompressed: {ex.Message}"));
        }

        try
        {
            return (encoding == OtlpEncoding.Protobuf ? ExportTraceServiceRequest.Parser.ParseFrom(body) : ParseJson(body), null);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or JsonException or FormatException or InvalidOperationException
            or ArgumentException)
        {
            // ArgumentException: a JSON object naming one property twice (JsonObject refuses it when first read).
            return (null, Invalid($"The body is not an OTLP ExportTraceServiceRequest in {(encoding == OtlpEncoding.Protobuf ? "binary protobuf" : "OTLP/JSON")}: {ex.Message}"));
        }
    }

    /// <summary>
    /// OTLP/JSON is proto3 JSON except that trace and span ids are hex, not base64: they are rewritten before the
    /// protobuf JSON parser reads the rest (lowerCamelCase or proto names, 64-bit integers as strings or numbers,
    /// enums as integers or names). An id that is not hex is left empty, so its span is rejected, not the export.
    /// </summary>
    private static ExportTraceServiceRequest ParseJson(byte[] body)
    {
        var root = JsonNode.Parse(body, documentOptions: DocumentOptions) as JsonObject
            ?? throw new FormatException("The body is not a JSON object.");
        foreach (var resourceSpans in Items(root, "resourceSpans", "resource_spans"))
        {
            foreach (var scopeSpans in Items(resourceSpans, "scopeSpans", "scope_spans"))
            {
                foreach (var span in Items(scopeSpans, "spans"))
                {
                    foreach (var name in (ReadOnlySpan<string>)["traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"])
                    {
                        if (span[name] is JsonValue value && value.TryGetValue<string>(out var hex))
                        {
                            span[name] = HexToBase64(hex);
                        }
                    }
                }
            }
        }

        return Parser.Parse<ExportTraceServiceRequest>(root.ToJsonString());
    }

    private static IEnumerable<JsonObject> Items(JsonObject parent, params string[] names)
    {
        foreach (var name in names)
        {
            if (parent[name] is JsonArray items)
            {
                foreach (var item in items)
                {
                    if (item is JsonObject found)
                    {
                        yield return found;
                    }
                }
            }
        }
    }

    private static string HexToBase64(string hex)
    {
        try
        {
            return Convert.ToBase64String(Convert.FromHexString(hex));
        }
        catch (FormatException)
        {
            return string.Empty;
        }
    }

    /// <summary>Every span of the request with its resource's attributes.</summary>
    public static IEnumerable<TelemetrySpan> Spans(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = Attributes(resourceSpans.Resource?.Attributes);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    var status = span.Status?.Code switch
                    {
                        SpanStatus.Types.StatusCode.Ok => TelemetrySpanStatus.Ok,
                        SpanStatus.Types.StatusCode.Error => TelemetrySpanStatus.Error,
                        _ => TelemetrySpanStatus.Unset,
                    };
                    yield return new TelemetrySpan(Hex(span.TraceId, 16), Hex(span.SpanId, 8), span.StartTimeUnixNano, span.EndTimeUnixNano,
                        status, Attributes(span.Attributes), resource);
                }
            }
        }
    }

    private static string Hex(ByteString id, int length) => id.Length == length ? Convert.ToHexStringLower(id.Span) : string.Empty;

    /// <summary>Attribute keys are unique per the specification; should one repeat, its first value counts.</summary>
    private static Dictionary<string, object> Attributes(Google.Protobuf.Collections.RepeatedField<KeyValue>? attributes)
    {
        var values = new Dictionary<string, object>(attributes?.Count ?? 0, StringComparer.Ordinal);
        foreach (var attribute in attributes ?? [])
        {
            object? value = attribute.Value?.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => attribute.Value.StringValue,
                AnyValue.ValueOneofCase.IntValue => attribute.Value.IntValue,
                AnyValue.ValueOneofCase.DoubleValue => attribute.Value.DoubleValue,
                AnyValue.ValueOneofCase.BoolValue => attribute.Value.BoolValue,
                AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue or AnyValue.ValueOneofCase.BytesValue => TelemetryValue.Unsupported,
                _ => null,
            };
            if (value is not null)
            {
                values.TryAdd(attribute.Key, value);
            }
        }

        return values;
    }

    private static OtlpFailure TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge,
            $"The body is larger than {maxBytes:N0} bytes (as sent, or once decompressed); export smaller batches.");

    private static OtlpFailure Invalid(string message) => new(StatusCodes.Status400BadRequest, TelemetryErrors.BodyInvalid, message);
}

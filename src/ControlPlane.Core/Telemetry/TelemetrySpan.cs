namespace ControlPlane.Telemetry;

/// <summary>
/// One span as an OTLP receiver decoded it, whatever its encoding: what <see cref="GenAiSpanReader"/> needs to
/// turn a GenAI call into a usage event, and nothing of the wire format.
/// </summary>
/// <param name="TraceId">The 16-byte trace id as 32 lower-case hex digits, or empty when the span's id is not 16 bytes.</param>
/// <param name="SpanId">The 8-byte span id as 16 lower-case hex digits, or empty when the span's id is not 8 bytes.</param>
/// <param name="StartTimeUnixNano">When the span started, in nanoseconds since the Unix epoch; 0 when not set.</param>
/// <param name="EndTimeUnixNano">When the span ended, in nanoseconds since the Unix epoch; 0 when not set.</param>
/// <param name="Status">The span's status code.</param>
/// <param name="Attributes">The span's attributes: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, or <see cref="TelemetryValue.Unsupported"/> for arrays, maps and bytes.</param>
/// <param name="ResourceAttributes">The attributes of the resource that sent the span, in the same forms.</param>
public sealed record TelemetrySpan(
    string TraceId,
    string SpanId,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    TelemetrySpanStatus Status,
    IReadOnlyDictionary<string, object> Attributes,
    IReadOnlyDictionary<string, object> ResourceAttributes);

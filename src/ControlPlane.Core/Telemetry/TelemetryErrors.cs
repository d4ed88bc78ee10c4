namespace ControlPlane.Telemetry;

/// <summary>Stable error codes of the OTLP receiver. Clients switch on these; never rename one.</summary>
public static class TelemetryErrors
{
    /// <summary>The body is not an <c>ExportTraceServiceRequest</c> in the encoding its Content-Type names (or its
    /// gzip is corrupt). Nothing was recorded.</summary>
    public const string BodyInvalid = "otlp_body_invalid";

    /// <summary>The Content-Encoding is neither absent, <c>identity</c> nor <c>gzip</c>.</summary>
    public const string EncodingUnsupported = "otlp_encoding_unsupported";

    /// <summary>A span: a GenAI or ControlPlane attribute has a type its field cannot take (a token count that is
    /// not an integer, a team that is a list). Reported in <c>partialSuccess.errorMessage</c>.</summary>
    public const string AttributeInvalid = "otlp_attribute_invalid";

    /// <summary>A span: its trace id is not 16 bytes or its span id not 8 (or all zero), so it has no identity to
    /// be recorded once by. Reported in <c>partialSuccess.errorMessage</c>.</summary>
    public const string SpanIdInvalid = "otlp_span_id_invalid";
}

namespace ControlPlane.Functions.Telemetry;

/// <summary>The two encodings OTLP/HTTP defines; an answer is written in the request's.</summary>
internal enum OtlpEncoding
{
    Protobuf,
    Json,
}

namespace ControlPlane.Functions.Telemetry;

/// <summary>An OTLP answer other than success: its HTTP status, our stable code and what went wrong.</summary>
internal sealed record OtlpFailure(int Status, string Code, string Message);

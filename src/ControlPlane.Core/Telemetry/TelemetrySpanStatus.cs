namespace ControlPlane.Telemetry;

/// <summary>An OTLP span's status code (<c>STATUS_CODE_UNSET = 0</c>, <c>OK = 1</c>, <c>ERROR = 2</c>).</summary>
public enum TelemetrySpanStatus
{
    Unset = 0,
    Ok = 1,
    Error = 2,
}

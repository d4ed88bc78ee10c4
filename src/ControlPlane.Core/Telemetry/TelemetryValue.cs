namespace ControlPlane.Telemetry;

/// <summary>Attribute values a usage event cannot carry.</summary>
public static class TelemetryValue
{
    /// <summary>An array, key-value list or bytes value: kept as a marker so that a GenAI attribute sent in such a
    /// form is reported as invalid instead of read as absent.</summary>
    public static readonly object Unsupported = new();
}

using ControlPlane.Usage;

namespace ControlPlane.Telemetry;

/// <summary>A span that is a valid GenAI call, and the usage event it records.</summary>
public sealed record GenAiSpanEvent(string TraceId, string SpanId, UsageEvent Event);

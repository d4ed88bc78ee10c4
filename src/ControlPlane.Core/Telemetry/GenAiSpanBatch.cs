namespace ControlPlane.Telemetry;

/// <summary>What <see cref="GenAiSpanReader"/> made of an export's spans.</summary>
/// <param name="Events">The GenAI calls, validated, to record.</param>
/// <param name="Rejected">The GenAI spans that cannot be recorded, each with every problem found.</param>
/// <param name="Ignored">Spans that are not GenAI calls (HTTP, database, agent and tool spans).</param>
public sealed record GenAiSpanBatch(IReadOnlyList<GenAiSpanEvent> Events, IReadOnlyList<RejectedSpan> Rejected, int Ignored);

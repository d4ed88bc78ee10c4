namespace ControlPlane.Client.Api;

/// <summary><c>POST /api/usage</c> answer.</summary>
public sealed record IngestResponse(int Recorded, int Duplicates, decimal CostUsd, IReadOnlyList<IngestedEvent> Events);

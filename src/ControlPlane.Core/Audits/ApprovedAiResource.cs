namespace ControlPlane.Audits;

/// <summary>
/// An AI resource an admin approved: who owns it (the team its spend belongs to), what it is for, and who approved
/// it when. Keyed by ARM resource id, case-insensitively.
/// </summary>
public sealed record ApprovedAiResource(
    string ResourceId,
    string Team,
    string? Purpose,
    string ApprovedBy,
    DateTimeOffset ApprovedAt,
    DateTimeOffset UpdatedAt);

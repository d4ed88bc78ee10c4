namespace ControlPlane.AuditLog;

/// <summary>A page of entries, newest first, and where the next page starts (null on the last page).</summary>
public sealed record AdminAuditPage(IReadOnlyList<AdminAuditEntry> Entries, AdminAuditCursor? Next);

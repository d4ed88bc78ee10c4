namespace ControlPlane.AuditLog;

/// <summary>
/// Where admin audit entries are kept (Table storage in Azure), newest first by key so that paging and time ranges
/// are range reads, never scans of the whole log.
/// </summary>
public interface IAdminAuditLog
{
    /// <summary>Writes a new entry (normally <see cref="AdminAuditOutcome.Pending"/>). Throws when it could not be stored.</summary>
    Task AppendAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Replaces an entry written by <see cref="AppendAsync"/> (same <see cref="AdminAuditEntry.Id"/> and <see cref="AdminAuditEntry.At"/>) with its outcome.</summary>
    Task CompleteAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>One page, newest first. Snapshots too large for storage come back marked <see cref="AuditSnapshot.Truncated"/>.</summary>
    Task<AdminAuditPage> ListAsync(AdminAuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Deletes every entry older than <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

using ControlPlane.Paging;

namespace ControlPlane.Audits;

/// <summary>A stored finding with its concurrency tag.</summary>
public sealed record StoredFinding(Finding Finding, string ETag, bool EventPending);

/// <summary>
/// Filters of <c>GET /api/findings</c>; null matches everything. <paramref name="VisibleTeams"/> limits the answer
/// to findings owned by those teams (an ingest key's view).
/// </summary>
public sealed record FindingFilter(string? Kind = null, FindingState? State = null, string? Team = null, IReadOnlyList<string>? VisibleTeams = null);

/// <summary>
/// Findings, one per fingerprint. Writes are guarded by the ETag read, so two audit runs or an audit and an admin
/// never overwrite each other's change. A finding whose <c>ControlPlane.Finding.Opened</c> event is still owed says
/// so (<see cref="StoredFinding.EventPending"/>), written in the same row as the change that opened it: the row is
/// the outbox.
/// </summary>
public interface IFindingStore
{
    Task<StoredFinding?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Creates the finding; false when one with its id exists already (another run got there first).</summary>
    Task<bool> TryCreateAsync(Finding finding, bool eventPending, CancellationToken cancellationToken = default);

    /// <summary>Replaces the finding if it still has <paramref name="etag"/>; false when someone changed it meanwhile.</summary>
    Task<bool> TryReplaceAsync(Finding finding, string etag, bool eventPending, CancellationToken cancellationToken = default);

    /// <summary>Findings in id order, filtered.</summary>
    Task<ListPage<Finding>> ListAsync(FindingFilter filter, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Findings whose Opened event is still owed.</summary>
    Task<IReadOnlyList<StoredFinding>> ListEventPendingAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>Clears the owed event if the finding still has <paramref name="etag"/>; false otherwise (it was published with a newer change, or changed).</summary>
    Task<bool> TryClearEventPendingAsync(string id, string etag, CancellationToken cancellationToken = default);
}

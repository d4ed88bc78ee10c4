using ControlPlane.Paging;

namespace ControlPlane.Audits;

/// <summary>The approved-resource registry: one entry per ARM resource id (compared case-insensitively).</summary>
public interface IAiResourceRegistry
{
    /// <summary>Creates or replaces each entry.</summary>
    Task UpsertAsync(IReadOnlyList<ApprovedAiResource> resources, CancellationToken cancellationToken = default);

    Task<ApprovedAiResource?> GetAsync(string resourceId, CancellationToken cancellationToken = default);

    /// <summary>Entries in normalized-id order.</summary>
    Task<ListPage<ApprovedAiResource>> ListAsync(PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Every entry (the audit compares the whole inventory with it).</summary>
    Task<IReadOnlyList<ApprovedAiResource>> ListAllAsync(CancellationToken cancellationToken = default);
}

using ControlPlane.Paging;

namespace ControlPlane.Orchestrations;

/// <summary>Instances and their history (Table storage in Azure).</summary>
public interface IOrchestrationStore
{
    /// <summary>Creates the instance with its first history entry; false (nothing written) when the id exists already.</summary>
    Task<bool> TryCreateAsync(OrchestrationInstance instance, OrchestrationHistoryEntry first, CancellationToken cancellationToken = default);

    Task<OrchestrationInstance?> GetAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the instance if it still has <paramref name="expected"/>'s ETag, adding <paramref name="history"/> in the same
    /// transaction. Returns the stored instance with its new ETag, or null when someone else changed it first.
    /// </summary>
    Task<OrchestrationInstance?> TryReplaceAsync(OrchestrationInstance expected, OrchestrationInstance replacement, OrchestrationHistoryEntry? history, CancellationToken cancellationToken = default);

    /// <summary>One page of instances, newest first (by creation, then id), optionally filtered.</summary>
    Task<ListPage<OrchestrationInstance>> ListAsync(string? kind, OrchestrationStatus? status, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Unfinished instances whose <see cref="OrchestrationInstance.WakeAt"/> is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<OrchestrationInstance>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<OrchestrationHistoryEntry>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Deletes finished instances last changed before <paramref name="cutoff"/>, with their history; returns how many.</summary>
    Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

/// <summary>The work queue that advances instances one step per message (Storage queue in Azure).</summary>
public interface IOrchestrationDispatcher
{
    Task SendAsync(OrchestrationWorkItem item, CancellationToken cancellationToken = default);
}

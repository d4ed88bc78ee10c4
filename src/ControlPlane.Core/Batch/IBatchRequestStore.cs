using ControlPlane.Paging;

namespace ControlPlane.Batch;

/// <summary>Deferrable requests' state (Table storage in Azure).</summary>
public interface IBatchRequestStore
{
    /// <summary>False (nothing written) when the team has a request with this id (another team's does not count).</summary>
    Task<bool> TryCreateAsync(BatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>The team's request with this id.</summary>
    Task<BatchRequest?> GetAsync(string id, string team, CancellationToken cancellationToken = default);

    /// <summary>Every team's request with this id (ids are unique per team only); the caller keeps those it may see.</summary>
    Task<IReadOnlyList<BatchRequest>> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces the request if it still has <paramref name="expected"/>'s ETag; null when it changed meanwhile.</summary>
    Task<BatchRequest?> TryReplaceAsync(BatchRequest expected, BatchRequest replacement, CancellationToken cancellationToken = default);

    /// <summary>One page of requests, newest first (by receipt, then key), optionally for one team and one status.</summary>
    Task<ListPage<BatchRequest>> ListAsync(string? team, BatchRequestStatus? status, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Every request a nightly run holds or last held (one query instead of a read per request).</summary>
    Task<IReadOnlyList<BatchRequest>> ListByRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Finished requests (completed, failed, cancelled) last changed before <paramref name="cutoff"/>, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<BatchRequest>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default);

    /// <summary>Deletes the request if it is unchanged since read; false when it changed (or is gone).</summary>
    Task<bool> TryDeleteAsync(BatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>What a nightly run may take: every pending request, and those this run already queued (a replayed step).</summary>
    Task<IReadOnlyList<BatchRequest>> ListClaimableAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>Request bodies, JSONL input files and results (Blob storage in Azure).</summary>
public interface IBatchPayloadStore
{
    Task SaveRequestBodyAsync(string requestId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default);

    Task<ReadOnlyMemory<byte>?> GetRequestBodyAsync(string requestId, CancellationToken cancellationToken = default);

    Task SaveInputFileAsync(string runId, int group, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default);

    Task<ReadOnlyMemory<byte>?> GetInputFileAsync(string runId, int group, CancellationToken cancellationToken = default);

    /// <summary>A run's state after its last finished step, so a retried run resumes there (kept with the run's files).</summary>
    Task SaveRunStateAsync(string runId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default);

    Task<ReadOnlyMemory<byte>?> GetRunStateAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>The provider's answer for one request (the output line's <c>response.body</c>).</summary>
    Task SaveResultAsync(string requestId, ReadOnlyMemory<byte> result, CancellationToken cancellationToken = default);

    Task<ReadOnlyMemory<byte>?> GetResultAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a request's body and result (whichever exist).</summary>
    Task DeleteRequestAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Deletes input files written before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DeleteRunFilesBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

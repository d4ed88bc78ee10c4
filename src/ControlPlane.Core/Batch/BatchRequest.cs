using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Batch;

/// <summary>Where a deferrable request stands.</summary>
public enum BatchRequestStatus
{
    /// <summary>Waiting for the next nightly run; may still be cancelled.</summary>
    Pending,

    /// <summary>Taken by a nightly run, not yet in a provider batch.</summary>
    Queued,

    /// <summary>In a provider batch.</summary>
    Submitted,

    Completed,

    /// <summary>Failed for good: a request the provider refused, or one that failed on its last allowed night.</summary>
    Failed,

    Cancelled,
}

/// <summary>
/// A deferrable chat-completions request: accepted now with its batch-price ceiling reserved against budgets, sent
/// to the Azure OpenAI Batch API by the nightly run, settled at the batch price from the provider's real usage.
/// The request body and the result live in blobs; this record is the request's state.
/// </summary>
public sealed record BatchRequest
{
    public required string Id { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public string? User { get; init; }
    public string? App { get; init; }
    public required string Environment { get; init; }

    /// <summary>The model, as the price sheet names it.</summary>
    public required string Model { get; init; }

    /// <summary>The Azure OpenAI (global batch) deployment the request runs on; defaults to the model name.</summary>
    public required string Deployment { get; init; }

    public required long MaxOutputTokens { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public required BatchRequestStatus Status { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Prompt tokens counted at submission (o200k tokenizer plus the chat format's per-message overhead).</summary>
    public required long EstimatedInputTokens { get; init; }

    /// <summary>Worst case at batch prices: the estimated prompt uncached plus every allowed output token.</summary>
    public required decimal EstimatedBatchCostUsd { get; init; }

    /// <summary>The same worst case at real-time prices.</summary>
    public required decimal EstimatedRealtimeCostUsd { get; init; }

    /// <summary>The reservation holding <see cref="EstimatedBatchCostUsd"/> on the matching hard budgets (null when none matched).</summary>
    public string? ReservationId { get; init; }

    public DateTimeOffset? ReservationExpiresAt { get; init; }

    /// <summary>Nights this request went to the provider.</summary>
    public int Attempts { get; init; }

    /// <summary>The nightly run that holds it (queued or submitted).</summary>
    public string? RunId { get; init; }

    public string? BatchId { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>What it cost at batch prices, from the provider's usage; recorded in the ledger as usage event <see cref="UsageEventId"/>.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>What the same tokens would have cost in real time.</summary>
    public decimal? RealtimeCostUsd { get; init; }

    public UsageTokens? Tokens { get; init; }
    public string? UsageEventId { get; init; }

    /// <summary>The last failure (provider's code and message); kept when a request is retried.</summary>
    public BatchRequestError? LastError { get; init; }

    /// <summary>Storage concurrency token.</summary>
    public string ETag { get; init; } = string.Empty;

    public bool IsFinished => Status is BatchRequestStatus.Completed or BatchRequestStatus.Failed or BatchRequestStatus.Cancelled;

    /// <summary>The usage event id a completed request is recorded under: deterministic, so settling twice charges
    /// once, and in the server's namespace (<c>cp:batch:{requestId}</c>), so no client can record it first.</summary>
    public static string UsageEventIdFor(string requestId) => UsageEventIds.Server("batch", requestId);
}

/// <summary>A provider's error for one request (or its batch).</summary>
public sealed record BatchRequestError(string Code, string Message);

using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
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
    private readonly string? _key;

    /// <summary>The id the client knows the request by: its own idempotency key, or a generated <c>breq_…</c>. Unique per team.</summary>
    public required string Id { get; init; }

    public required string Team { get; init; }

    /// <summary>
    /// Unique across teams, where the id need not be: names the request's blobs, its line (<c>custom_id</c>) in the
    /// provider's files and its usage event. A generated id is its own key; a client's id is hashed with its team
    /// (<see cref="KeyFor"/>). Requests stored before keys existed use their id. Stored beside the record, not in it.
    /// </summary>
    [JsonIgnore]
    public string Key
    {
        get => _key ?? Id;
        init => _key = value;
    }
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
    /// once, and in the server's namespace (<c>cp:batch:{requestKey}</c>), so no client can record it first.</summary>
    public static string UsageEventIdFor(string requestKey) => UsageEventIds.Server("batch", requestKey);

    /// <summary>
    /// The key of a request a client named: two teams may use the same id (neither can learn of the other's), so
    /// the key is the team and id hashed, in the generated ids' shape and length.
    /// </summary>
    public static string KeyFor(string team, string clientId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{team.Length}:{team}{clientId}"));
        return "breq_" + Convert.ToHexStringLower(hash)[..24];
    }
}

/// <summary>A provider's error for one request (or its batch).</summary>
public sealed record BatchRequestError(string Code, string Message);

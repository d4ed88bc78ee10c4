using System.Text.Json;

namespace ControlPlane.Client.Api;

/// <summary>
/// One call for <c>POST /api/usage</c>. Either the flat token fields (input includes cached and cache-write tokens,
/// output includes reasoning tokens) or <see cref="Usage"/>: the provider's own usage object, forwarded as returned.
/// <see cref="Id"/> makes the post idempotent: retries send the same id and are charged once.
/// </summary>
public sealed record UsageReport
{
    public required string Id { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public string? User { get; init; }
    public string? App { get; init; }
    public string? Environment { get; init; }
    public string? PromptTemplate { get; init; }
    public string? Provider { get; init; }
    public required string Model { get; init; }
    public string? Deployment { get; init; }
    public long? InputTokens { get; init; }
    public long? CachedInputTokens { get; init; }
    public long? CacheWriteTokens { get; init; }
    public long? OutputTokens { get; init; }
    public long? ReasoningTokens { get; init; }
    public JsonElement? Usage { get; init; }
    public string? ReservationId { get; init; }
    public string? Session { get; init; }
    public long? LatencyMs { get; init; }
    public string? Status { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>A report of one call charged to <paramref name="attribution"/>; the caller adds the tokens or usage.</summary>
    public static UsageReport Of(string id, CallAttribution attribution, string model, string? provider, DateTimeOffset timestamp) => new()
    {
        Id = id,
        Timestamp = timestamp,
        Team = attribution.Team,
        Feature = attribution.Feature,
        User = attribution.User,
        App = attribution.App,
        Environment = attribution.Environment,
        PromptTemplate = attribution.PromptTemplate,
        Session = attribution.Session,
        Provider = provider,
        Model = model,
    };
}

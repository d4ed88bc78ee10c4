using System.Text.Json.Serialization;

namespace ControlPlane.Usage;

/// <summary>
/// The JSON an app posts for one call, before validation. Every field is optional here so that validation can
/// report all problems at once instead of failing on the first missing one.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public class UsageEventRequest
{
    public string? Id { get; set; }

    /// <summary>RFC 3339 with an explicit offset (<c>2026-11-23T10:15:00Z</c>); defaults to now.</summary>
    public string? Timestamp { get; set; }

    public string? Team { get; set; }
    public string? Feature { get; set; }
    public string? User { get; set; }
    public string? App { get; set; }
    public string? Environment { get; set; }
    public string? PromptTemplate { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? Deployment { get; set; }
    public string? DeploymentType { get; set; }
    public bool? Batch { get; set; }
    public long? InputTokens { get; set; }
    public long? CachedInputTokens { get; set; }
    public long? CacheWriteTokens { get; set; }
    public long? OutputTokens { get; set; }
    public long? ReasoningTokens { get; set; }

    /// <summary>The provider's own usage object, forwarded as returned, instead of the flat token fields: OpenAI's
    /// (Chat Completions or Responses) or Anthropic's Messages <c>usage</c>.</summary>
    public ProviderUsage? Usage { get; set; }

    /// <summary>Gemini's <c>usageMetadata</c>, forwarded as returned, instead of the flat token fields or <c>usage</c>.</summary>
    public GeminiUsageMetadata? UsageMetadata { get; set; }

    public string? ReservationId { get; set; }

    /// <summary>The conversation or agent run the call belongs to.</summary>
    public string? Session { get; set; }

    /// <summary>A hash of the prompt or tool call, never the prompt: 8–128 characters of <c>[A-Za-z0-9+/=_:-]</c>.</summary>
    public string? RequestHash { get; set; }

    public decimal? Units { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public long? LatencyMs { get; set; }
    public string? Status { get; set; }
}

/// <summary>
/// <c>POST /api/usage</c> body: either one event (the fields of <see cref="UsageEventRequest"/>) or
/// <c>{"events": [...]}</c>, never both.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class UsageIngestRequest : UsageEventRequest
{
    public List<UsageEventRequest?>? Events { get; set; }
}

/// <summary>
/// A provider's usage object, in one of three shapes: OpenAI Chat Completions (<c>prompt_tokens</c>,
/// <c>completion_tokens</c>, ...), OpenAI Responses (<c>input_tokens</c>, <c>output_tokens</c>, ...) or Anthropic
/// Messages (<c>input_tokens</c>, <c>output_tokens</c>, <c>cache_read_input_tokens</c>,
/// <c>cache_creation_input_tokens</c>; there <c>input_tokens</c> excludes both cache counts). Fields we do not price
/// (audio, predictions, server tool use, service tier) are accepted and ignored so an app can forward the object
/// untouched; fields of two shapes in one object are refused (<see cref="UsageErrors.ShapeMixed"/>).
/// </summary>
public sealed class ProviderUsage
{
    [JsonPropertyName("prompt_tokens")] public long? PromptTokens { get; set; }
    [JsonPropertyName("completion_tokens")] public long? CompletionTokens { get; set; }
    [JsonPropertyName("total_tokens")] public long? TotalTokens { get; set; }
    [JsonPropertyName("prompt_tokens_details")] public ProviderInputDetails? PromptTokensDetails { get; set; }
    [JsonPropertyName("completion_tokens_details")] public ProviderOutputDetails? CompletionTokensDetails { get; set; }
    [JsonPropertyName("input_tokens")] public long? InputTokens { get; set; }
    [JsonPropertyName("output_tokens")] public long? OutputTokens { get; set; }
    [JsonPropertyName("input_tokens_details")] public ProviderInputDetails? InputTokensDetails { get; set; }
    [JsonPropertyName("output_tokens_details")] public ProviderOutputDetails? OutputTokensDetails { get; set; }

    /// <summary>Anthropic: prompt tokens read from the cache, not counted in <c>input_tokens</c>.</summary>
    [JsonPropertyName("cache_read_input_tokens")] public long? CacheReadInputTokens { get; set; }

    /// <summary>Anthropic: prompt tokens written to the cache, not counted in <c>input_tokens</c>.</summary>
    [JsonPropertyName("cache_creation_input_tokens")] public long? CacheCreationInputTokens { get; set; }
}

public sealed class ProviderInputDetails
{
    [JsonPropertyName("cached_tokens")] public long? CachedTokens { get; set; }
}

public sealed class ProviderOutputDetails
{
    [JsonPropertyName("reasoning_tokens")] public long? ReasoningTokens { get; set; }
}

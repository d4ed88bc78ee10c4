using System.Text.Json.Serialization;

namespace ControlPlane.Usage;

/// <summary>
/// Gemini's <c>usageMetadata</c> as <c>generateContent</c> returns it. <c>promptTokenCount</c> includes
/// <c>cachedContentTokenCount</c>; <c>candidatesTokenCount</c> excludes <c>thoughtsTokenCount</c>, which is billed
/// at the output rate; <c>toolUsePromptTokenCount</c> (tool results fed back) is billed as input. Per-modality details
/// are accepted and ignored.
/// </summary>
public sealed class GeminiUsageMetadata
{
    [JsonPropertyName("promptTokenCount")] public long? PromptTokenCount { get; set; }
    [JsonPropertyName("cachedContentTokenCount")] public long? CachedContentTokenCount { get; set; }
    [JsonPropertyName("candidatesTokenCount")] public long? CandidatesTokenCount { get; set; }
    [JsonPropertyName("thoughtsTokenCount")] public long? ThoughtsTokenCount { get; set; }
    [JsonPropertyName("toolUsePromptTokenCount")] public long? ToolUsePromptTokenCount { get; set; }
    [JsonPropertyName("totalTokenCount")] public long? TotalTokenCount { get; set; }
}

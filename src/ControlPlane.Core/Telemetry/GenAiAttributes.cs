namespace ControlPlane.Telemetry;

/// <summary>
/// The span and resource attributes the OTLP receiver reads: the OpenTelemetry GenAI semantic conventions for the
/// call, ControlPlane's own <c>controlplane.*</c> names for its attribution, and a few general conventions as
/// fallbacks. A span's attribute wins over its resource's, so an app can set its team once on the resource and
/// override it per call.
/// </summary>
public static class GenAiAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ProviderName = "gen_ai.provider.name";

    /// <summary>The provider's name before the conventions renamed it <see cref="ProviderName"/>.</summary>
    public const string System = "gen_ai.system";

    /// <summary>Every token count the conventions define starts with this; a span with any of them is a call to record.</summary>
    public const string UsagePrefix = "gen_ai.usage.";

    /// <summary>
    /// The prompt's tokens. The conventions say <see cref="CacheReadInputTokens"/> and
    /// <see cref="CacheCreationInputTokens"/> SHOULD be included in it, which is our partition (<c>inputTokens</c>
    /// includes cached and cache-write tokens), so the counts map one to one.
    /// </summary>
    public const string InputTokens = "gen_ai.usage.input_tokens";

    /// <summary>Input tokens served from the provider's cache; part of <see cref="InputTokens"/>.</summary>
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";

    /// <summary>Input tokens written to the provider's cache; part of <see cref="InputTokens"/>.</summary>
    public const string CacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";

    /// <summary>The completion's tokens, reasoning tokens included (our partition: <c>outputTokens</c> includes reasoning).</summary>
    public const string OutputTokens = "gen_ai.usage.output_tokens";

    /// <summary>Tokens the model spent reasoning; part of <see cref="OutputTokens"/>.</summary>
    public const string ReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens";

    /// <summary>The conversation the call belongs to: recorded as the event's session.</summary>
    public const string ConversationId = "gen_ai.conversation.id";

    public const string Team = "controlplane.team";
    public const string Feature = "controlplane.feature";
    public const string User = "controlplane.user";
    public const string App = "controlplane.app";
    public const string Environment = "controlplane.environment";
    public const string PromptTemplate = "controlplane.prompt_template";
    public const string Session = "controlplane.session";
    public const string Deployment = "controlplane.deployment";
    public const string DeploymentType = "controlplane.deployment_type";
    public const string ReservationId = "controlplane.reservation_id";
    public const string RequestHash = "controlplane.request_hash";

    /// <summary><c>controlplane.tag.cost_center = "cc-42"</c> is the tag <c>cost_center: cc-42</c>.</summary>
    public const string TagPrefix = "controlplane.tag.";

    /// <summary>The user when <see cref="User"/> is not set (general semantic conventions).</summary>
    public const string UserId = "user.id";

    /// <summary>The app when <see cref="App"/> is not set: the resource's service.</summary>
    public const string ServiceName = "service.name";

    /// <summary>The environment when <see cref="Environment"/> is not set, then its older name.</summary>
    public const string DeploymentEnvironmentName = "deployment.environment.name";
    public const string DeploymentEnvironment = "deployment.environment";
}

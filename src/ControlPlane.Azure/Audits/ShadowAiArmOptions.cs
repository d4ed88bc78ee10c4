using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Azure.Audits;

/// <summary>
/// How the shadow-AI audit reaches Azure Resource Manager. Section <c>ControlPlane:Audits:ShadowAi:Arm</c>. Whether it
/// is read at all is <c>ControlPlane:Audits:ShadowAi:Subscriptions</c>; these only tune the client. The defaults suit
/// the public cloud; tests shorten the delays.
/// </summary>
public sealed record ShadowAiArmOptions
{
    public const string SectionName = "ControlPlane:Audits:ShadowAi:Arm";

    /// <summary>Resource Manager endpoint. Default none: the public cloud, <c>https://management.azure.com</c>.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// Client id of a user-assigned managed identity to authenticate as. Default none: <c>DefaultAzureCredential</c>
    /// (the app's system-assigned identity in Azure, the developer's login locally).
    /// </summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>Retries of one request on 408/429/5xx, honouring <c>Retry-After</c>. Default 6: listing a large tenant is throttled.</summary>
    [Range(0, 20, ErrorMessage = "ControlPlane:Audits:ShadowAi:Arm:MaxRetries must be 0-20.")]
    public int MaxRetries { get; init; } = 6;

    /// <summary>First back-off delay, doubled per retry up to <see cref="MaxRetryDelay"/>; a <c>Retry-After</c> from ARM wins. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest back-off between two tries. Default 60 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one HTTP try. Default 60 s.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

namespace ControlPlane.Client;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that set a call's attribution, overriding
/// <see cref="ControlPlaneClientOptions"/>. The middleware removes them before the call reaches the provider.
/// </summary>
public static class ControlPlaneProperties
{
    public const string Team = "controlplane.team";
    public const string Feature = "controlplane.feature";
    public const string User = "controlplane.user";
    public const string Session = "controlplane.session";
    public const string PromptTemplate = "controlplane.promptTemplate";
}

namespace ControlPlane.Client.Api;

/// <summary><c>POST /api/authorize</c>: the call about to be made, priced at its worst case.</summary>
public sealed record AuthorizeRequest
{
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public string? User { get; init; }
    public string? App { get; init; }
    public string? Environment { get; init; }
    public string? Provider { get; init; }
    public required string Model { get; init; }
    public string? DeploymentType { get; init; }
    public required long InputTokens { get; init; }
    public required long MaxOutputTokens { get; init; }

    /// <summary>The worst case of one call charged to <paramref name="attribution"/>.</summary>
    public static AuthorizeRequest For(CallAttribution attribution, string? provider, string model, long inputTokens, long maxOutputTokens) => new()
    {
        Team = attribution.Team,
        Feature = attribution.Feature,
        User = attribution.User,
        App = attribution.App,
        Environment = attribution.Environment,
        Provider = provider,
        Model = model,
        InputTokens = inputTokens,
        MaxOutputTokens = maxOutputTokens,
    };
}

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
}

namespace ControlPlane.Client.Api;

/// <summary><c>GET /api/costs</c> parameters; unset ones take the server's defaults (the last 7 days).</summary>
public sealed record CostQuery
{
    /// <summary><c>team</c>, <c>feature</c>, <c>model</c>, <c>user</c>, <c>environment</c> or <c>day</c>.</summary>
    public string? GroupBy { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public string? Team { get; init; }
    public string? Feature { get; init; }
}

namespace ControlPlane.Audits;

/// <summary>Calls, tokens (input + output) and cost recorded for one deployment name.</summary>
public sealed record DeploymentTraffic(long Requests, long Tokens, decimal CostUsd)
{
    public static DeploymentTraffic None { get; } = new(0, 0, 0m);
}

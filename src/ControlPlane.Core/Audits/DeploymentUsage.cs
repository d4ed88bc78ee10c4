using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>
/// What the ledger recorded over the audit window per deployment name. Usage events name the deployment
/// (<c>deployment</c>) but not the account it belongs to, so the audit matches deployments by name,
/// case-insensitively; <see cref="EventsWithoutDeployment"/> counts the calls that named none (their apps should).
/// </summary>
public sealed record DeploymentUsage(IReadOnlyDictionary<string, DeploymentTraffic> ByDeployment, long EventsWithoutDeployment)
{
    public static DeploymentUsage Empty { get; } = new(new Dictionary<string, DeploymentTraffic>(), 0);

    public DeploymentTraffic For(string deploymentName) =>
        ByDeployment.TryGetValue(deploymentName.ToLowerInvariant(), out var traffic) ? traffic : DeploymentTraffic.None;

    /// <summary>Adds up the window's events by deployment name (lower-cased).</summary>
    public static async Task<DeploymentUsage> SummarizeAsync(IAsyncEnumerable<PricedUsageEvent> events, CancellationToken cancellationToken = default)
    {
        var byDeployment = new Dictionary<string, DeploymentTraffic>(StringComparer.Ordinal);
        long without = 0;
        await foreach (var (e, cost) in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(e.Deployment))
            {
                without++;
                continue;
            }

            var key = e.Deployment.Trim().ToLowerInvariant();
            var sum = byDeployment.TryGetValue(key, out var t) ? t : DeploymentTraffic.None;
            byDeployment[key] = new DeploymentTraffic(sum.Requests + 1, sum.Tokens + e.Tokens.InputTokens + e.Tokens.OutputTokens, sum.CostUsd + cost.TotalUsd);
        }

        return new DeploymentUsage(byDeployment, without);
    }
}

namespace ControlPlane.Audits;

/// <summary>
/// What one shadow-AI run saw: the AI resources and deployments from Resource Manager and from the uploaded
/// inventory (one entry per resource id, Resource Manager's when both have it), and what it could not read.
/// </summary>
/// <param name="UnreadableSubscriptions">Subscriptions the identity is listed on but was refused (403): their resources are missing from this run.</param>
/// <param name="Notes">What the run used and why (Resource Manager not configured, no upload yet, ...), for the run's result.</param>
public sealed record ShadowAiInventory(
    IReadOnlyList<AiResource> Resources,
    IReadOnlyList<AiDeployment> Deployments,
    IReadOnlyList<string> SubscriptionsRead,
    IReadOnlyList<UnreadableSubscription> UnreadableSubscriptions,
    IReadOnlyList<string> Notes)
{
    public static ShadowAiInventory Empty { get; } = new([], [], [], [], []);

    /// <summary>
    /// This inventory with <paramref name="other"/>'s resources and deployments that it does not have (by id,
    /// case-insensitively), so a resource read from Resource Manager wins over its uploaded copy.
    /// </summary>
    public ShadowAiInventory Merge(ShadowAiInventory other)
    {
        var ids = Resources.Select(r => AiResourceTypes.Normalize(r.Id)).ToHashSet(StringComparer.Ordinal);
        var deploymentIds = Deployments.Select(d => AiResourceTypes.Normalize(d.Id)).ToHashSet(StringComparer.Ordinal);
        return new(
            [.. Resources, .. other.Resources.Where(r => ids.Add(AiResourceTypes.Normalize(r.Id)))],
            [.. Deployments, .. other.Deployments.Where(d => deploymentIds.Add(AiResourceTypes.Normalize(d.Id)))],
            [.. SubscriptionsRead, .. other.SubscriptionsRead],
            [.. UnreadableSubscriptions, .. other.UnreadableSubscriptions],
            [.. Notes, .. other.Notes]);
    }
}

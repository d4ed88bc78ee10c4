namespace ControlPlane.Audits;

/// <summary>A subscription Resource Manager refused to list (<paramref name="Code"/> as ARM said it, e.g. <c>AuthorizationFailed</c>).</summary>
public sealed record UnreadableSubscription(string SubscriptionId, int Status, string? Code);

namespace ControlPlane.Audits;

/// <summary>Lists the AI resources and deployments a tenant's subscriptions hold (Azure Resource Manager).</summary>
public interface IAiInventoryReader
{
    /// <summary>
    /// Reads <paramref name="subscriptionIds"/> (null: every subscription the identity can read). A subscription that
    /// refuses (403) is reported in <see cref="ShadowAiInventory.UnreadableSubscriptions"/>, not thrown: the others are still read.
    /// </summary>
    Task<ShadowAiInventory> ReadAsync(IReadOnlyList<string>? subscriptionIds, IReadOnlyCollection<string> aiSaasPublishers, CancellationToken cancellationToken = default);
}

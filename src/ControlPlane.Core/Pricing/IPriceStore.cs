namespace ControlPlane.Pricing;

/// <summary>Admin price overrides (negotiated prices, new models). The shipped default sheet is not stored here.</summary>
public interface IPriceStore
{
    Task<IReadOnlyList<PriceEntry>> GetOverridesAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces entries by their key (provider, model, deploymentType, effectiveFrom), atomically per call.</summary>
    Task UpsertOverridesAsync(IReadOnlyList<PriceEntry> entries, CancellationToken cancellationToken = default);
}

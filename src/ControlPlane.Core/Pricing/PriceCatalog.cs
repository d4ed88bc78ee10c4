namespace ControlPlane.Pricing;

/// <summary>
/// Holds the price sheet in force (defaults + admin overrides) as an immutable snapshot, so pricing on the ingest
/// path never touches storage. Other instances pick up an admin's change within <see cref="PricingOptions.RefreshInterval"/>.
/// While storage is down (<paramref name="isStorageOutage"/>) the last sheet loaded stays in force: calls keep being
/// priced by the prices known a moment ago rather than refused.
/// </summary>
public sealed class PriceCatalog(IPriceStore store, TimeProvider time, PricingOptions options, Func<Exception, bool>? isStorageOutage = null)
{
    private readonly IReadOnlyList<PriceEntry> _defaults = DefaultPriceSheet.Load();
    private volatile Snapshot? _snapshot;

    /// <summary>The sheet in force, refreshed from storage when older than the refresh interval.</summary>
    public async ValueTask<PriceSheet> GetSheetAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && time.GetUtcNow() - snapshot.LoadedAt < options.RefreshInterval)
        {
            return snapshot.Sheet;
        }

        try
        {
            return await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (snapshot is not null && isStorageOutage?.Invoke(ex) == true)
        {
            return snapshot.Sheet;
        }
    }

    /// <summary>Reloads overrides now (after a local PUT, so the writer sees its own change at once).</summary>
    public async Task<PriceSheet> RefreshAsync(CancellationToken cancellationToken = default)
    {
        // Concurrent refreshes are harmless (each installs a complete snapshot), so no lock on this path.
        var overrides = await store.GetOverridesAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = new Snapshot(PriceSheet.Create(_defaults, overrides), time.GetUtcNow());
        _snapshot = snapshot;
        return snapshot.Sheet;
    }

    private sealed record Snapshot(PriceSheet Sheet, DateTimeOffset LoadedAt);
}

/// <summary>Section <c>ControlPlane:Pricing</c>.</summary>
public sealed record PricingOptions
{
    public const string SectionName = "ControlPlane:Pricing";

    /// <summary>How often each instance re-reads admin overrides. Default 30 seconds.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(30);
}

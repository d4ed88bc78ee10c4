using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>Prices validated events with the sheet in force and records them durably, exactly once per id.</summary>
public sealed class UsageIngestService(IUsageStore store, PriceCatalog prices)
{
    public async Task<IngestResult> RecordAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default)
    {
        var sheet = await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false);

        // A retried batch can carry the same id twice; the first occurrence is the one recorded.
        var unique = new List<PricedUsageEvent>(events.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (seen.Add(e.Id))
            {
                unique.Add(new PricedUsageEvent(e, UsageCost.From(sheet.Price(e.PricingContext, e.Tokens))));
            }
        }

        var stored = await store.RecordAsync(unique, cancellationToken).ConfigureAwait(false);
        var byId = stored.ToDictionary(o => o.Id, StringComparer.Ordinal);
        var outcomes = new List<RecordOutcome>(events.Count);
        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            var outcome = byId[e.Id];
            outcomes.Add(firstSeen.Add(e.Id) ? outcome : outcome with { Status = RecordStatus.Duplicate });
        }

        return new IngestResult(outcomes);
    }
}

/// <summary>The answer to one ingest request.</summary>
public sealed record IngestResult(IReadOnlyList<RecordOutcome> Events)
{
    public int Recorded => Events.Count(e => e.Status == RecordStatus.Recorded);
    public int Duplicates => Events.Count(e => e.Status == RecordStatus.Duplicate);

    /// <summary>Cost newly charged by this request; duplicates add nothing.</summary>
    public decimal CostUsd => Events.Where(e => e.Status == RecordStatus.Recorded).Sum(e => e.CostUsd);
}

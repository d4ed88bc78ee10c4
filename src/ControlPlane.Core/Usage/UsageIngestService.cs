using ControlPlane.Budgets;
using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>Prices validated events with the sheet in force and records them durably, exactly once per id.</summary>
public sealed class UsageIngestService(IUsageStore store, PriceCatalog prices, BudgetService budgets)
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

        // Budgets first: charges and settlements are idempotent by event id, so if the ledger write then fails
        // the client's retry changes nothing twice, and a budget never misses spend the ledger has.
        var breaches = await budgets.ApplyUsageAsync(unique, cancellationToken).ConfigureAwait(false);
        var stored = await store.RecordAsync(unique, cancellationToken).ConfigureAwait(false);
        var byId = stored.ToDictionary(o => o.Id, StringComparer.Ordinal);
        var outcomes = new List<RecordOutcome>(events.Count);
        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            var outcome = byId[e.Id];
            outcomes.Add(firstSeen.Add(e.Id) ? outcome : outcome with { Status = RecordStatus.Duplicate });
        }

        return new IngestResult(outcomes, breaches.Where(b => b.Value).Select(b => b.Key).ToHashSet(StringComparer.Ordinal));
    }
}

/// <summary>The answer to one ingest request.</summary>
/// <param name="CeilingBreaches">Ids of events whose actual cost exceeded their reservation's ceiling (the input estimate was low).</param>
public sealed record IngestResult(IReadOnlyList<RecordOutcome> Events, IReadOnlySet<string> CeilingBreaches)
{
    public int Recorded => Events.Count(e => e.Status == RecordStatus.Recorded);
    public int Duplicates => Events.Count(e => e.Status == RecordStatus.Duplicate);

    /// <summary>Cost newly charged by this request; duplicates add nothing.</summary>
    public decimal CostUsd => Events.Where(e => e.Status == RecordStatus.Recorded).Sum(e => e.CostUsd);
}

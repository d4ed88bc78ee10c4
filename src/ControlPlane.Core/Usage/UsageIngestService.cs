using ControlPlane.Budgets;
using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>
/// Prices validated events with the sheet in force and records them durably, exactly once per id; then charges
/// budgets from what the ledger holds.
/// <para>
/// <b>The ledger is the one source of charges.</b> Events are recorded first, with a marker that their budget
/// charges are outstanding; budgets are then charged from the recorded events (never from a re-posted payload:
/// a duplicate id with another timestamp or attribution changes nothing anywhere), and the marker is cleared. A
/// crash in between leaves the marker: the client's retry (answered <c>duplicate</c>) finishes the charges, and
/// so does <see cref="ApplyPendingAsync"/> for a client that never retries. Every charge is idempotent by event
/// id, so finishing twice charges once.
/// </para>
/// </summary>
public sealed class UsageIngestService(IUsageStore store, PriceCatalog prices, BudgetService budgets, TimeProvider time, UsageOptions options)
{
    /// <summary>Writes older than this without their budget charges are finished by the sweep (younger ones are in flight).</summary>
    public static readonly TimeSpan PendingSweepAge = TimeSpan.FromMinutes(1);

    public async Task<IngestResult> RecordAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default)
    {
        var sheet = await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false);
        return await RecordPricedAsync([.. events.Select(e => new PricedUsageEvent(e, UsageCost.From(sheet.Price(e.PricingContext, e.Tokens))))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records events already priced by the server (GPU running cost) the same way.</summary>
    public async Task<IngestResult> RecordPricedAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();

        // A retried batch can carry the same id twice; the first occurrence is the one recorded.
        var unique = new List<PricedUsageEvent>(events.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var priced in events)
        {
            if (seen.Add(priced.Event.Key))
            {
                var e = priced.Event with { RecordedAt = now, Late = now - priced.Event.Timestamp > options.LateGrace };
                unique.Add(priced with { Event = e });
            }
        }

        var stored = await store.RecordAsync(unique, cancellationToken).ConfigureAwait(false);

        // Charge what the ledger holds: this request's new events, plus whole earlier writes a crash left uncharged.
        var toCharge = new List<PricedUsageEvent>();
        var pendingWrites = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < unique.Count; i++)
        {
            if (stored[i].BudgetsPending is not { } pending)
            {
                continue;
            }

            if (stored[i].Status == RecordStatus.Recorded)
            {
                toCharge.Add(unique[i]);
                pendingWrites.Add(pending);
            }
            else if (pendingWrites.Add(pending))
            {
                toCharge.AddRange(await store.ReadBudgetsPendingAsync(pending, cancellationToken).ConfigureAwait(false));
            }
        }

        var charged = await budgets.ApplyUsageAsync(toCharge.DistinctBy(p => p.Event.Key).ToList(), cancellationToken).ConfigureAwait(false);
        await store.CompleteBudgetsPendingAsync(pendingWrites, cancellationToken).ConfigureAwait(false);

        var byKey = unique.Select((p, i) => (p.Event.Key, Outcome: stored[i])).ToDictionary(p => p.Key, p => p.Outcome, StringComparer.Ordinal);
        var outcomes = new List<RecordOutcome>(events.Count);
        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var priced in events)
        {
            var outcome = byKey[priced.Event.Key];
            outcomes.Add(firstSeen.Add(priced.Event.Key) ? outcome : outcome with { Status = RecordStatus.Duplicate });
        }

        return new IngestResult(outcomes, charged);
    }

    /// <summary>
    /// Finishes the budget charges of writes recorded more than <see cref="PendingSweepAge"/> ago whose instance
    /// stopped before charging them. Returns the events charged.
    /// </summary>
    public async Task<int> ApplyPendingAsync(CancellationToken cancellationToken = default)
    {
        var applied = 0;
        foreach (var pending in await store.ListBudgetsPendingAsync(time.GetUtcNow() - PendingSweepAge, 500, cancellationToken).ConfigureAwait(false))
        {
            var events = await store.ReadBudgetsPendingAsync(pending, cancellationToken).ConfigureAwait(false);
            await budgets.ApplyUsageAsync(events, cancellationToken).ConfigureAwait(false);
            await store.CompleteBudgetsPendingAsync([pending], cancellationToken).ConfigureAwait(false);
            applied += events.Count;
        }

        return applied;
    }
}

/// <summary>The answer to one ingest request.</summary>
/// <param name="Budgets">What budgets made of each event charged now (ceiling breaches, reservation outcomes), by <see cref="UsageEvent.Key"/>.</param>
public sealed record IngestResult(IReadOnlyList<RecordOutcome> Events, IReadOnlyDictionary<string, UsageCharge> Budgets)
{
    public int Recorded => Events.Count(e => e.Status == RecordStatus.Recorded);
    public int Duplicates => Events.Count(e => e.Status == RecordStatus.Duplicate);

    /// <summary>Cost newly charged by this request; duplicates add nothing.</summary>
    public decimal CostUsd => Events.Where(e => e.Status == RecordStatus.Recorded).Sum(e => e.CostUsd);

    /// <summary>Keys (<see cref="UsageEvent.Key"/>) of events whose actual cost exceeded their reservation's ceiling (the input estimate was low).</summary>
    public IReadOnlySet<string> CeilingBreaches => Budgets.Where(b => b.Value.CeilingBreach).Select(b => b.Key).ToHashSet(StringComparer.Ordinal);
}

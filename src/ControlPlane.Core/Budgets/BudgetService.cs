using System.Security.Cryptography;
using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Budgets;

/// <summary>
/// Budgets at the moment of the call: authorize (reserve the worst case on every matching hard budget, or deny),
/// settle with the actual cost, release, expire, charge post-hoc usage, and answer kill-switch checks.
/// </summary>
public sealed class BudgetService(
    IBudgetStore budgets,
    IBudgetLedger ledger,
    IReservationStore reservations,
    IIsolationStore isolations,
    TimeProvider time,
    BudgetOptions options,
    Func<Exception, bool> isStorageOutage)
{
    private const long NoBudgetCap = 1_000_000_000;

    /// <summary>Reservations settled at once per ingest request (each touches only its own hold and record rows).</summary>
    private const int SettleParallelism = 16;
    private volatile CachedDefinitions? _cache;

    private sealed record CachedDefinitions(IReadOnlyList<Budget> Budgets, IReadOnlyList<Isolation> Isolations, DateTimeOffset LoadedAt);

    /// <summary>Budget definitions and isolations, cached briefly; the last good copy is used while storage is down.</summary>
    public async Task<(IReadOnlyList<Budget> Budgets, IReadOnlyList<Isolation> Isolations)> GetDefinitionsAsync(CancellationToken cancellationToken = default)
    {
        var cache = _cache;
        var now = time.GetUtcNow();
        if (cache is not null && now - cache.LoadedAt < options.DefinitionCacheDuration)
        {
            return (cache.Budgets, cache.Isolations);
        }

        try
        {
            var loaded = new CachedDefinitions(
                await budgets.ListAsync(cancellationToken).ConfigureAwait(false),
                await isolations.ListAsync(cancellationToken).ConfigureAwait(false),
                now);
            _cache = loaded;
            return (loaded.Budgets, loaded.Isolations);
        }
        catch (Exception ex) when (cache is not null && isStorageOutage(ex))
        {
            return (cache.Budgets, cache.Isolations);
        }
    }

    /// <summary>Forget cached definitions (after this instance changed them).</summary>
    public void Invalidate() => _cache = null;

    public async Task<AuthorizeResult> AuthorizeAsync(AuthorizeCall call, PriceSheet sheet, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var (all, isolated) = await GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        if (isolated.FirstOrDefault(i => i.Scope.Covers(call.Attribution)) is { } isolation)
        {
            return Deny(DenialReasons.ScopeIsolated, null, isolation.Scope, 0m, 0);
        }

        var hard = all.Where(b => b.Mode == BudgetMode.Hard && b.Covers(call.Attribution)).OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
        var worst = sheet.PriceWorstCase(call.Pricing, call.InputTokens, call.MaxOutputTokens);
        if (!worst.Priced && hard.FirstOrDefault(b => b.DenyUnpriced) is { } strict)
        {
            return Deny(DenialReasons.UnpricedModel, strict.Id, strict.Scope, null, 0);
        }

        var expiresAt = now + (call.Lifetime ?? options.ReservationTtl);
        var reservationId = reservations.NewId(expiresAt);
        var held = new List<ReservationHold>();
        try
        {
            var tightest = decimal.MaxValue;
            foreach (var budget in hard)
            {
                var window = PeriodWindow.For(budget.Period, now);
                var result = await ledger.TryReserveAsync(budget, window, reservationId, worst.TotalCost, expiresAt, cancellationToken).ConfigureAwait(false);
                if (!result.Reserved)
                {
                    await ReleaseHoldsAsync(reservationId, Holds(held, all), now, cancellationToken).ConfigureAwait(false);
                    var reason = result.Denial == ReserveDenial.KillSwitchTripped ? DenialReasons.KillSwitchTripped : DenialReasons.BudgetExceeded;
                    return Deny(reason, budget.Id, budget.Scope, result.RemainingUsd,
                        sheet.MaxAffordableOutputTokens(call.Pricing, call.InputTokens, Math.Min(tightest, result.RemainingUsd)));
                }

                held.Add(new ReservationHold(budget.Id, window.Key, window.Start, window.End, result.HoldRef ?? string.Empty));
                tightest = Math.Min(tightest, result.RemainingUsd + worst.TotalCost);
            }

            // Written after the holds, with where each lives. Should we crash before this, the app never got a
            // reservation id, and the ledger's sweep returns the orphaned holds when they expire.
            var a = call.Attribution;
            await reservations.CreateAsync(new Reservation
            {
                Id = reservationId,
                CeilingUsd = worst.TotalCost,
                ExpiresAt = expiresAt,
                Holds = held,
                Team = a.Team,
                Feature = a.Feature,
                Model = a.Model,
                User = a.User,
                Environment = a.Environment,
                App = a.App,
                ReservedForEventId = call.ReservedForEventId,
            }, cancellationToken).ConfigureAwait(false);

            return new AuthorizeResult
            {
                Allowed = true,
                ReservationId = reservationId,
                CeilingUsd = worst.TotalCost,
                ExpiresAt = expiresAt,
                MaxAffordableOutputTokens = tightest == decimal.MaxValue ? NoBudgetCap : sheet.MaxAffordableOutputTokens(call.Pricing, call.InputTokens, tightest),
            };
        }
        catch (BudgetContentionException)
        {
            // Storage answered, but a budget would not hold still: neither admit unreserved nor leave holds behind.
            await ReleaseHoldsAsync(reservationId, Holds(held, all), now, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (isStorageOutage(ex))
        {
            // Storage is down: budgets that fail closed deny; if none does, the call goes ahead unreserved.
            if (hard.FirstOrDefault(b => b.FailClosed) is { } closed)
            {
                return Deny(DenialReasons.StorageUnavailable, closed.Id, closed.Scope, null, 0);
            }

            return new AuthorizeResult { Allowed = true, MaxAffordableOutputTokens = NoBudgetCap };
        }
    }

    /// <summary>
    /// Charges budgets with recorded usage (the ledger's copy of each event, never a re-posted payload). An event
    /// that names a reservation made for it settles that reservation on the budgets it holds money on; every other
    /// matching budget (soft ones, or all of them when the event settles nothing) is charged post hoc in the period
    /// of the event's <see cref="UsageEvent.ChargeTime"/>. Idempotent by event id, so finishing a crashed request
    /// again charges nothing twice.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, UsageCharge>> ApplyUsageAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default)
    {
        var charges = new System.Collections.Concurrent.ConcurrentDictionary<string, UsageCharge>(StringComparer.Ordinal);
        var settledBy = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        var (all, _) = await GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();

        // Reservations first, several at a time: each lives on its own rows, so one request's thousand settlements
        // need not queue behind each other. Which budgets each event settled decides what is charged post hoc below.
        await Parallel.ForEachAsync(
            events.Where(e => e.Event.ReservationId is not null),
            new ParallelOptions { MaxDegreeOfParallelism = SettleParallelism, CancellationToken = cancellationToken },
            async (priced, ct) =>
            {
                var (outcome, settled, breach) = await SettleReservationAsync(priced, all, now, ct).ConfigureAwait(false);
                charges[priced.Event.Key] = new UsageCharge(breach, outcome);
                settledBy[priced.Event.Key] = settled;
            }).ConfigureAwait(false);

        var postHoc = new Dictionary<(string BudgetId, string PeriodKey), (Budget Budget, PeriodWindow Window, List<BudgetCharge> Charges)>();
        foreach (var (e, cost) in events)
        {
            var settled = settledBy.GetValueOrDefault(e.Key);
            foreach (var budget in all.Where(b => b.Covers(e.Attribution) && settled?.Contains(b.Id) != true))
            {
                // Enforcement on arrival: a late event counts in the period it arrived in, not the one it names.
                var window = PeriodWindow.For(budget.Period, e.ChargeTime);
                var key = (budget.Id, window.Key);
                if (!postHoc.TryGetValue(key, out var group))
                {
                    postHoc[key] = group = (budget, window, []);
                }

                // Marked by team and id: two teams' calls with one id are two charges.
                group.Charges.Add(new BudgetCharge(e.Key, cost.TotalUsd, e.ChargeTime));
            }
        }

        // Budgets are independent rows: charge them together (each group-commits with other requests' charges).
        await Task.WhenAll(postHoc.Values.Select(g => ledger.ChargeAsync(g.Budget, g.Window, g.Charges, now, cancellationToken))).ConfigureAwait(false);
        return charges;
    }

    /// <summary>
    /// Settles the event's reservation if, and only if, the reservation was made for this very call: same
    /// attribution, still active, not settled by another event, not reserved for server work. Returns the budgets
    /// it settled on (the rest are charged post hoc by the caller).
    /// </summary>
    private async Task<(ReservationOutcome Outcome, IReadOnlySet<string> Settled, bool Breach)> SettleReservationAsync(
        PricedUsageEvent priced, IReadOnlyList<Budget> all, DateTimeOffset now, CancellationToken ct)
    {
        var (e, cost) = priced;
        var none = (IReadOnlySet<string>)new HashSet<string>();

        // Expiry is judged at the event's arrival: finishing a crashed request later must not turn a settlement
        // into a post-hoc charge.
        var arrival = e.RecordedAt ?? now;
        var reservation = await reservations.GetAsync(e.ReservationId!, ct).ConfigureAwait(false);
        if (reservation is null)
        {
            return (ReservationOutcome.Unknown, none, false);
        }

        if (reservation.ReservedForEventId is { } owner && owner != e.Id)
        {
            return (ReservationOutcome.Owned, none, false);
        }

        if (!reservation.IsFor(e.Attribution))
        {
            return (ReservationOutcome.Foreign, none, false);
        }

        if (reservation.SettledByEventId is null && reservation.StatusAt(arrival) == ReservationStatus.Active)
        {
            reservation = await reservations.ClaimAsync(reservation.Id, e.Id, arrival, ct).ConfigureAwait(false) ?? reservation;
        }

        if (reservation.SettledByEventId != e.Id)
        {
            return (reservation.StatusAt(arrival) switch
            {
                ReservationStatus.Released => ReservationOutcome.Released,
                ReservationStatus.Expired => ReservationOutcome.Expired,
                _ => ReservationOutcome.Reused,
            }, none, false);
        }

        var settled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hold in reservation.Holds)
        {
            if (all.FirstOrDefault(b => b.Id == hold.BudgetId) is not { } budget)
            {
                continue;
            }

            var window = new PeriodWindow(hold.PeriodKey, hold.PeriodStart, hold.PeriodEnd);
            var result = await ledger.SettleAsync(budget, window, hold.HoldRef, reservation.Id, e.Id, cost.TotalUsd, now, ct).ConfigureAwait(false);
            if (result != SettleResult.NotActive)
            {
                settled.Add(budget.Id);
            }
        }

        return (ReservationOutcome.Settled, settled, cost.TotalUsd > reservation.CeilingUsd);
    }

    /// <summary>
    /// Returns a reservation's money (the call never reached the provider). Marked released first, atomically
    /// against a settling event: exactly one of them wins. Returns the reservation's status afterwards.
    /// </summary>
    public async Task<ReservationStatus?> ReleaseAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var reservation = await reservations.MarkReleasedAsync(reservationId, now, cancellationToken).ConfigureAwait(false);
        if (reservation is null || reservation.StatusAt(now) != ReservationStatus.Released)
        {
            return reservation?.StatusAt(now);
        }

        // Also on a repeated release: the first may have stopped before its holds were returned.
        var (all, _) = await GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        await ReleaseHoldsAsync(reservationId, Holds(reservation.Holds, all), now, cancellationToken).ConfigureAwait(false);
        return ReservationStatus.Released;
    }

    /// <summary>
    /// True when the reservation is active and stays so until <paramref name="until"/>: server work (the nightly
    /// batch) checks this before sending anything, so nothing runs without money held for it.
    /// </summary>
    public async Task<bool> IsLiveUntilAsync(string? reservationId, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        reservationId is not null
        && await reservations.GetAsync(reservationId, cancellationToken).ConfigureAwait(false) is { } reservation
        && reservation.StatusAt(until) == ReservationStatus.Active;

    /// <summary>
    /// Returns every hold past its expiry to its budget, folds finished leases (the ledger's sweep also finds holds
    /// whose reservation record was never written) and applies each row kind's retention. Reads indexes, not
    /// tables: the work is proportional to what is due. Returns holds released.
    /// </summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var (all, _) = await GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var released = 0;
        foreach (var budget in all)
        {
            released += await ledger.SweepAsync(budget, now, cancellationToken).ConfigureAwait(false);
        }

        await reservations.DeleteExpiredBeforeAsync(now - options.ReservationRetention, cancellationToken).ConfigureAwait(false);
        return released;
    }

    /// <summary>Every kill switch that stops a call with this attribution right now: isolations and tripped hard budgets.</summary>
    public async Task<IReadOnlyList<KillSwitchStatus>> BlockedByAsync(CallAttribution call, CancellationToken cancellationToken = default)
    {
        var (all, isolations) = await GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var by = isolations.Where(i => i.Scope.Covers(call)).Select(i => new KillSwitchStatus(i.Scope, KillSwitchState.Isolated, null, i.Since)).ToList();
        foreach (var budget in all.Where(b => b.Mode == BudgetMode.Hard && b.Covers(call)))
        {
            var status = await StatusAsync(budget, cancellationToken).ConfigureAwait(false);
            if (status.KillSwitch != KillSwitchState.Armed)
            {
                by.Add(new KillSwitchStatus(budget.Scope, status.KillSwitch, budget.Id, status.KillSwitchSince));
            }
        }

        return by;
    }

    /// <summary>A budget's current period: spend, holds, remaining, state and kill switch.</summary>
    public async Task<BudgetStatus> StatusAsync(Budget budget, CancellationToken cancellationToken = default)
    {
        var window = PeriodWindow.For(budget.Period, time.GetUtcNow());
        var state = await ledger.GetStateAsync(budget, window, cancellationToken).ConfigureAwait(false);
        return new BudgetStatus(budget, state.SpentUsd, state.ReservedUsd, budget.LimitUsd - state.SpentUsd - state.ReservedUsd,
            budget.StateFor(state.SpentUsd), window, state.KillSwitch, state.KillSwitchSince);
    }

    private async Task ReleaseHoldsAsync(string reservationId, IEnumerable<(Budget Budget, PeriodWindow Window, string HoldRef)> holds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (budget, window, holdRef) in holds)
        {
            await ledger.ReleaseAsync(budget, window, holdRef, reservationId, now, cancellationToken).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(Budget, PeriodWindow, string)> Holds(IEnumerable<ReservationHold> holds, IReadOnlyList<Budget> all) =>
        holds
            .Select(h => (Budget: all.FirstOrDefault(b => b.Id == h.BudgetId), Window: new PeriodWindow(h.PeriodKey, h.PeriodStart, h.PeriodEnd), h.HoldRef))
            .Where(h => h.Budget is not null)
            .Select(h => (h.Budget!, h.Window, h.HoldRef));

    private static AuthorizeResult Deny(string reason, string? budgetId, BudgetScope scope, decimal? remaining, long affordable) => new()
    {
        Allowed = false,
        Reason = reason,
        BudgetId = budgetId,
        Scope = scope,
        RemainingUsd = remaining,
        MaxAffordableOutputTokens = affordable,
    };
}

/// <summary>Kill switch JSON: <c>{"scope", "state", "budgetId"?, "since"}</c>.</summary>
public sealed record KillSwitchStatus(BudgetScope Scope, KillSwitchState State, string? BudgetId, DateTimeOffset? Since);

/// <summary>A budget with its current period's numbers.</summary>
public sealed record BudgetStatus(
    Budget Budget, decimal SpentUsd, decimal ReservedUsd, decimal RemainingUsd, BudgetState State, PeriodWindow Period,
    KillSwitchState KillSwitch, DateTimeOffset? KillSwitchSince);

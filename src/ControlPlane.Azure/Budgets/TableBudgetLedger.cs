using System.Globalization;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Usage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// Budget money on Table storage. Everything about one budget lives in one partition (its id): the period row
/// (<c>p|{period}</c>: spent, reserved, leased, kill switch, thresholds already announced), lease rows
/// (<c>l|{period}|{leaseId}</c>), one hold row per reservation (<c>h|{leaseId or -}|{reservationId}</c>), one
/// marker per post-hoc charge (<c>c|{period}|{eventId}</c>) and the outbox (<c>o|{period}|{event}</c>). Every
/// change is one entity group transaction guarded by ETags, so it lands whole or not at all, from any number of
/// instances.
/// <para>
/// <b>Invariant.</b> spent + reserved + leased ≤ the block threshold, checked whenever money leaves the free
/// headroom (a lease, or a direct hold); a lease covers every hold it issued until it is folded back.
/// </para>
/// <para>
/// <b>Leases.</b> Updating the one period row per authorization caps a hot budget at that row's update rate.
/// Instead each instance leases a slice of headroom (one period-row update), then issues holds from it in
/// group-committed batches: up to 90 hold inserts plus one ETag-guarded update of its own lease row per
/// transaction. Settling or releasing a leased hold touches only the hold's row. When the lease has stopped
/// issuing, its unused headroom goes back at once, and later (after <see cref="LeaseOptions.FoldDelay"/>) the
/// sweep folds it: settled holds become spend, still-active holds become direct holds, the rest is returned.
/// </para>
/// </summary>
public sealed class TableBudgetLedger(TableProvider tables, TimeProvider time, LeaseOptions leases) : IBudgetLedger
{
    public const string TableName = "BudgetLedger";
    public const string DirectHold = "-";
    private const int MaxAttempts = 400;
    private const int MaxChargesPerTransaction = 90;
    private const int MaxHoldsPerTransaction = 90;

    /// <summary>Lease only while the free headroom is at least this many times the lease: near the limit, go direct.</summary>
    private const decimal HeadroomPerLease = 4;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), LeaseSlot> _slots = new();
    private readonly string _owner = Guid.NewGuid().ToString("N")[..12];

    public async Task<BudgetPeriodState> GetStateAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var period = await PeriodRow.ReadAsync(table, budget.Id, window, cancellationToken).ConfigureAwait(false);
        var state = period.State(budget);
        if (period.LeasedUsd == 0)
        {
            return state;
        }

        // Leased holds that already settled or were released are still inside "leased" until their lease is
        // folded: show them as what they are.
        var spent = state.SpentUsd;
        var reserved = state.ReservedUsd;
        await foreach (var lease in table.QueryAsync<TableEntity>(RangeFilter(budget.Id, $"l|{window.Key}|"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var leaseId = lease.RowKey[(lease.RowKey.LastIndexOf('|') + 1)..];
            await foreach (var hold in table.QueryAsync<TableEntity>(RangeFilter(budget.Id, $"h|{leaseId}|") + " and Folded eq false", cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (hold.GetString("Status") != nameof(ReservationStatus.Active))
                {
                    reserved -= Money(hold, "CeilingUsd");
                    spent += hold.GetString("ActualUsd") is { } actual ? UsageEntityMapper.ParseMoney(actual) : 0m;
                }
            }
        }

        return state with { SpentUsd = spent, ReservedUsd = reserved };
    }

    public Task<ReserveResult> TryReserveAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        leases.Enabled
            ? ReserveFromLeaseAsync(budget, window, reservationId, ceilingUsd, expiresAt, cancellationToken)
            : ReserveDirectAsync(budget, window, reservationId, ceilingUsd, expiresAt, cancellationToken);

    private Task<ReserveResult> ReserveDirectAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        MutateAsync<ReserveResult>(budget, window, (table, period) =>
        {
            var state = period.State(budget);
            var remaining = period.Headroom(budget);
            if (state.KillSwitch != KillSwitchState.Armed)
            {
                return Task.FromResult((new ReserveResult(ReserveDenial.KillSwitchTripped, Math.Max(0, remaining)), new List<TableTransactionAction>()));
            }

            if (ceilingUsd > remaining)
            {
                return Task.FromResult((new ReserveResult(ReserveDenial.InsufficientHeadroom, Math.Max(0, remaining)), new List<TableTransactionAction>()));
            }

            period.ReservedUsd += ceilingUsd;
            var hold = NewHold(budget.Id, DirectHold, reservationId, window, ceilingUsd, expiresAt);
            return Task.FromResult((new ReserveResult(ReserveDenial.None, remaining - ceilingUsd, DirectHold), new List<TableTransactionAction> { new(TableTransactionActionType.Add, hold) }));
        }, cancellationToken);

    private static TableEntity NewHold(string budgetId, string holdRef, string reservationId, PeriodWindow window, decimal ceilingUsd, DateTimeOffset expiresAt) =>
        new(Key(budgetId), HoldKey(holdRef, reservationId))
        {
            ["PeriodKey"] = window.Key,
            ["CeilingUsd"] = UsageEntityMapper.Money(ceilingUsd),
            ["ExpiresAt"] = expiresAt.UtcDateTime,
            ["Status"] = nameof(ReservationStatus.Active),
            ["Folded"] = holdRef == DirectHold,
        };

    public async Task<SettleResult> SettleAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // A hold still inside its lease settles on its own row: no contention with anyone else's call.
        var leased = await UpdateLeasedHoldAsync(budget, holdRef, reservationId, hold =>
        {
            hold["Status"] = nameof(ReservationStatus.Settled);
            hold["ActualUsd"] = UsageEntityMapper.Money(actualUsd);
            hold["EventId"] = eventId;
        }, cancellationToken).ConfigureAwait(false);
        return leased switch
        {
            HoldUpdate.Updated => SettleResult.Settled,
            HoldUpdate.NotActive { Status: nameof(ReservationStatus.Settled) } => SettleResult.AlreadySettled,
            HoldUpdate.NotActive => SettleResult.NotActive,
            _ => await SettleDirectAsync(budget, window, holdRef, reservationId, eventId, actualUsd, now, cancellationToken).ConfigureAwait(false),
        };
    }

    private Task<SettleResult> SettleDirectAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken) =>
        MutateAsync<SettleResult>(budget, window, async (table, period) =>
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return (hold?.GetString("Status") == nameof(ReservationStatus.Settled) ? SettleResult.AlreadySettled : SettleResult.NotActive, []);
            }

            var before = period.SpentUsd;
            period.ReservedUsd -= UsageEntityMapper.ParseMoney(hold.GetString("CeilingUsd"));
            period.SpentUsd += actualUsd;
            hold["Status"] = nameof(ReservationStatus.Settled);
            hold["ActualUsd"] = UsageEntityMapper.Money(actualUsd);
            hold["EventId"] = eventId;
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, hold, hold.ETag) };
            actions.AddRange(period.Cross(budget, window, before, now));
            return (SettleResult.Settled, actions);
        }, cancellationToken);

    public async Task<bool> ReleaseAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var leased = await UpdateLeasedHoldAsync(budget, holdRef, reservationId, hold => hold["Status"] = nameof(ReservationStatus.Released), cancellationToken).ConfigureAwait(false);
        return leased switch
        {
            HoldUpdate.Updated => true,
            HoldUpdate.NotActive => false,
            _ => await ReleaseDirectAsync(budget, window, holdRef, reservationId, cancellationToken).ConfigureAwait(false),
        };
    }

    private Task<bool> ReleaseDirectAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, CancellationToken cancellationToken) =>
        MutateAsync<bool>(budget, window, async (table, period) =>
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return (false, []);
            }

            period.ReservedUsd -= UsageEntityMapper.ParseMoney(hold.GetString("CeilingUsd"));
            hold["Status"] = nameof(ReservationStatus.Released);
            return (true, [new TableTransactionAction(TableTransactionActionType.UpdateReplace, hold, hold.ETag)]);
        }, cancellationToken);

    /// <summary>
    /// Queues the reservation on this instance's lease slot for the budget period; whoever commits next writes
    /// everything queued in one transaction, so parallel callers share one storage round trip.
    /// </summary>
    private Task<ReserveResult> ReserveFromLeaseAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd((budget.Id, window.Key), _ => new LeaseSlot(this));
        return slot.Commits.SubmitAsync(new PendingHold(budget, window, reservationId, ceilingUsd, expiresAt), cancellationToken);
    }

    private async Task CommitQueuedAsync(LeaseSlot slot, Budget budget, PeriodWindow window, List<GroupCommit<PendingHold, ReserveResult>.Entry> batch, CancellationToken ct)
    {
        slot.Budget = budget;
        slot.Window = window;
        try
        {
            await IssueFromLeasesAsync(slot, budget, window, batch, ct).ConfigureAwait(false);
        }
        catch
        {
            // After a failure we no longer know the lease row's ETag: start the next batch from a fresh lease.
            slot.Current = null;
            throw;
        }
    }

    private async Task IssueFromLeasesAsync(LeaseSlot slot, Budget budget, PeriodWindow window, List<GroupCommit<PendingHold, ReserveResult>.Entry> batch, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; batch.Count > 0; attempt++)
        {
            var now = time.GetUtcNow();
            var lease = slot.Current;
            if (lease is null || lease.UsableUntil <= now || lease.Available < batch[0].Item.CeilingUsd)
            {
                if (lease is not null)
                {
                    slot.Current = null;
                    await TrimLeaseAsync(budget, window, lease.Id, ct).ConfigureAwait(false);
                    slot.Retired.Add(lease);
                }

                await FoldRetiredAsync(slot, budget, window, now, ct).ConfigureAwait(false);
                var demand = batch.Sum(p => p.Item.CeilingUsd);
                var (acquired, denial) = await AcquireLeaseAsync(budget, window, batch[0].Item.CeilingUsd, demand, now, ct).ConfigureAwait(false);
                if (denial is not null)
                {
                    batch[0].Done.TrySetResult(denial);
                    batch.RemoveAt(0);
                    continue;
                }

                if (acquired is null)
                {
                    // Close to the limit: reserve directly, so that settled calls give their headroom back at
                    // once instead of when their lease is folded.
                    foreach (var pending in batch)
                    {
                        var item = pending.Item;
                        pending.Done.TrySetResult(await ReserveDirectAsync(budget, window, item.ReservationId, item.CeilingUsd, item.ExpiresAt, ct).ConfigureAwait(false));
                    }

                    return;
                }

                slot.Current = lease = acquired;
            }

            var taken = new List<GroupCommit<PendingHold, ReserveResult>.Entry>();
            var issuing = 0m;
            foreach (var pending in batch)
            {
                if (issuing + pending.Item.CeilingUsd > lease.Available)
                {
                    break;
                }

                taken.Add(pending);
                issuing += pending.Item.CeilingUsd;
            }

            var actions = taken.Select(p => new TableTransactionAction(TableTransactionActionType.Add,
                NewHold(budget.Id, lease.Id, p.Item.ReservationId, window, p.Item.CeilingUsd, p.Item.ExpiresAt))).ToList();
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge,
                new TableEntity(Key(budget.Id), LeaseKey(window, lease.Id)) { ["IssuedUsd"] = UsageEntityMapper.Money(lease.Issued + issuing) }, lease.ETag));
            try
            {
                var response = await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                lease.Issued += issuing;
                lease.ETag = response.Value[^1].Headers.ETag ?? await ReadLeaseETagAsync(table, budget.Id, window, lease.Id, ct).ConfigureAwait(false);
                var remaining = lease.BudgetHeadroomOutside + lease.Available;
                foreach (var pending in taken)
                {
                    pending.Done.TrySetResult(new ReserveResult(ReserveDenial.None, remaining, lease.Id));
                }

                batch.RemoveRange(0, taken.Count);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                // The sweep folded this lease under us: its row changed or is gone. Nothing of this batch was
                // written; issue it from a fresh lease.
                slot.Current = null;
            }
        }
    }

    /// <summary>Leases headroom for at least <paramref name="minimum"/> (one call), ideally enough for many calls.</summary>
    private async Task<(Lease? Lease, ReserveResult? Denial)> AcquireLeaseAsync(Budget budget, PeriodWindow window, decimal minimum, decimal demand, DateTimeOffset now, CancellationToken ct)
    {
        var leaseId = "L" + Guid.NewGuid().ToString("N")[..16];
        var desired = Math.Max(demand, Math.Min(minimum * leases.CallsPerLease, budget.BlockAtUsd * (decimal)leases.MaxShareOfLimit));
        var (granted, denial, outside) = await MutateAsync<(decimal Amount, ReserveResult? Denial, decimal Outside)>(budget, window, (table, period) =>
        {
            var state = period.State(budget);
            var headroom = period.Headroom(budget);
            if (state.KillSwitch != KillSwitchState.Armed)
            {
                return Task.FromResult(((0m, (ReserveResult?)new ReserveResult(ReserveDenial.KillSwitchTripped, Math.Max(0, headroom)), 0m), new List<TableTransactionAction>()));
            }

            if (headroom < minimum)
            {
                return Task.FromResult(((0m, (ReserveResult?)new ReserveResult(ReserveDenial.InsufficientHeadroom, Math.Max(0, headroom)), 0m), new List<TableTransactionAction>()));
            }

            if (headroom < desired * HeadroomPerLease)
            {
                // Not enough room to lease without starving other instances: the caller goes direct.
                return Task.FromResult(((0m, (ReserveResult?)null, headroom), new List<TableTransactionAction>()));
            }

            var amount = desired;
            period.LeasedUsd += amount;
            var row = new TableEntity(Key(budget.Id), LeaseKey(window, leaseId))
            {
                ["AmountUsd"] = UsageEntityMapper.Money(amount),
                ["IssuedUsd"] = UsageEntityMapper.Money(0m),
                ["UsableUntil"] = (now + leases.Duration).UtcDateTime,
                ["Owner"] = _owner,
            };
            return Task.FromResult(((amount, (ReserveResult?)null, headroom - amount), new List<TableTransactionAction> { new(TableTransactionActionType.Add, row) }));
        }, ct).ConfigureAwait(false);
        if (denial is not null || granted == 0)
        {
            return (null, denial);
        }

        var table = await TableAsync(ct).ConfigureAwait(false);
        var etag = await ReadLeaseETagAsync(table, budget.Id, window, leaseId, ct).ConfigureAwait(false);
        return (new Lease(leaseId, granted, now + leases.Duration, etag, outside), null);
    }

    /// <summary>
    /// On shutdown: stop issuing and give every lease's unused headroom back now, instead of when the sweep finds
    /// the leases. The holds they issued stay covered until folded.
    /// </summary>
    public async Task ReturnLeasesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var ((_, _), slot) in _slots)
        {
            if (slot.Current is { } lease && slot.Budget is { } budget)
            {
                slot.Current = null;
                await TrimLeaseAsync(budget, slot.Window, lease.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>This instance folds its own retired leases once their calls have had time to settle.</summary>
    private async Task FoldRetiredAsync(LeaseSlot slot, Budget budget, PeriodWindow window, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var retired in slot.Retired.Where(l => l.RetiredAt + leases.FoldDelay <= now).ToList())
        {
            await FoldLeaseAsync(budget, window, retired.Id, now, ct).ConfigureAwait(false);
            slot.Retired.Remove(retired);
        }
    }

    private static async Task<ETag> ReadLeaseETagAsync(TableClient table, string budgetId, PeriodWindow window, string leaseId, CancellationToken ct) =>
        (await table.GetEntityAsync<TableEntity>(Key(budgetId), LeaseKey(window, leaseId), ["RowKey"], ct).ConfigureAwait(false)).Value.ETag;

    /// <summary>A lease that stops issuing gives its unused headroom back at once; its holds stay covered.</summary>
    private Task<bool> TrimLeaseAsync(Budget budget, PeriodWindow window, string leaseId, CancellationToken ct) =>
        MutateAsync<bool>(budget, window, async (table, period) =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), LeaseKey(window, leaseId), cancellationToken: ct).ConfigureAwait(false);
            if (!row.HasValue)
            {
                return (false, []);
            }

            var lease = row.Value!;
            var unused = Money(lease, "AmountUsd") - Money(lease, "IssuedUsd");
            if (unused <= 0)
            {
                return (false, []);
            }

            period.LeasedUsd -= unused;
            lease["AmountUsd"] = lease.GetString("IssuedUsd");
            lease["UsableUntil"] = time.GetUtcNow().UtcDateTime;
            return (true, [new TableTransactionAction(TableTransactionActionType.UpdateReplace, lease, lease.ETag)]);
        }, ct);

    /// <summary>
    /// Folds a lease back into the budget's totals, up to 90 holds per transaction: settled holds become spend,
    /// active ones become direct holds (or expire, if past their TTL), released ones just return their money.
    /// When no hold is left the lease's remaining amount goes back and the lease row is deleted.
    /// </summary>
    private async Task<int> FoldLeaseAsync(Budget budget, PeriodWindow window, string leaseId, DateTimeOffset now, CancellationToken ct)
    {
        var expired = 0;
        while (true)
        {
            var (done, expiredNow) = await MutateAsync<(bool Done, int Expired)>(budget, window, async (table, period) =>
            {
                var row = await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), LeaseKey(window, leaseId), cancellationToken: ct).ConfigureAwait(false);
                if (!row.HasValue)
                {
                    return ((true, 0), []);
                }

                var lease = row.Value!;
                var holds = new List<TableEntity>();
                await foreach (var hold in table.QueryAsync<TableEntity>(RangeFilter(budget.Id, $"h|{leaseId}|") + " and Folded eq false", maxPerPage: MaxHoldsPerTransaction, cancellationToken: ct).ConfigureAwait(false))
                {
                    holds.Add(hold);
                    if (holds.Count == MaxHoldsPerTransaction)
                    {
                        break;
                    }
                }

                var amount = Money(lease, "AmountUsd");
                if (holds.Count == 0)
                {
                    period.LeasedUsd -= amount;
                    return ((true, 0), [new TableTransactionAction(TableTransactionActionType.Delete, lease, lease.ETag)]);
                }

                var before = period.SpentUsd;
                var actions = new List<TableTransactionAction>();
                var folded = 0m;
                var expiring = 0;
                foreach (var hold in holds)
                {
                    var ceiling = Money(hold, "CeilingUsd");
                    folded += ceiling;
                    hold["Folded"] = true;
                    switch (hold.GetString("Status"))
                    {
                        case nameof(ReservationStatus.Settled):
                            period.SpentUsd += Money(hold, "ActualUsd");
                            break;
                        case nameof(ReservationStatus.Active) when hold.GetDateTimeOffset("ExpiresAt") <= now:
                            hold["Status"] = nameof(ReservationStatus.Expired);
                            expiring++;
                            break;
                        case nameof(ReservationStatus.Active):
                            period.ReservedUsd += ceiling;
                            break;
                    }

                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, hold, hold.ETag));
                }

                period.LeasedUsd -= folded;
                lease["AmountUsd"] = UsageEntityMapper.Money(amount - folded);
                lease["IssuedUsd"] = UsageEntityMapper.Money(Money(lease, "IssuedUsd") - folded);
                lease["UsableUntil"] = DateTimeOffset.MinValue.UtcDateTime;
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, lease, lease.ETag));
                actions.AddRange(period.Cross(budget, window, before, now));
                return ((false, expiring), actions);
            }, ct).ConfigureAwait(false);
            expired += expiredNow;
            if (done)
            {
                return expired;
            }
        }
    }

    public async Task<int> SweepAsync(Budget budget, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var released = 0;
        var foldable = new List<(string Period, string LeaseId)>();
        await foreach (var lease in table.QueryAsync<TableEntity>(RangeFilter(budget.Id, "l|"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if ((lease.GetDateTimeOffset("UsableUntil") ?? DateTimeOffset.MinValue) + leases.FoldDelay <= now)
            {
                var parts = lease.RowKey.Split('|');
                foldable.Add((parts[1], parts[2]));
            }
        }

        foreach (var (periodKey, leaseId) in foldable)
        {
            released += await FoldLeaseAsync(budget, new PeriodWindow(periodKey, default, null), leaseId, now, cancellationToken).ConfigureAwait(false);
        }

        // Direct (and folded) holds past their TTL, including orphans whose reservation record was never written.
        var expired = new List<(string PeriodKey, string HoldRef, string ReservationId)>();
        var filter = RangeFilter(budget.Id, "h|") + TableClient.CreateQueryFilter($" and Folded eq {true} and Status eq {nameof(ReservationStatus.Active)} and ExpiresAt le {now.UtcDateTime}");
        await foreach (var hold in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var parts = hold.RowKey.Split('|', 3);
            expired.Add((hold.GetString("PeriodKey"), parts[1], Unescape(parts[2])));
        }

        foreach (var (periodKey, holdRef, reservationId) in expired)
        {
            if (await ReleaseDirectAsync(budget, new PeriodWindow(periodKey, default, null), holdRef, reservationId, cancellationToken).ConfigureAwait(false))
            {
                released++;
            }
        }

        return released;
    }

    private abstract record HoldUpdate
    {
        public sealed record Updated : HoldUpdate;

        public sealed record NotActive(string? Status) : HoldUpdate;

        /// <summary>The hold is direct (or already folded): the caller goes through the period row.</summary>
        public sealed record Direct : HoldUpdate;
    }

    /// <summary>Changes an active, unfolded leased hold on its own row (ETag-guarded against a concurrent fold).</summary>
    private async Task<HoldUpdate> UpdateLeasedHoldAsync(Budget budget, string holdRef, string reservationId, Action<TableEntity> change, CancellationToken ct)
    {
        if (holdRef == DirectHold)
        {
            return new HoldUpdate.Direct();
        }

        var table = await TableAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, ct).ConfigureAwait(false);
            if (hold is null || hold.GetBoolean("Folded") == true)
            {
                return hold is null ? new HoldUpdate.NotActive(null) : new HoldUpdate.Direct();
            }

            if (hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return new HoldUpdate.NotActive(hold.GetString("Status"));
            }

            change(hold);
            try
            {
                await table.UpdateEntityAsync(hold, hold.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return new HoldUpdate.Updated();
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxAttempts)
            {
                // Folded (or changed) between our read and write: read again and take the right path.
            }
        }
    }

    private static string LeaseKey(PeriodWindow window, string leaseId) => $"l|{window.Key}|{leaseId}";

    private static string Unescape(string escaped) =>
        System.Text.RegularExpressions.Regex.Replace(escaped, "%([0-9A-F]{4})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());

    /// <summary>This instance's current lease on one budget period, and the group commit feeding it.</summary>
    private sealed class LeaseSlot
    {
        public LeaseSlot(TableBudgetLedger ledger) =>
            // The newest budget definition in the batch decides (an admin may have changed the limit meanwhile).
            Commits = new(MaxHoldsPerTransaction, (batch, ct) => ledger.CommitQueuedAsync(this, batch[^1].Item.Budget, batch[^1].Item.Window, [.. batch], ct));

        public GroupCommit<PendingHold, ReserveResult> Commits { get; }

        /// <summary>The budget definition and period the slot last issued for.</summary>
        public Budget? Budget { get; set; }

        public PeriodWindow Window { get; set; }
        public Lease? Current { get; set; }

        /// <summary>Leases that stopped issuing and wait to be folded.</summary>
        public List<Lease> Retired { get; } = [];
    }

    private sealed record PendingHold(Budget Budget, PeriodWindow Window, string ReservationId, decimal CeilingUsd, DateTimeOffset ExpiresAt);

    private sealed class Lease(string id, decimal amount, DateTimeOffset usableUntil, ETag etag, decimal budgetHeadroomOutside)
    {
        public string Id { get; } = id;
        public decimal Amount { get; } = amount;
        public decimal Issued { get; set; }
        public DateTimeOffset UsableUntil { get; } = usableUntil;
        public ETag ETag { get; set; } = etag;

        /// <summary>The budget's free headroom outside this lease when it was taken: for the caller's estimate of what remains.</summary>
        public decimal BudgetHeadroomOutside { get; } = budgetHeadroomOutside;

        public decimal Available => Amount - Issued;

        public DateTimeOffset RetiredAt => UsableUntil;
    }

    public async Task ChargeAsync(Budget budget, PeriodWindow window, IReadOnlyList<BudgetCharge> charges, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        foreach (var chunk in charges.DistinctBy(c => c.EventId).Chunk(MaxChargesPerTransaction))
        {
            await MutateAsync<bool>(budget, window, async (table, period) =>
            {
                // Skip events already charged to this budget: a retried request must not charge twice.
                var seen = await Task.WhenAll(chunk.Select(async charge =>
                    (charge, (await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), ChargeKey(window, charge.EventId), ["RowKey"], cancellationToken).ConfigureAwait(false)).HasValue))).ConfigureAwait(false);
                var fresh = seen.Where(s => !s.HasValue).Select(s => s.charge).ToList();

                if (fresh.Count == 0)
                {
                    return (true, []);
                }

                var before = period.SpentUsd;
                period.SpentUsd += fresh.Sum(c => c.CostUsd);
                var actions = fresh.Select(c => new TableTransactionAction(TableTransactionActionType.Add,
                    new TableEntity(Key(budget.Id), ChargeKey(window, c.EventId)) { ["CostUsd"] = UsageEntityMapper.Money(c.CostUsd) })).ToList();
                actions.AddRange(period.Cross(budget, window, before, now));
                return (true, actions);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task ResetAsync(Budget budget, PeriodWindow window, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        MutateAsync<bool>(budget, window, (table, period) =>
        {
            if (period.KillSwitch == KillSwitchState.Armed)
            {
                return Task.FromResult((false, new List<TableTransactionAction>()));
            }

            period.KillSwitch = KillSwitchState.Armed;
            period.KillSwitchSince = now;
            return Task.FromResult((true, new List<TableTransactionAction> { period.Outbox(budget, window, BudgetEventTypes.KillSwitchReset, $"reset-{now.UtcTicks}", null, now) }));
        }, cancellationToken);

    /// <summary>Every event in the outbox, newest first (admin view; a cross-partition scan).</summary>
    public async Task<IReadOnlyList<BudgetEvent>> ListEventsAsync(CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<BudgetEvent>();
        await foreach (var row in table.QueryAsync<TableEntity>("RowKey ge 'o|' and RowKey lt 'o}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            events.Add(ToEvent(row));
        }

        return [.. events.OrderByDescending(e => e.Time)];
    }

    private static BudgetEvent ToEvent(TableEntity row) => new()
    {
        Id = row.GetString("EventId"),
        Type = row.GetString("Type"),
        BudgetId = row.GetString("BudgetId"),
        Scope = new BudgetScope(Enum.Parse<BudgetScopeType>(row.GetString("ScopeType")), row.GetString("ScopeValue")),
        PeriodKey = row.GetString("PeriodKey"),
        Threshold = row.GetString("Threshold"),
        SpentUsd = UsageEntityMapper.ParseMoney(row.GetString("SpentUsd")),
        LimitUsd = UsageEntityMapper.ParseMoney(row.GetString("LimitUsd")),
        Time = row.GetDateTimeOffset("Time") ?? default,
        PublishedAt = row.GetDateTimeOffset("PublishedAt"),
        PartitionKey = row.PartitionKey,
        RowKey = row.RowKey,
    };

    /// <summary>Marks an outbox event as delivered.</summary>
    public async Task MarkPublishedAsync(BudgetEvent budgetEvent, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpdateEntityAsync(new TableEntity(budgetEvent.PartitionKey, budgetEvent.RowKey) { ["PublishedAt"] = at.UtcDateTime }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Read the period row, decide, write the decision with the row's ETag in one transaction; on a concurrent
    /// change (409/412) start over from a fresh read. Nothing is written unless the whole decision lands.
    /// </summary>
    private async Task<T> MutateAsync<T>(Budget budget, PeriodWindow window,
        Func<TableClient, PeriodRow, Task<(T Result, List<TableTransactionAction> Actions)>> decide, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var period = await PeriodRow.ReadAsync(table, budget.Id, window, ct).ConfigureAwait(false);
            var (result, actions) = await decide(table, period).ConfigureAwait(false);
            if (actions.Count == 0 && !period.Dirty)
            {
                return result;
            }

            actions.Insert(0, period.ToAction());
            try
            {
                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                return result;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another writer changed the budget between our read and write. Back off with jitter so a crowd
                // of writers spreads out. A plain delay, not TimeProvider: this waits on storage, not on the clock.
                await Task.Delay(Random.Shared.Next(1, Math.Min(50, 2 + attempt)), ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<TableEntity?> ReadHoldAsync(TableClient table, string budgetId, string holdRef, string reservationId, CancellationToken ct)
    {
        var hold = await table.GetEntityIfExistsAsync<TableEntity>(Key(budgetId), HoldKey(holdRef, reservationId), cancellationToken: ct).ConfigureAwait(false);
        return hold.HasValue ? hold.Value : null;
    }

    private Task<TableClient> TableAsync(CancellationToken ct) => tables.GetTableAsync(TableName, ct);

    internal static string Key(string budgetId) => TableKeys.Escape(budgetId);

    private static string HoldKey(string holdRef, string reservationId) => $"h|{holdRef}|{TableKeys.Escape(reservationId)}";

    /// <summary>Rows of one partition whose key starts with <paramref name="prefix"/>: [prefix, prefix with its last character incremented).</summary>
    private static string RangeFilter(string budgetId, string prefix) =>
        $"PartitionKey eq {TableKeys.Quote(Key(budgetId))} and RowKey ge {TableKeys.Quote(prefix)} and RowKey lt {TableKeys.Quote(prefix[..^1] + (char)(prefix[^1] + 1))}";

    private static decimal Money(TableEntity entity, string property) =>
        entity.GetString(property) is { } value ? UsageEntityMapper.ParseMoney(value) : 0m;

    private static string ChargeKey(PeriodWindow window, string eventId) => $"c|{window.Key}|{TableKeys.Escape(eventId)}";

    /// <summary>The period row as read, with the changes a decision makes to it.</summary>
    private sealed class PeriodRow
    {
        private readonly TableEntity _entity;
        private readonly bool _exists;
        private readonly decimal _spent;
        private readonly decimal _reserved;
        private readonly decimal _leased;
        private readonly KillSwitchState _killSwitch;

        private PeriodRow(TableEntity entity, bool exists)
        {
            _entity = entity;
            _exists = exists;
            _spent = SpentUsd = entity.GetString("SpentUsd") is { } s ? UsageEntityMapper.ParseMoney(s) : 0m;
            _reserved = ReservedUsd = entity.GetString("ReservedUsd") is { } r ? UsageEntityMapper.ParseMoney(r) : 0m;
            _leased = LeasedUsd = entity.GetString("LeasedUsd") is { } l ? UsageEntityMapper.ParseMoney(l) : 0m;
            _killSwitch = KillSwitch = Enum.TryParse<KillSwitchState>(entity.GetString("KillSwitch"), out var k) ? k : KillSwitchState.Armed;
            KillSwitchSince = entity.GetDateTimeOffset("KillSwitchSince");
            Announced = [.. (entity.GetString("Announced") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)];
        }

        public decimal SpentUsd { get; set; }
        public decimal ReservedUsd { get; set; }

        /// <summary>Headroom leased to instances: covers every hold a lease issued until the lease is folded.</summary>
        public decimal LeasedUsd { get; set; }

        public KillSwitchState KillSwitch { get; set; }
        public DateTimeOffset? KillSwitchSince { get; set; }

        /// <summary>Thresholds already announced this period: each fires once, never a storm.</summary>
        public HashSet<string> Announced { get; }

        public bool Dirty => SpentUsd != _spent || ReservedUsd != _reserved || LeasedUsd != _leased || KillSwitch != _killSwitch;

        /// <summary>Money still free under the block threshold.</summary>
        public decimal Headroom(Budget budget) => budget.BlockAtUsd - SpentUsd - ReservedUsd - LeasedUsd;

        public static async Task<PeriodRow> ReadAsync(TableClient table, string budgetId, PeriodWindow window, CancellationToken ct)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Key(budgetId), "p|" + window.Key, cancellationToken: ct).ConfigureAwait(false);
            return row.HasValue ? new PeriodRow(row.Value!, exists: true) : new PeriodRow(new TableEntity(Key(budgetId), "p|" + window.Key), exists: false);
        }

        public BudgetPeriodState State(Budget budget)
        {
            // A tripped switch re-arms by itself once the limit is raised above the spend.
            var killSwitch = KillSwitch == KillSwitchState.Tripped && SpentUsd < budget.BlockAtUsd ? KillSwitchState.Armed : KillSwitch;
            return new BudgetPeriodState(SpentUsd, ReservedUsd + LeasedUsd, killSwitch, KillSwitchSince);
        }

        /// <summary>Announces each threshold the spend has just reached, and trips a hard budget's switch at block.</summary>
        public List<TableTransactionAction> Cross(Budget budget, PeriodWindow window, decimal before, DateTimeOffset now)
        {
            var actions = new List<TableTransactionAction>();
            foreach (var (name, at) in new[] { ("warn", budget.Thresholds.Warn), ("review", budget.Thresholds.Review), ("block", budget.Thresholds.Block) })
            {
                var amount = budget.LimitUsd * at;
                if (SpentUsd >= amount && !Announced.Contains(name))
                {
                    Announced.Add(name);
                    var type = name == "block" && budget.Mode == BudgetMode.Hard ? BudgetEventTypes.KillSwitchTripped : BudgetEventTypes.ThresholdCrossed;
                    actions.Add(Outbox(budget, window, type, name, name, now));
                }
            }

            if (budget.Mode == BudgetMode.Hard && KillSwitch == KillSwitchState.Armed && SpentUsd >= budget.BlockAtUsd && before < SpentUsd)
            {
                KillSwitch = KillSwitchState.Tripped;
                KillSwitchSince = now;
            }

            return actions;
        }

        public TableTransactionAction Outbox(Budget budget, PeriodWindow window, string type, string discriminator, string? threshold, DateTimeOffset now) =>
            new(TableTransactionActionType.Add, new TableEntity(_entity.PartitionKey, $"o|{window.Key}|{discriminator}")
            {
                ["Type"] = type,
                ["BudgetId"] = budget.Id,
                ["ScopeType"] = budget.Scope.Type.ToString(),
                ["ScopeValue"] = budget.Scope.Value,
                ["PeriodKey"] = window.Key,
                ["Threshold"] = threshold,
                ["SpentUsd"] = UsageEntityMapper.Money(SpentUsd),
                ["LimitUsd"] = UsageEntityMapper.Money(budget.LimitUsd),
                ["Time"] = now.UtcDateTime,
                ["EventId"] = Guid.NewGuid().ToString(),
            });

        public TableTransactionAction ToAction()
        {
            _entity["SpentUsd"] = UsageEntityMapper.Money(SpentUsd);
            _entity["ReservedUsd"] = UsageEntityMapper.Money(ReservedUsd);
            _entity["LeasedUsd"] = UsageEntityMapper.Money(LeasedUsd);
            _entity["KillSwitch"] = KillSwitch.ToString();
            _entity["KillSwitchSince"] = KillSwitchSince?.UtcDateTime;
            _entity["Announced"] = string.Join(',', Announced);
            return _exists
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, _entity, _entity.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, _entity);
        }
    }
}

using System.Globalization;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Usage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>The lease half of the ledger: issuing holds from leased headroom, trimming, folding and sweeping.</summary>
public sealed partial class TableBudgetLedger
{
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
        if (slot.Current is { } held && (await PeriodRow.ReadAsync(table, budget.Id, window, ct).ConfigureAwait(false)).State(budget) is { KillSwitch: not KillSwitchState.Armed })
        {
            // Post-hoc spend tripped the switch while this instance still held headroom: stop issuing at once
            // (one read per batch, not per call) and give the unused headroom back.
            slot.Current = null;
            await TrimLeaseAsync(budget, window, held.Id, ct).ConfigureAwait(false);
            slot.Retired.Add(held);
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult(new ReserveResult(ReserveDenial.KillSwitchTripped, 0m));
            }

            return;
        }

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
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412)
            {
                // The sweep folded this lease under us: its row changed or is gone. Nothing of this batch was
                // written; issue it from a fresh lease.
                slot.Current = null;
                if (attempt >= MaxAttempts)
                {
                    throw new BudgetContentionException(budget.Id, ex);
                }
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
    /// Folds a lease back into the budget's totals, up to 45 holds per transaction: settled holds become spend
    /// (unless an overrun already charged them), active ones become direct holds (or expire, if past their TTL), released ones
    /// just return their money. Each folded hold gets its due-index row, so the sweep finds it when it expires or
    /// when its retention ends. When no hold is left the lease's remaining amount goes back and the row is deleted.
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
                await foreach (var hold in table.QueryAsync<TableEntity>(RangeFilter(budget.Id, $"h|{leaseId}|") + " and Folded eq false", maxPerPage: MaxFoldsPerTransaction, cancellationToken: ct).ConfigureAwait(false))
                {
                    holds.Add(hold);
                    if (holds.Count == MaxFoldsPerTransaction)
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
                    var expiresAt = hold.GetDateTimeOffset("ExpiresAt") ?? now;
                    folded += ceiling;
                    hold["Folded"] = true;
                    var due = expiresAt + _retention.HoldRetention;
                    switch (hold.GetString("Status"))
                    {
                        case nameof(ReservationStatus.Settled):
                            period.SpentUsd += Money(hold, "ActualUsd") - Money(hold, "ChargedUsd");
                            break;
                        case nameof(ReservationStatus.Active) when expiresAt <= now:
                            hold["Status"] = nameof(ReservationStatus.Expired);
                            expiring++;
                            break;
                        case nameof(ReservationStatus.Active):
                            period.ReservedUsd += ceiling;
                            due = expiresAt;
                            break;
                    }

                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, hold, hold.ETag));
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, DueIndex(budget.Id, due, hold.RowKey)));
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

    /// <summary>
    /// Folds leases that stopped issuing, then works through the due index: active holds past their expiry give
    /// their money back; finished holds past their retention are deleted with their index row. Also, at most once
    /// an hour per budget, deletes old charge markers and delivered outbox events. Every read is a key range of
    /// what is due, so 100,000 settled reservations cost nothing until their day comes.
    /// </summary>
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

        var due = KeyRange(budget.Id, "x|", DuePrefix(now) + "}");
        var entries = new List<TableEntity>();
        await foreach (var entry in table.QueryAsync<TableEntity>(due, maxPerPage: MaxSweepPerRun, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
            if (entries.Count == MaxSweepPerRun)
            {
                break;
            }
        }

        foreach (var entry in entries)
        {
            if (await SweepDueAsync(table, budget, entry, now, cancellationToken).ConfigureAwait(false))
            {
                released++;
            }
        }

        await ApplyRetentionAsync(table, budget, now, cancellationToken).ConfigureAwait(false);
        return released;
    }

    /// <summary>
    /// One due index entry. Active past expiry: the hold expires and its money returns (through the period row),
    /// and the entry moves to the end of the hold's retention. Finished and past retention: hold and entry go.
    /// </summary>
    private async Task<bool> SweepDueAsync(TableClient table, Budget budget, TableEntity entry, DateTimeOffset now, CancellationToken ct)
    {
        var hold = await table.GetEntityIfExistsAsync<TableEntity>(entry.PartitionKey, entry.GetString("HoldRowKey"), cancellationToken: ct).ConfigureAwait(false);
        if (!hold.HasValue)
        {
            await table.DeleteEntityAsync(entry, ETag.All, ct).ConfigureAwait(false);
            return false;
        }

        var row = hold.Value!;
        var expiresAt = row.GetDateTimeOffset("ExpiresAt") ?? now;
        var parts = row.RowKey.Split('|', 3);
        var moved = DueIndex(budget.Id, expiresAt + _retention.HoldRetention, row.RowKey);
        if (row.GetString("Status") == nameof(ReservationStatus.Active))
        {
            var window = new PeriodWindow(row.GetString("PeriodKey"), default, null);
            var released = row.GetBoolean("Folded") == true
                && await ReleaseDirectAsync(budget, window, parts[1], Unescape(parts[2]), ReservationStatus.Expired, ct).ConfigureAwait(false);
            await MoveDueAsync(table, entry, moved, ct).ConfigureAwait(false);
            return released;
        }

        if (expiresAt + _retention.HoldRetention <= now)
        {
            await table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Delete, row, row.ETag),
                new TableTransactionAction(TableTransactionActionType.Delete, entry, ETag.All),
            ], ct).ConfigureAwait(false);
        }
        else
        {
            await MoveDueAsync(table, entry, moved, ct).ConfigureAwait(false);
        }

        return false;
    }

    private static async Task MoveDueAsync(TableClient table, TableEntity entry, TableEntity moved, CancellationToken ct)
    {
        if (moved.RowKey == entry.RowKey)
        {
            return;
        }

        await table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, moved),
            new TableTransactionAction(TableTransactionActionType.Delete, entry, ETag.All),
        ], ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes charge markers older than their retention and delivered outbox events of periods that began
    /// before the outbox retention: key ranges below a cutoff, so only what is deleted is read. Hourly per budget.
    /// </summary>
    private async Task ApplyRetentionAsync(TableClient table, Budget budget, DateTimeOffset now, CancellationToken ct)
    {
        if (_retentionRuns.TryGetValue(budget.Id, out var last) && now - last < RetentionInterval)
        {
            return;
        }

        var markers = (now - _retention.ChargeMarkerRetention).UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var outbox = PeriodWindow.For(budget.Period, now - _retention.OutboxRetention).Key;
        var old = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(
            KeyRange(budget.Id, "c|", "c|" + markers), select: ["PartitionKey", "RowKey"], cancellationToken: ct).ConfigureAwait(false))
        {
            old.Add(row);
        }

        await foreach (var row in table.QueryAsync<TableEntity>(
            KeyRange(budget.Id, "o|", "o|" + outbox), select: ["PartitionKey", "RowKey", "PublishedAt"], cancellationToken: ct).ConfigureAwait(false))
        {
            // An event never delivered stays (its publish index still points at it).
            if (row.GetDateTimeOffset("PublishedAt") is not null)
            {
                old.Add(row);
            }
        }

        await TableDeletes.DeleteAsync(table, old, ct).ConfigureAwait(false);
        _retentionRuns[budget.Id] = now;
    }

    private abstract record HoldUpdate
    {
        public sealed record Updated : HoldUpdate;

        /// <param name="SettledByThisEvent">It was settled, by the very event now settling it again (a retry).</param>
        public sealed record NotActive(bool SettledByThisEvent) : HoldUpdate;

        /// <summary>The hold is direct (or already folded), or the change must go through the period row: the caller does that.</summary>
        public sealed record Direct : HoldUpdate;
    }

    /// <summary>
    /// Changes an active, unfolded leased hold on its own row (ETag-guarded against a concurrent fold). When
    /// <paramref name="change"/> declines (an overrun that must reach the period row), answers <see cref="HoldUpdate.Direct"/>.
    /// </summary>
    private async Task<HoldUpdate> UpdateLeasedHoldAsync(Budget budget, string holdRef, string reservationId, string? eventId, Func<TableEntity, bool> change, CancellationToken ct)
    {
        if (holdRef == DirectHold)
        {
            return new HoldUpdate.Direct();
        }

        var table = await TableAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, ct).ConfigureAwait(false);
            if (hold is null)
            {
                return new HoldUpdate.NotActive(false);
            }

            if (hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return new HoldUpdate.NotActive(eventId is not null && SettledBy(hold, eventId));
            }

            if (hold.GetBoolean("Folded") == true || !change(hold))
            {
                return new HoldUpdate.Direct();
            }

            try
            {
                await table.UpdateEntityAsync(hold, hold.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return new HoldUpdate.Updated();
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Folded (or changed) between our read and write: read again and take the right path.
                if (attempt >= MaxAttempts)
                {
                    throw new BudgetContentionException(budget.Id, ex);
                }
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
}

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
/// (<c>l|{period}|{leaseId}</c>), one hold row per reservation (<c>h|{leaseId or -}|{reservationId}</c>) with
/// an index row by due time (<c>x|{ticks}|…</c>: when an active hold expires, or when a finished one may go), one
/// marker per post-hoc charge (<c>c|{day}|{eventId}</c>), the outbox (<c>o|{period}|{event}</c>) and an index of
/// what it has not yet published (<c>q|…</c>). Every change is one entity group transaction guarded by ETags, so
/// it lands whole or not at all, from any number of instances; every timer reads an index range, never the
/// partition.
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
public sealed partial class TableBudgetLedger(TableProvider tables, TimeProvider time, LeaseOptions leases, BudgetOptions? retention = null) : IBudgetLedger
{
    public const string TableName = "BudgetLedger";
    public const string DirectHold = "-";
    private const int MaxAttempts = 400;
    private const int MaxChargesPerTransaction = 90;
    private const int MaxHoldsPerTransaction = 90;

    /// <summary>Holds folded per transaction: each carries its index row, beside the lease, period and outbox rows.</summary>
    private const int MaxFoldsPerTransaction = 45;
    /// <summary>Due index entries one sweep handles per budget; the rest wait a minute for the next run.</summary>
    private const int MaxSweepPerRun = 1000;
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);
    private readonly BudgetOptions _retention = retention ?? new BudgetOptions();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _retentionRuns = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), GroupCommit<BudgetCharge, bool>> _charges = new();

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
        // folded: show them as what they are (an overrun is already in the period's spend).
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
                    spent += Money(hold, "ActualUsd") - Money(hold, "ChargedUsd");
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
            return Task.FromResult((new ReserveResult(ReserveDenial.None, remaining - ceilingUsd, DirectHold), new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Add, hold),
                new(TableTransactionActionType.Add, DueIndex(budget.Id, expiresAt, hold.RowKey)),
            }));
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

    /// <summary>
    /// The index row that brings a hold back to the sweep at <paramref name="due"/>: when an active hold expires,
    /// or when a finished one's retention ends. Holds inside a lease get theirs when the lease is folded.
    /// </summary>
    /// <remarks>Keyed <c>x|{ticks}|{holdRef}|{reservationId}</c>: the hold's own key after its <c>h|</c>, behind the due time.</remarks>
    private static TableEntity DueIndex(string budgetId, DateTimeOffset due, string holdRowKey) =>
        new(Key(budgetId), $"{DuePrefix(due)}|{holdRowKey[2..]}") { ["HoldRowKey"] = holdRowKey };

    /// <summary>Where the due index's entries for <paramref name="due"/> begin; every entry due by then sorts below <c>{prefix}}</c>.</summary>
    private static string DuePrefix(DateTimeOffset due) => "x|" + due.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    public async Task<SettleResult> SettleAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // A hold still inside its lease settles on its own row: no contention with anyone else's call. Unless the
        // call cost more than its ceiling: then the excess must reach the budget's spend, and its kill switch, now.
        var leased = await UpdateLeasedHoldAsync(budget, holdRef, reservationId, eventId, hold =>
        {
            if (actualUsd > Money(hold, "CeilingUsd"))
            {
                return false;
            }

            hold["Status"] = nameof(ReservationStatus.Settled);
            hold["ActualUsd"] = UsageEntityMapper.Money(actualUsd);
            hold["EventId"] = eventId;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return leased switch
        {
            HoldUpdate.Updated => SettleResult.Settled,
            HoldUpdate.NotActive { SettledByThisEvent: true } => SettleResult.AlreadySettled,
            HoldUpdate.NotActive => SettleResult.NotActive,
            _ => await SettleDirectAsync(budget, window, holdRef, reservationId, eventId, actualUsd, now, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// Settles through the period row, in one transaction with it. A direct (or folded) hold: its ceiling leaves
    /// the reserved total and the actual cost joins the spend. A hold still inside its lease whose call cost more
    /// than its ceiling: its actual cost joins the spend now, so a hard budget trips before the response however
    /// many leases are issuing; the fold later adds nothing for it.
    /// </summary>
    private Task<SettleResult> SettleDirectAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken) =>
        MutateAsync<SettleResult>(budget, window, async (table, period) =>
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return (SettledBy(hold, eventId) ? SettleResult.AlreadySettled : SettleResult.NotActive, []);
            }

            var before = period.SpentUsd;
            var ceiling = Money(hold, "CeilingUsd");
            if (hold.GetBoolean("Folded") == true)
            {
                period.ReservedUsd -= ceiling;
                period.SpentUsd += actualUsd;
            }
            else
            {
                // The whole actual joins the spend now, so the trip sees it; the fold adds nothing more. Until
                // then the lease still counts the ceiling too: headroom is briefly understated, never overstated.
                period.SpentUsd += actualUsd;
                hold["ChargedUsd"] = UsageEntityMapper.Money(actualUsd);
            }

            hold["Status"] = nameof(ReservationStatus.Settled);
            hold["ActualUsd"] = UsageEntityMapper.Money(actualUsd);
            hold["EventId"] = eventId;
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, hold, hold.ETag) };
            actions.AddRange(period.Cross(budget, window, before, now));
            return (SettleResult.Settled, actions);
        }, cancellationToken);

    private static bool SettledBy(TableEntity? hold, string eventId) =>
        hold?.GetString("Status") == nameof(ReservationStatus.Settled) && hold.GetString("EventId") == eventId;

    public async Task<bool> ReleaseAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var leased = await UpdateLeasedHoldAsync(budget, holdRef, reservationId, null, hold =>
        {
            hold["Status"] = nameof(ReservationStatus.Released);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return leased switch
        {
            HoldUpdate.Updated => true,
            HoldUpdate.NotActive => false,
            _ => await ReleaseDirectAsync(budget, window, holdRef, reservationId, ReservationStatus.Released, cancellationToken).ConfigureAwait(false),
        };
    }

    private Task<bool> ReleaseDirectAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, ReservationStatus status, CancellationToken cancellationToken) =>
        MutateAsync<bool>(budget, window, async (table, period) =>
        {
            var hold = await ReadHoldAsync(table, budget.Id, holdRef, reservationId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.GetString("Status") != nameof(ReservationStatus.Active))
            {
                return (false, []);
            }

            period.ReservedUsd -= Money(hold, "CeilingUsd");
            hold["Status"] = status.ToString();
            return (true, [new TableTransactionAction(TableTransactionActionType.UpdateReplace, hold, hold.ETag)]);
        }, cancellationToken);

    /// <summary>
    /// Post-hoc charges queue on this instance's committer for the budget period; whoever commits next writes all
    /// that is queued (up to 90 charges) in one transaction, so a budget fed only post-hoc events is not held to
    /// one row's update rate.
    /// </summary>
    public Task ChargeAsync(Budget budget, PeriodWindow window, IReadOnlyList<BudgetCharge> charges, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var committer = _charges.GetOrAdd((budget.Id, window.Key), _ => new GroupCommit<BudgetCharge, bool>(MaxChargesPerTransaction,
            (batch, ct) => CommitChargesAsync(budget, window, batch, ct)));
        return Task.WhenAll(charges.DistinctBy(c => c.EventId).Select(c => committer.SubmitAsync(c, cancellationToken)));
    }

    private async Task CommitChargesAsync(Budget budget, PeriodWindow window, IReadOnlyList<GroupCommit<BudgetCharge, bool>.Entry> batch, CancellationToken ct)
    {
        var unique = batch.DistinctBy(e => e.Item.EventId).Select(e => e.Item).ToList();
        await MutateAsync<bool>(budget, window, async (table, period) =>
        {
            // Skip events already charged to this budget: a finished request must not charge twice.
            var seen = await Task.WhenAll(unique.Select(async charge =>
                (charge, (await table.GetEntityIfExistsAsync<TableEntity>(Key(budget.Id), ChargeKey(charge), ["RowKey"], ct).ConfigureAwait(false)).HasValue))).ConfigureAwait(false);
            var fresh = seen.Where(s => !s.HasValue).Select(s => s.charge).ToList();
            if (fresh.Count == 0)
            {
                return (true, []);
            }

            var before = period.SpentUsd;
            period.SpentUsd += fresh.Sum(c => c.CostUsd);
            var actions = fresh.Select(c => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(Key(budget.Id), ChargeKey(c)) { ["CostUsd"] = UsageEntityMapper.Money(c.CostUsd), ["PeriodKey"] = window.Key })).ToList();
            actions.AddRange(period.Cross(budget, window, before, time.GetUtcNow()));
            return (true, actions);
        }, ct).ConfigureAwait(false);
        foreach (var entry in batch)
        {
            entry.Done.TrySetResult(true);
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
            return Task.FromResult((true, period.Outbox(budget, window, BudgetEventTypes.KillSwitchReset, $"reset-{now.UtcTicks}", null, now)));
        }, cancellationToken);

    /// <summary>
    /// A page of the outbox: one budget's events (newest period first) or, without a budget, every budget's in
    /// storage order. <paramref name="continuation"/> is the previous page's token.
    /// </summary>
    public async Task<(IReadOnlyList<BudgetEvent> Events, string? Next)> ListEventsAsync(string? budgetId, int limit, string? continuation, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = budgetId is null ? "RowKey ge 'o|' and RowKey lt 'o}'" : RangeFilter(budgetId, "o|");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: limit, cancellationToken: cancellationToken).AsPages(continuation, limit).ConfigureAwait(false))
        {
            return ([.. page.Values.Select(ToEvent)], page.ContinuationToken);
        }

        return ([], null);
    }

    /// <summary>
    /// Events not yet delivered, of the given budgets: one key-range read of each budget's publish index, however
    /// many events were published before.
    /// </summary>
    public async Task<IReadOnlyList<BudgetEvent>> ListUnpublishedAsync(IEnumerable<string> budgetIds, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var perBudget = await Task.WhenAll(budgetIds.Distinct(StringComparer.Ordinal).Select(async id =>
        {
            var events = new List<BudgetEvent>();
            await foreach (var row in table.QueryAsync<TableEntity>(RangeFilter(id, "q|"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                events.Add(ToEvent(row) with { RowKey = "o|" + row.RowKey[2..] });
            }

            return events;
        })).ConfigureAwait(false);
        return [.. perBudget.SelectMany(e => e).OrderBy(e => e.Time)];
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

    /// <summary>Marks an outbox event as delivered and takes it off the publish index, in one transaction.</summary>
    public async Task MarkPublishedAsync(BudgetEvent budgetEvent, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(budgetEvent.PartitionKey, budgetEvent.RowKey) { ["PublishedAt"] = at.UtcDateTime }, ETag.All),
                new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(budgetEvent.PartitionKey, "q|" + budgetEvent.RowKey[2..]), ETag.All),
            ], cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            // Another instance's publisher marked it first: delivered, nothing left to do.
        }
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
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another writer changed the budget between our read and write. Back off with jitter so a crowd
                // of writers spreads out. A plain delay, not TimeProvider: this waits on storage, not on the clock.
                if (attempt >= MaxAttempts)
                {
                    throw new BudgetContentionException(budget.Id, ex);
                }

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
    private static string RangeFilter(string budgetId, string prefix) => KeyRange(budgetId, prefix, prefix[..^1] + (char)(prefix[^1] + 1));

    /// <summary>Rows of one budget's partition with keys in [<paramref name="from"/>, <paramref name="toExclusive"/>): a range read, never a scan.</summary>
    private static string KeyRange(string budgetId, string from, string toExclusive) =>
        $"PartitionKey eq {TableKeys.Quote(Key(budgetId))} and RowKey ge {TableKeys.Quote(from)} and RowKey lt {TableKeys.Quote(toExclusive)}";

    private static decimal Money(TableEntity entity, string property) =>
        entity.GetString(property) is { } value ? UsageEntityMapper.ParseMoney(value) : 0m;

    /// <summary>By the day of the event's fixed charge time, so retention deletes old markers by key range.</summary>
    private static string ChargeKey(BudgetCharge charge) =>
        $"c|{charge.ChargeTime.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}|{TableKeys.Escape(charge.EventId)}";

    /// <summary>The period row as read, with the changes a decision makes to it.</summary>
    private sealed class PeriodRow
    {
        /// <summary>The outbox row and its entry in the publish index.</summary>
        private static readonly string[] OutboxPrefixes = ["o|", "q|"];

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
                    actions.AddRange(Outbox(budget, window, type, name, name, now));
                }
            }

            if (budget.Mode == BudgetMode.Hard && KillSwitch == KillSwitchState.Armed && SpentUsd >= budget.BlockAtUsd && before < SpentUsd)
            {
                KillSwitch = KillSwitchState.Tripped;
                KillSwitchSince = now;
            }

            return actions;
        }

        /// <summary>The outbox row and its twin in the publish index (<c>q|</c>), deleted once delivered.</summary>
        public List<TableTransactionAction> Outbox(Budget budget, PeriodWindow window, string type, string discriminator, string? threshold, DateTimeOffset now)
        {
            var eventId = Guid.NewGuid().ToString();
            return [.. OutboxPrefixes.Select(prefix => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(_entity.PartitionKey, $"{prefix}{window.Key}|{discriminator}")
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
                    ["EventId"] = eventId,
                }))];
        }

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

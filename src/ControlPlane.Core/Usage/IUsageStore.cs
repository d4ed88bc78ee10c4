namespace ControlPlane.Usage;

/// <summary>
/// The usage ledger (source of truth) and its hourly rollups. Implementations must write the events and the rollup
/// rows that count them atomically, so the rollups always equal the ledger, and must be idempotent by event id within
/// a team: an event is identified by its team and id (two teams' ids never collide, nor reveal each other).
/// Folding compacts rollup rows without changing any total, whatever writes, folds and reads run alongside it.
/// </summary>
public interface IUsageStore
{
    /// <summary>
    /// Durably records the events. An event whose id is already in the ledger is reported as a duplicate with the
    /// cost it was first charged, and is not counted again. Returns one outcome per event, in order.
    /// </summary>
    Task<IReadOnlyList<RecordOutcome>> RecordAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Recorded writes whose events budgets have not been charged with yet, recorded before
    /// <paramref name="recordedBefore"/> (an instance crashed between recording and charging). Reads an index,
    /// not the ledger.
    /// </summary>
    Task<IReadOnlyList<string>> ListBudgetsPendingAsync(DateTimeOffset recordedBefore, int max, CancellationToken cancellationToken = default);

    /// <summary>The recorded events of one write still waiting for budgets (empty when it was completed meanwhile).</summary>
    Task<IReadOnlyList<PricedUsageEvent>> ReadBudgetsPendingAsync(string pendingWrite, CancellationToken cancellationToken = default);

    /// <summary>Marks writes as charged to budgets; idempotent.</summary>
    Task CompleteBudgetsPendingAsync(IEnumerable<string> pendingWrites, CancellationToken cancellationToken = default);

    /// <summary>The recorded events with this id, one per team that used it (ids are per team).</summary>
    Task<IReadOnlyList<PricedUsageEvent>> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Rollup rows for the hours in [<paramref name="fromHour"/>, <paramref name="toHour"/>).</summary>
    Task<IReadOnlyList<UsageRollup>> GetRollupsAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default);

    /// <summary>
    /// Per-session usage for the hours in [<paramref name="fromHour"/>, <paramref name="toHour"/>), added up per team,
    /// feature and session over the range (events without a session are not in it). Written with the events, so it
    /// always agrees with the ledger; meant for the hourly scan's last hour or two, not for long ranges.
    /// </summary>
    Task<IReadOnlyList<SessionUsage>> GetSessionUsageAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default);

    /// <summary>
    /// Folds the rollup rows written since the last fold into one row set per partition and day, at most
    /// <paramref name="maxTransactions"/> storage transactions in all; a later call carries on where this one stopped.
    /// Every total <see cref="GetRollupsAsync"/> answers is the same before, during and after a fold.
    /// </summary>
    Task<RollupFoldResult> FoldRollupsAsync(int maxTransactions, CancellationToken cancellationToken = default);

    /// <summary>Every ledger event whose timestamp lies in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>). A scan: for audits and reconciliation, not hot paths.</summary>
    IAsyncEnumerable<PricedUsageEvent> ReadLedgerAsync(DateTimeOffset fromInclusive, DateTimeOffset toExclusive, CancellationToken cancellationToken = default);

    /// <summary>Deletes ledger events and rollups of the hours before <paramref name="cutoffHour"/>, keeping the two equal.</summary>
    Task<RetentionSweepResult> DeleteBeforeAsync(DateTimeOffset cutoffHour, CancellationToken cancellationToken = default);
}

/// <summary>What happened to one posted event.</summary>
/// <param name="Stored">The event as recorded (for a duplicate: as first recorded, whatever this post said).</param>
/// <param name="BudgetsPending">
/// The write whose budget charges are still outstanding: set for an event recorded now, and for a duplicate whose
/// first recording never got as far as charging budgets (its client is retrying after a crash). Null when done.
/// </param>
public sealed record RecordOutcome(string Id, RecordStatus Status, decimal CostUsd, bool Unpriced, PricedUsageEvent? Stored = null, string? BudgetsPending = null);

public enum RecordStatus
{
    Recorded,
    Duplicate,
}

/// <summary>What a retention sweep removed.</summary>
public sealed record RetentionSweepResult(int EventsDeleted, int RollupRowsDeleted);

/// <summary>What one fold did: rollup rows written at ingest that were folded away, and transactions it took.</summary>
public sealed record RollupFoldResult(int DeltasFolded, int Transactions);

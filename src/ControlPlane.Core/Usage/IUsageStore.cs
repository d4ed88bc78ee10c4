namespace ControlPlane.Usage;

/// <summary>
/// The usage ledger (source of truth) and its hourly rollups. Implementations must write the events and the rollup
/// rows that count them atomically, so the rollups always equal the ledger, and must be idempotent by event id.
/// </summary>
public interface IUsageStore
{
    /// <summary>
    /// Durably records the events. An event whose id is already in the ledger is reported as a duplicate with the
    /// cost it was first charged, and is not counted again. Returns one outcome per event, in order.
    /// </summary>
    Task<IReadOnlyList<RecordOutcome>> RecordAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The recorded event with this id, or null.</summary>
    Task<PricedUsageEvent?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Rollup rows for the hours in [<paramref name="fromHour"/>, <paramref name="toHour"/>).</summary>
    Task<IReadOnlyList<UsageRollup>> GetRollupsAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default);

    /// <summary>Every ledger event whose timestamp lies in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>). A scan: for audits and reconciliation, not hot paths.</summary>
    IAsyncEnumerable<PricedUsageEvent> ReadLedgerAsync(DateTimeOffset fromInclusive, DateTimeOffset toExclusive, CancellationToken cancellationToken = default);

    /// <summary>Deletes ledger events and rollups of the hours before <paramref name="cutoffHour"/>, keeping the two equal.</summary>
    Task<RetentionSweepResult> DeleteBeforeAsync(DateTimeOffset cutoffHour, CancellationToken cancellationToken = default);
}

/// <summary>What happened to one posted event.</summary>
public sealed record RecordOutcome(string Id, RecordStatus Status, decimal CostUsd, bool Unpriced);

public enum RecordStatus
{
    Recorded,
    Duplicate,
}

/// <summary>What a retention sweep removed.</summary>
public sealed record RetentionSweepResult(int EventsDeleted, int RollupRowsDeleted);

using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Usage;

/// <summary>Ingest bounds. Section <c>ControlPlane:Usage</c>.</summary>
public sealed record UsageOptions
{
    public const string SectionName = "ControlPlane:Usage";

    /// <summary>How far back an event's timestamp may lie, for backfills. Default 35 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "400.00:00:00")]
    public TimeSpan MaxBackfill { get; init; } = TimeSpan.FromDays(35);

    /// <summary>How far ahead of our clock an event's timestamp may lie (client clock skew). Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// An event older than this when it arrives is late: recorded at its own time for accounting, but charged to
    /// the budgets' current period, so back-dating cannot slip spend past a daily, weekly or monthly limit.
    /// Default 15 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan LateGrace { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Most events in one <c>POST /api/usage</c>. Default 1,000.</summary>
    [Range(1, 1000)]
    public int MaxEventsPerRequest { get; init; } = 1000;

    /// <summary>Largest accepted request body in bytes. Default 4 MiB (1,000 events of ~4 KB).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long the ledger keeps events before the retention sweep deletes them. Default 400 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>
    /// Most storage transactions one run of the rollup fold (<c>FoldUsageRollups</c>, every minute) makes; each folds
    /// up to ~95 rollup rows written at ingest, and the next run carries on. Default 2,000.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxFoldTransactionsPerRun { get; init; } = 2000;
}

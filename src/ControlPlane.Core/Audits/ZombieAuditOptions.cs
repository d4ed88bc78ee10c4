using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Audits;

/// <summary>The nightly zombie-feature audit (and the weekly unit-economics check it runs). Section <c>ControlPlane:Audits:Zombie</c>.</summary>
public sealed record ZombieAuditOptions
{
    public const string SectionName = "ControlPlane:Audits:Zombie";

    /// <summary>When the audit runs: six-field NCRONTAB, UTC. Default <c>0 15 3 * * *</c> (03:15). App setting <c>ControlPlane__Audits__Zombie__Schedule</c>.</summary>
    [Required]
    public string Schedule { get; init; } = "0 15 3 * * *";

    /// <summary>Whole weeks compared, ending at the start of the run's UTC day; the feature needs that much history. Default 4.</summary>
    [Range(2, 13)]
    public int Weeks { get; init; } = 4;

    /// <summary>Share of the first week's distinct users the last week must have lost. Default 0.5 (half).</summary>
    [Range(typeof(decimal), "0.01", "1")]
    public decimal UserDropShare { get; init; } = 0.5m;

    /// <summary>How far tokens or cost may fall and still "hold" against the first week. Default 0.1 (10%).</summary>
    [Range(typeof(decimal), "0", "0.99")]
    public decimal HoldTolerance { get; init; } = 0.1m;

    /// <summary>Last week's cost below which a falling feature is not worth a finding. Default $10.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal MinWeeklyCostUsd { get; init; } = 10m;

    /// <summary>Weekly cost above which a feature needs more than <see cref="MinDailyUsers"/> users a day. Default $50.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal CostFloorUsdPerWeek { get; init; } = 50m;

    /// <summary>"A handful": average distinct users a day, over the last week, below which spend above the floor is a zombie. Default 5.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal MinDailyUsers { get; init; } = 5m;

    /// <summary>Findings one run records at most, largest first (keeps the run's messages bounded). Default 500.</summary>
    [Range(1, 10_000)]
    public int MaxFindingsPerRun { get; init; } = 500;
}

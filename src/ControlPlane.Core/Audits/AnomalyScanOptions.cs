using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Audits;

/// <summary>The hourly anomaly and agent-loop scan. Section <c>ControlPlane:Audits:Anomalies</c>.</summary>
public sealed record AnomalyScanOptions
{
    public const string SectionName = "ControlPlane:Audits:Anomalies";

    /// <summary>When the scan runs: six-field NCRONTAB, UTC. Default <c>0 5 * * * *</c> (five past every hour, once the last hour's events are in). App setting <c>ControlPlane__Audits__Anomalies__Schedule</c>.</summary>
    [Required]
    public string Schedule { get; init; } = "0 5 * * * *";

    /// <summary>An hour at this many times its baseline is an anomaly. Default 3.</summary>
    [Range(typeof(decimal), "1", "1000")]
    public decimal HourFactor { get; init; } = 3m;

    /// <summary>Previous weeks whose same hour of the week make the baseline. Default 4.</summary>
    [Range(1, 12)]
    public int BaselineWeeks { get; init; } = 4;

    /// <summary>Of those, how many the feature must have existed for. Default 2.</summary>
    [Range(1, 12)]
    public int MinBaselineWeeks { get; init; } = 2;

    /// <summary>An hour costing less than this is never an anomaly ($0.01 → $0.04 is noise). Default $1.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal MinHourCostUsd { get; init; } = 1m;

    /// <summary>A day at this many times the trailing average is an anomaly. Default 1.5.</summary>
    [Range(typeof(decimal), "1", "1000")]
    public decimal DayFactor { get; init; } = 1.5m;

    /// <summary>Days of the trailing average; the feature needs that much history. Default 7.</summary>
    [Range(1, 60)]
    public int TrailingDays { get; init; } = 7;

    /// <summary>A day costing less than this is never an anomaly. Default $10.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal MinDayCostUsd { get; init; } = 10m;

    /// <summary>Tokens per call this many times the feature's design estimate is a finding. Default 3.</summary>
    [Range(typeof(decimal), "1", "1000")]
    public decimal TokensPerCallRatio { get; init; } = 3m;

    /// <summary>Calls a day needs before tokens per call means anything. Default 20.</summary>
    [Range(1, 1_000_000)]
    public int MinCallsForTokensPerCall { get; init; } = 20;

    /// <summary>Calls in a session this many times the feature's design estimate is a finding. Default 3.</summary>
    [Range(typeof(decimal), "1", "1000")]
    public decimal CallsPerSessionRatio { get; init; } = 3m;

    /// <summary>The same request hash this many times within a session is an agent loop. Default 10.</summary>
    [Range(2, 1_000_000)]
    public int LoopRepeatThreshold { get; init; } = 10;

    /// <summary>Hours of session usage the scan reads, ending with the hour it scans (a loop across the hour boundary stays whole). Default 2.</summary>
    [Range(1, 24)]
    public int SessionWindowHours { get; init; } = 2;

    /// <summary>Findings one scan records at most, largest first. Default 500.</summary>
    [Range(1, 10_000)]
    public int MaxFindingsPerRun { get; init; } = 500;
}

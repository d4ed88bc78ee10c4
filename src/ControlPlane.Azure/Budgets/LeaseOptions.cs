using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// How instances lease slices of a budget's headroom so that one hot budget does not funnel every authorization
/// through one table row. Section <c>ControlPlane:Budgets:Leases</c>.
/// </summary>
public sealed record LeaseOptions
{
    public const string SectionName = "ControlPlane:Budgets:Leases";

    /// <summary>Leases off: every reservation updates the budget's period row (the simple, slow design).</summary>
    public static LeaseOptions Disabled { get; } = new() { Enabled = false };

    /// <summary>Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long an instance issues reservations from one lease. Default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after a lease stops issuing it is folded into the budget's totals by the expiry sweep, so that most
    /// of its calls settle on their own rows first. Default 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FoldDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A lease covers at most this many calls of the size that asked for it. Default 64.</summary>
    [Range(1, 10_000)]
    public int CallsPerLease { get; init; } = 64;

    /// <summary>
    /// ...and at most this share of the limit, so one instance cannot hoard headroom other instances need. Near
    /// the limit leases shrink to single calls and the design degrades, safely, to the simple one. Default 0.05.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxShareOfLimit { get; init; } = 0.05;
}

using ControlPlane.Budgets;

namespace ControlPlane.Capacity;

/// <summary><c>Recommend</c>: decisions are recorded only; <c>Enforce</c>: the scale set's capacity is set.</summary>
public enum PoolMode
{
    Recommend,
    Enforce,
}

/// <summary>
/// A GPU VM scale set ControlPlane sizes to its work. Defaults: utilization band 0.50–0.80, scale-out cooldown
/// 5 minutes, scale-in cooldown 15 minutes, recommend mode.
/// </summary>
public sealed record GpuPool
{
    public required string Name { get; init; }

    /// <summary>ARM id of the Microsoft.Compute/virtualMachineScaleSets resource.</summary>
    public required string ScaleSetId { get; init; }

    public required int MinCapacity { get; init; }
    public required int MaxCapacity { get; init; }

    /// <summary>Scale out above <see cref="UtilizationBand.High"/>, in below <see cref="UtilizationBand.Low"/>.</summary>
    public UtilizationBand TargetUtilization { get; init; } = new();

    /// <summary>Queued work items one instance should carry; null when the pool has no queue.</summary>
    public int? QueueDepthPerInstance { get; init; }

    public TimeSpan ScaleOutCooldown { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan ScaleInCooldown { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Windows that override the bounds, e.g. nights and weekends with a minimum of 0.</summary>
    public IReadOnlyList<ScheduleWindow> Schedules { get; init; } = [];

    /// <summary>What one instance costs per hour (USD); running cost is recorded as usage for <see cref="Team"/>.</summary>
    public decimal HourlyPriceUsd { get; init; }

    public required string Team { get; init; }
    public PoolMode Mode { get; init; } = PoolMode.Recommend;

    /// <summary>The attribution the pool's running cost and kill switches use.</summary>
    public CallAttribution Attribution => new(Team, $"gpu-pool/{Name}", null, "prod", $"gpu:{Name}", null);
}

/// <summary>The utilization band the policy keeps the pool in.</summary>
public sealed record UtilizationBand(double Low = 0.50, double High = 0.80)
{
    public double Target => (Low + High) / 2;
}

/// <summary>A recurring UTC window (days of week, hours [start, end)) with its own capacity bounds.</summary>
public sealed record ScheduleWindow
{
    public required IReadOnlyList<DayOfWeek> Days { get; init; }
    public required int StartHour { get; init; }
    public required int EndHour { get; init; }
    public required int MinCapacity { get; init; }
    public int? MaxCapacity { get; init; }
    public string? Name { get; init; }

    public bool Contains(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return Days.Contains(utc.DayOfWeek) && utc.Hour >= StartHour && utc.Hour < EndHour;
    }
}

/// <summary>One report from a node or exporter.</summary>
/// <param name="Utilization">GPU utilization, 0 to 1.</param>
/// <param name="QueueDepth">Work items waiting for the pool.</param>
public sealed record UtilizationSample(DateTimeOffset Timestamp, double Utilization, int QueueDepth, string? Instance = null);

/// <summary>What the policy decided for a pool at one evaluation, and why.</summary>
public sealed record CapacityDecision
{
    public required string Pool { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required int CurrentCapacity { get; init; }
    public required int DesiredCapacity { get; init; }
    public required PoolMode Mode { get; init; }
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>True when the scale set was actually set to <see cref="DesiredCapacity"/> (enforce mode, success).</summary>
    public bool Applied { get; init; }

    public string? Error { get; init; }
}

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

/// <summary>
/// One report from a node or exporter. The GPU agent sends the mean of its per-second readings over a window
/// (<see cref="WindowSeconds"/>) ending at <see cref="Timestamp"/>, per GPU and overall: a single nvidia-smi reading
/// aliases a duty cycle into 0% and 100%.
/// </summary>
/// <param name="Timestamp">When the sample was taken: the end of its window.</param>
/// <param name="Utilization">GPU utilization, 0 to 1: the mean over the window and every GPU of the instance.</param>
/// <param name="QueueDepth">Work items waiting for the pool.</param>
public sealed record UtilizationSample(DateTimeOffset Timestamp, double Utilization, int QueueDepth, string? Instance = null)
{
    /// <summary>The sender's id for the sample; a sample sent again with the same id and timestamp is stored once.</summary>
    public string? Id { get; init; }

    /// <summary>Length of the window the values are means over; null for a point reading.</summary>
    public double? WindowSeconds { get; init; }

    /// <summary>Start of the window (<see cref="Timestamp"/> minus <see cref="WindowSeconds"/>); null for a point reading.</summary>
    public DateTimeOffset? WindowStart => WindowSeconds is { } seconds ? Timestamp - TimeSpan.FromSeconds(seconds) : null;

    /// <summary>How many readings the window's means are made of.</summary>
    public int? Readings { get; init; }

    /// <summary>Each GPU's window means; empty when the sender reports only the instance's mean.</summary>
    public IReadOnlyList<GpuReading> Gpus { get; init; } = [];

    /// <summary>GPU memory in use on the instance (MiB, summed over its GPUs, mean over the window).</summary>
    public double? MemoryUsedMiB { get; init; }

    /// <summary>GPU memory on the instance (MiB, summed over its GPUs).</summary>
    public double? MemoryTotalMiB { get; init; }

    /// <summary>Used over total memory, 0 to 1, when both are known.</summary>
    public double? MemoryUtilization => MemoryUsedMiB is { } used && MemoryTotalMiB is { } total && total > 0 ? used / total : null;

    /// <summary>Busiest GPU's utilization minus the idlest's (0 with fewer than two GPUs): how unevenly work is spread.</summary>
    public double UtilizationSpread => Gpus.Count < 2 ? 0 : Gpus.Max(g => g.Utilization) - Gpus.Min(g => g.Utilization);
}

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

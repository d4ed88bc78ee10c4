using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Orchestrations;

/// <summary>How the engine runs steps. Section <c>ControlPlane:Orchestrations</c>.</summary>
public sealed record OrchestrationOptions
{
    public const string SectionName = "ControlPlane:Orchestrations";

    /// <summary>How long a worker's claim on a step lasts; a crashed worker's step runs again after it. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan StepLease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A running instance whose message got lost is re-sent by the wake-up sweep after this long. Default 2 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LostMessageGrace { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts at one step before the instance fails (transient errors back off between them). Default 8.</summary>
    [Range(1, 100)]
    public int MaxStepAttempts { get; init; } = 8;

    /// <summary>First retry delay; doubles each attempt up to <see cref="MaxRetryDelay"/>. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a finished instance and its history stay readable. Default 90 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Default 30 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(30);
}

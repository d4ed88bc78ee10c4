using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Orchestrations;

/// <summary>How orchestrations retry their activities and how long finished ones stay readable. Section <c>ControlPlane:Orchestrations</c>.</summary>
public sealed record OrchestrationOptions
{
    public const string SectionName = "ControlPlane:Orchestrations";

    /// <summary>
    /// Attempts at an activity that failed on something that may pass (the provider or storage unavailable, a key
    /// an admin may fix) before the run fails. Errors that would fail the same way again fail it at once. Default 8.
    /// </summary>
    [Range(1, 100)]
    public int MaxActivityAttempts { get; init; } = 8;

    /// <summary>First retry delay; doubles each attempt up to <see cref="MaxRetryDelay"/>. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Default 30 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a finished instance and its history stay readable. Default 90 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(90);
}

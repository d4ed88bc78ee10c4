namespace ControlPlane.Functions.Hosting;

/// <summary>Which scheduled occurrence a timer function runs for: every timer that names its run after it asks here.</summary>
public static class ScheduledTimer
{
    /// <summary>
    /// The occurrence a scheduled run fires for. The host hands the function the status recorded before this run, so
    /// its <c>Next</c> is this occurrence, however late the run starts (in the host's local time, which is UTC on
    /// Azure unless <c>WEBSITE_TIME_ZONE</c> says otherwise). A run started by hand has no status: null.
    /// </summary>
    public static DateTimeOffset? Occurrence(TimerInfo? timer) => timer?.ScheduleStatus is { } status && status.Next != default
        ? status.Next.Kind switch
        {
            DateTimeKind.Unspecified => new DateTimeOffset(DateTime.SpecifyKind(status.Next, DateTimeKind.Utc)),
            _ => new DateTimeOffset(status.Next.ToUniversalTime()),
        }
        : null;

    /// <summary>The scheduled occurrence, or now for a run started by hand.</summary>
    public static DateTimeOffset OccurrenceOrNow(TimerInfo? timer, TimeProvider time) => Occurrence(timer) ?? time.GetUtcNow();
}

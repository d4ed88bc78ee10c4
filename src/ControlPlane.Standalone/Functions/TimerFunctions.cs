using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Hosting;
using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// Fires each timer function on its schedule, as the Functions host does: six-field NCRONTAB, UTC, a schedule of the
/// form <c>%Setting%</c> read from configuration (<c>__</c> for <c>:</c>), time from the injected
/// <see cref="TimeProvider"/>, one run per occurrence across every host sharing the storage (<see cref="TimerClaims"/>).
/// A failed run is logged (a storage outage as one line, anything else with its stack trace) and the function fires
/// again at its next occurrence: never sooner, so a storage account that is down is not hammered, and never for the
/// occurrences it missed meanwhile, so runs do not pile up. One timer's runs never overlap: each waits for the last.
/// Off with <c>ControlPlane:Triggers:Enabled=false</c> (tests fire timers themselves through <see cref="RunAsync"/>).
/// </summary>
public sealed partial class TimerFunctions(
    IServiceProvider services, TimerClaims claims, IConfiguration configuration, TimeProvider time, ILogger<TimerFunctions> logger) : BackgroundService
{
    public const string EnabledSetting = "ControlPlane:Triggers:Enabled";
    private readonly Dictionary<string, (FunctionDescriptor Function, FunctionInvoker Invoker)> _timers =
        FunctionIndex.Timers.ToDictionary(t => t.Function.Name, t => (t.Function, FunctionInvoker.For(t.Function)), StringComparer.OrdinalIgnoreCase);

    /// <summary>The timer's schedule, with an app-setting reference resolved.</summary>
    public static CronExpression Schedule(TimerFunctionTrigger timer, IConfiguration configuration)
    {
        var text = timer.Schedule;
        if (text.StartsWith('%') && text.EndsWith('%') && text.Length > 2)
        {
            var setting = text[1..^1];
            text = configuration[setting.Replace("__", ":", StringComparison.Ordinal)]
                ?? throw new InvalidOperationException($"The timer schedule refers to app setting {setting}, which is not set.");
        }

        return CronExpression.Parse(text, CronFormat.IncludeSeconds);
    }

    /// <summary>Whether a timer function has this name.</summary>
    public bool Has(string name) => _timers.ContainsKey(name);

    /// <summary>Runs a timer function now, off schedule (no schedule status), and returns what it returned.</summary>
    public Task<object?> RunAsync(string name, CancellationToken cancellationToken) => InvokeAsync(name, new TimerInfo(), cancellationToken);

    private async Task<object?> InvokeAsync(string name, TimerInfo info, CancellationToken cancellationToken)
    {
        var timer = _timers[name];
        await using var scope = services.CreateAsyncScope();
        return await timer.Invoker.InvokeAsync(new FunctionInvocation(scope.ServiceProvider, info, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// What the Functions host passes a scheduled run: the status recorded before this run, whose <c>Next</c> is the
    /// occurrence now firing (however late the run starts), and <c>IsPastDue</c> when it fires well after it.
    /// </summary>
    internal static TimerInfo ScheduledRun(CronExpression schedule, DateTimeOffset occurrence, DateTimeOffset now) => new()
    {
        ScheduleStatus = new ScheduleStatus
        {
            Last = schedule.GetOccurrences(occurrence.UtcDateTime.AddDays(-400), occurrence.UtcDateTime, fromInclusive: true, toInclusive: false)
                .LastOrDefault(),
            Next = occurrence.UtcDateTime,
            LastUpdated = now.UtcDateTime,
        },
        IsPastDue = now - occurrence > PastDueAfter,
    };

    /// <summary>How late a run may start and still be on time.</summary>
    private static readonly TimeSpan PastDueAfter = TimeSpan.FromMinutes(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        configuration.GetValue(EnabledSetting, true)
            ? Task.WhenAll(_timers.Values.Select(t => RunOnScheduleAsync(t.Function, Schedule((TimerFunctionTrigger)t.Function.Trigger, configuration), stoppingToken)))
            : Task.CompletedTask;

    private async Task RunOnScheduleAsync(FunctionDescriptor function, CronExpression schedule, CancellationToken stoppingToken)
    {
        DateTimeOffset? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // After the occurrence just tried, never at it again: the delay below runs on the monotonic clock and may
            // end a hair before the wall clock reaches the occurrence, and a run that failed at once would then be
            // retried straight away, against a storage account that may be down.
            var now = time.GetUtcNow();
            if (schedule.GetNextOccurrence(last > now ? last.Value : now, TimeZoneInfo.Utc) is not { } next)
            {
                return;
            }

            last = next;

            try
            {
                await Task.Delay(next - now, time, stoppingToken).ConfigureAwait(false);
                if (await claims.TryClaimAsync(function.Name, next, stoppingToken).ConfigureAwait(false))
                {
                    await InvokeAsync(function.Name, ScheduledRun(schedule, next, time.GetUtcNow()), stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (StorageFailures.IsOutage(ex))
            {
                // Storage not answering fails every timer's tick until it is back: one line each, not the same SDK
                // stack trace per timer per tick for the length of the outage. The next occurrence tries again.
                LogTimerStorageUnavailable(function.Name, StorageFailures.Describe(ex));
            }
            catch (Exception ex)
            {
                LogTimerFailed(ex, function.Name);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Error, "Timer function {Function} failed; it runs again at its next occurrence")]
    private partial void LogTimerFailed(Exception exception, string function);

    [LoggerMessage(2, LogLevel.Error, "Timer function {Function} failed: storage unavailable ({Reason}); it runs again at its next occurrence")]
    private partial void LogTimerStorageUnavailable(string function, string reason);
}

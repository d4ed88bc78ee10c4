using Cronos;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Standalone mode's stand-in for the Functions host: fires each timer function of the catalog on its schedule
/// (UTC, as on Flex Consumption) and drains each queue function's queue, through the same
/// <see cref="FunctionInvoker"/> the host's calls reach. Not started under the Functions host, which does both itself.
/// </summary>
public sealed class LocalTriggerRunner(
    FunctionInvoker invoker, LocalQueueRunner queues, IConfiguration configuration, TimeProvider time, ILogger<LocalTriggerRunner> logger) : BackgroundService
{
    /// <summary>How long an empty queue rests before it is polled again (real time: this is plumbing, not domain time).</summary>
    private static readonly TimeSpan EmptyQueuePause = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(FunctionCatalog.All.Select(f => f.Trigger switch
        {
            TimerTrigger timer => RunTimerAsync(f, Schedule(timer, configuration), stoppingToken),
            QueueTrigger => RunQueueAsync(f, stoppingToken),
            _ => Task.CompletedTask,
        }));

    /// <summary>The timer's schedule: its app setting when it has one and it is set, else the catalog's default.</summary>
    public static CronExpression Schedule(TimerTrigger timer, IConfiguration configuration)
    {
        var configured = timer.ScheduleSetting is { } setting ? configuration[setting.Replace("__", ":", StringComparison.Ordinal)] : null;
        return CronExpression.Parse(string.IsNullOrWhiteSpace(configured) ? timer.Schedule : configured, CronFormat.IncludeSeconds);
    }

    private async Task RunQueueAsync(FunctionDefinition function, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await queues.DrainOnceAsync(function, stoppingToken).ConfigureAwait(false) == 0)
                {
                    await Task.Delay(EmptyQueuePause, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Storage unreachable: keep polling, as the host does.
                logger.TimerFunctionFailed(ex, function.Name);
                await Task.Delay(EmptyQueuePause, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunTimerAsync(FunctionDefinition function, CronExpression schedule, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = schedule.GetNextOccurrence(now, TimeZoneInfo.Utc);
            if (next is null)
            {
                return;
            }

            try
            {
                await Task.Delay(next.Value - now, time, stoppingToken).ConfigureAwait(false);
                await invoker.InvokeAsync(function, FunctionInvocation.Empty, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The host would log a failed invocation and fire again at the next occurrence; so do we.
                logger.TimerFunctionFailed(ex, function.Name);
            }
        }
    }
}

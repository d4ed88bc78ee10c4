using Cronos;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Standalone mode's stand-in for the Functions host: fires each timer function of the catalog on its schedule
/// (UTC, as on Flex Consumption) through the same <see cref="FunctionInvoker"/> the host's calls reach.
/// Not started under the Functions host, which fires the timers itself.
/// </summary>
public sealed class LocalTriggerRunner(FunctionInvoker invoker, TimeProvider time, ILogger<LocalTriggerRunner> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(FunctionCatalog.All
            .Where(f => f.Trigger is TimerTrigger)
            .Select(f => RunTimerAsync(f, CronExpression.Parse(((TimerTrigger)f.Trigger).Schedule, CronFormat.IncludeSeconds), stoppingToken)));

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

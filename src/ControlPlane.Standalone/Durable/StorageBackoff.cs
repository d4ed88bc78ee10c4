namespace ControlPlane.Standalone.Durable;

/// <summary>
/// Trying a storage operation again while storage is unavailable: 1 s, then doubling to 30 s, until it succeeds or
/// the host stops (then <see cref="OperationCanceledException"/>, at once, even with an attempt in flight). Each failure
/// is reported with the wait that follows. Not for the task hub server's fire-and-forget start
/// (<see cref="StopOnceOrchestrationService"/>), which must never throw while an attempt is in flight.
/// </summary>
internal static class StorageBackoff
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    public static async Task RetryAsync(Func<Task> attempt, Action<Exception, TimeSpan> failed, CancellationToken stopping)
    {
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                await attempt().WaitAsync(stopping).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                failed(exception, delay);
            }

            await Task.Delay(delay, stopping).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }
}

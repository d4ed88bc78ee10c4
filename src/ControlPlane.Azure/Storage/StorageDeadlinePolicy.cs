using Azure.Core;
using Azure.Core.Pipeline;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Bounds each storage call, its retries and their backoff included, by the request's <see cref="StorageDeadline"/>,
/// and tells <see cref="StorageHealth"/> about calls that missed it or failed as an outage does. It sits before the
/// SDK's retry policy (per call): the retry policy alone would wait out its backoff after the deadline has passed.
/// The transport's <see cref="StorageDeadlineHandler"/> cancels the socket request itself, so an abandoned call
/// does not linger on a connection.
/// </summary>
public sealed class StorageDeadlinePolicy(StorageHealth? health) : HttpPipelinePolicy
{
    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (StorageDeadline.Current is not { } deadline)
        {
            await ObserveAsync(message, ProcessNextAsync(message, pipeline)).ConfigureAwait(false);
            return;
        }

        var remaining = deadline.Remaining;
        if (remaining <= TimeSpan.Zero)
        {
            health?.RecordDeadlineMissed();
            throw new StorageDeadlineExceededException(deadline.Limit);
        }

        var call = ObserveAsync(message, ProcessNextAsync(message, pipeline));
        try
        {
            await call.WaitAsync(remaining, TimeProvider.System).ConfigureAwait(false);
        }
        catch (StorageDeadlineExceededException)
        {
            // The handler cancelled the request on the wire at the deadline.
            health?.RecordDeadlineMissed();
            throw;
        }
        catch (TimeoutException)
        {
            // The call goes on without us (in a backoff delay, or its answer is late); whatever it ends with is
            // nobody's answer any more, observed so that it is not reported as an unobserved task exception. Its next
            // try fails at once in the handler.
            _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            health?.RecordDeadlineMissed();
            throw new StorageDeadlineExceededException(deadline.Limit);
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        // ControlPlane calls storage asynchronously only; a synchronous call keeps the SDK's own limits.
        ProcessNext(message, pipeline);
    }

    /// <summary>Counts a call that failed as an outage does; a call cut at its deadline is counted by the caller, once.</summary>
    private async Task ObserveAsync(HttpMessage message, ValueTask call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StorageDeadlineExceededException
            && (StorageFailures.IsOutage(ex) || (ex is OperationCanceledException && !message.CancellationToken.IsCancellationRequested)))
        {
            // A cancellation nobody asked for is the SDK's network timeout: storage did not answer.
            health?.RecordOutage();
            throw;
        }
    }
}

using DurableTask.Core;

namespace ControlPlane.Standalone.Durable;

/// <summary>
/// The orchestration service as the task hub server sees it, with a stop the host can await.
/// <see cref="Microsoft.DurableTask.Testing.Sidecar.Grpc.TaskHubGrpcServer"/> starts the service when a worker connects
/// and stops it from a fire-and-forget handler at shutdown, so nothing waits for that stop: the process could exit while
/// the service still holds its partition leases, and the next start would wait ~30 s for them to expire. Here every stop
/// is one shared task the host awaits, a stop before any start does nothing (the Azure Storage service throws then),
/// and a start after the stop does nothing either.
/// </summary>
internal sealed class StopOnceOrchestrationService(IOrchestrationService inner, ILogger<StopOnceOrchestrationService> logger, string taskHub) : IOrchestrationService
{
    private readonly Lock _gate = new();
    private Task? _started;
    private Task? _stopped;

    /// <summary>Stops the service once, however many callers ask; waits for a start in progress first.</summary>
    public Task StopAsync(bool isForced)
    {
        StopRequested.TrySetResult();
        lock (_gate)
        {
            return _stopped ??= StopOnceAsync(_started, isForced);
        }
    }

    public Task StopAsync() => StopAsync(isForced: false);

    public Task StartAsync()
    {
        lock (_gate)
        {
            if (_stopped is not null)
            {
                // The host stopped before the server got round to starting the service (a host disposed right after it
                // started). The server starts it from a fire-and-forget handler, where a throw would end the process:
                // starting nothing is the answer.
                return Task.CompletedTask;
            }

            return _started ??= StartUntilStoppedAsync();
        }
    }

    /// <summary>
    /// Starts the service, again and again while storage is unavailable, until it starts or the host stops. The server
    /// calls this from a fire-and-forget handler, so it must never throw: an outage at start-up would end the process.
    /// </summary>
    private async Task StartUntilStoppedAsync()
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await inner.StartAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception exception)
            {
                logger.TaskHubUnavailable(exception, taskHub, delay.TotalSeconds);
            }

            Task? stopped;
            lock (_gate)
            {
                stopped = _stopped;
            }

            if (stopped is not null || await Task.WhenAny(Task.Delay(delay), StopRequested.Task).ConfigureAwait(false) == StopRequested.Task)
            {
                throw new OperationCanceledException("The host stopped before the orchestration service could start.");
            }

            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
        }
    }

    /// <summary>Set when a stop is asked for, so a start still retrying gives up.</summary>
    private TaskCompletionSource StopRequested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task StopOnceAsync(Task? started, bool isForced)
    {
        if (started is null)
        {
            return;
        }

        try
        {
            await started.ConfigureAwait(false);
        }
        catch (Exception) when (!started.IsCompletedSuccessfully)
        {
            // A start that failed left nothing running to stop.
            return;
        }

        await inner.StopAsync(isForced).ConfigureAwait(false);
    }

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) =>
        inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
}

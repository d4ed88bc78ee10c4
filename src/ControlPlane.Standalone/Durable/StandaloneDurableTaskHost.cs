using System.Diagnostics;

namespace ControlPlane.Standalone.Durable;

/// <summary>
/// Starts and stops the Durable Task pieces in the one order that lets the next host start at once: the task hub is
/// created, the server started, then the worker; at shutdown the worker stops first (no new work is taken), then the
/// server, then the orchestration service, awaited, so its partition leases are released rather than left to expire.
/// </summary>
internal sealed class StandaloneDurableTaskHost(
    TaskHubSidecar sidecar,
    StopOnceOrchestrationService orchestrationService,
    IHostedService? worker,
    string taskHubName,
    ILogger<StandaloneDurableTaskHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private int _disposed;

    /// <summary>
    /// Creates the task hub, then starts the task hub server and the worker. When storage is unavailable the host
    /// starts anyway (the API answers, reporting the outage) and goes on trying in the background: a storage outage at
    /// start-up must not keep the app from starting.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        logger.CreatingTaskHub(taskHubName);
        await sidecar.StartAsync(cancellationToken).ConfigureAwait(false);
        // Everything else needs the task hub's tables and queues; the partition leases are taken later, in the
        // background, once the worker has connected.
        var creating = orchestrationService.CreateIfNotExistsAsync();
        try
        {
            await creating.WaitAsync(FirstCreateWait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.TaskHubUnavailable(exception, taskHubName, 1);
            _starting = Task.Run(() => CreateThenStartWorkerAsync(creating, elapsed, _stopping.Token), CancellationToken.None);
            return;
        }

        await StartWorkerAsync(elapsed, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartWorkerAsync(Stopwatch elapsed, CancellationToken cancellationToken)
    {
        if (worker is not null)
        {
            await worker.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        logger.TaskHubStarted(taskHubName, elapsed.ElapsedMilliseconds, worker is null ? "disabled" : "started");
    }

    /// <summary>How long start-up waits for the task hub before it lets the app start and goes on in the background.</summary>
    private static readonly TimeSpan FirstCreateWait = TimeSpan.FromSeconds(5);

    private async Task CreateThenStartWorkerAsync(Task firstAttempt, Stopwatch elapsed, CancellationToken stopping)
    {
        // The attempt start-up stopped waiting for is still running: wait for it before making another.
        Task? pending = firstAttempt;
        await StorageBackoff.RetryAsync(
            () => Interlocked.Exchange(ref pending, null) ?? orchestrationService.CreateIfNotExistsAsync(),
            (exception, delay) => logger.TaskHubUnavailable(exception, taskHubName, delay.TotalSeconds),
            stopping).ConfigureAwait(false);
        await StartWorkerAsync(elapsed, stopping).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Disposed already (the container went first, as a test host tearing down can): the worker was stopped then.
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        var elapsed = Stopwatch.StartNew();
        logger.StoppingTaskHub(taskHubName);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _starting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped while storage was still unavailable: nothing more was started.
        }

        if (worker is not null)
        {
            await worker.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        await sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Forced: the worker is gone, so no session in flight can finish; waiting for them only delays the release.
            await orchestrationService.StopAsync(isForced: true).WaitAsync(cancellationToken).ConfigureAwait(false);
            logger.TaskHubStopped(taskHubName, elapsed.ElapsedMilliseconds);
        }
        catch (Exception exception)
        {
            // Cancelled too: by the host's shutdown deadline, or from inside the service (its own loops cancelled under
            // load). Shutdown goes on either way; the partition leases the service still held expire by themselves.
            logger.OrchestrationServiceStopFailed(exception, taskHubName);
        }
    }

    /// <summary>
    /// A host disposed without being stopped (a failed start, a test that threw) must not leave the worker polling a
    /// disposed channel: the worker is stopped here, before the container disposes the server it talks to.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
        if (worker is null)
        {
            return;
        }

        await worker.StopAsync(CancellationToken.None).ConfigureAwait(false);
        (worker as IDisposable)?.Dispose();
    }
}

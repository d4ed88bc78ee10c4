namespace ControlPlane.Standalone.Durable;

/// <summary>The Durable Task host's log messages (event ids 200-209), source-generated so a disabled level costs nothing.</summary>
internal static partial class DurableTaskLog
{
    [LoggerMessage(200, LogLevel.Information, "Durable task hub {TaskHub}: ensuring its tables, queues and containers exist")]
    public static partial void CreatingTaskHub(this ILogger logger, string taskHub);

    [LoggerMessage(201, LogLevel.Information, "Durable task hub {TaskHub} ready in {ElapsedMs} ms; worker {WorkerState}")]
    public static partial void TaskHubStarted(this ILogger logger, string taskHub, long elapsedMs, string workerState);

    [LoggerMessage(202, LogLevel.Information, "Durable task hub {TaskHub}: stopping the worker, the task hub server, then the orchestration service")]
    public static partial void StoppingTaskHub(this ILogger logger, string taskHub);

    [LoggerMessage(203, LogLevel.Information, "Durable task hub {TaskHub} stopped in {ElapsedMs} ms; its partition leases are released")]
    public static partial void TaskHubStopped(this ILogger logger, string taskHub, long elapsedMs);

    [LoggerMessage(204, LogLevel.Warning, "Durable task hub {TaskHub}: the orchestration service did not stop cleanly; the next start may wait for its partition leases to expire")]
    public static partial void OrchestrationServiceStopFailed(this ILogger logger, Exception exception, string taskHub);

    [LoggerMessage(205, LogLevel.Warning, "Durable task hub {TaskHub}: storage is unavailable; trying again in {DelaySeconds} s (orchestrations wait, the API answers)")]
    public static partial void TaskHubUnavailable(this ILogger logger, Exception exception, string taskHub, double delaySeconds);
}

namespace ControlPlane.Functions.Hosting;

/// <summary>The app's log messages, source-generated so a disabled level costs nothing. Never log secrets or raw user ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Invoking function {Function}")]
    public static partial void InvokingFunction(this ILogger logger, string function);

    [LoggerMessage(2, LogLevel.Error, "Timer function {Function} failed; it runs again at its next occurrence")]
    public static partial void TimerFunctionFailed(this ILogger logger, Exception exception, string function);

    [LoggerMessage(3, LogLevel.Error, "Request {Method} {Path} failed")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(4, LogLevel.Warning, "Health check: storage unreachable")]
    public static partial void StorageUnreachable(this ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Queue function {Function} failed on message {MessageId} (attempt {DequeueCount}); it will be retried")]
    public static partial void QueueFunctionFailed(this ILogger logger, Exception exception, string function, string messageId, long dequeueCount);

    [LoggerMessage(6, LogLevel.Error, "Queue message {MessageId} for {Function} failed {DequeueCount} times; moved to {PoisonQueue}")]
    public static partial void QueueMessagePoisoned(this ILogger logger, string function, string messageId, long dequeueCount, string poisonQueue);
}

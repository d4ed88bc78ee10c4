namespace ControlPlane.Functions.Hosting;

/// <summary>The app's log messages, source-generated so a disabled level costs nothing. Never log secrets or raw user ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Function}: {Summary}")]
    public static partial void FunctionRan(this ILogger logger, string function, string summary);

    [LoggerMessage(3, LogLevel.Error, "Request {Method} {Path} failed")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string method, string path);

    /// <summary>A 503 the request was answered with because a backing service did not (storage down or past the deadline, a contended budget): one line, no stack.</summary>
    [LoggerMessage(6, LogLevel.Warning, "Request {Method} {Path} answered 503 {Code}: {Reason}")]
    public static partial void RequestUnavailable(this ILogger logger, string method, string path, string code, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Health check: storage unreachable ({Reason})")]
    public static partial void StorageUnreachable(this ILogger logger, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Orchestration {InstanceId}: termination requested but not yet taken effect")]
    public static partial void TerminationPending(this ILogger logger, string instanceId);
}

using Azure;

namespace ControlPlane.Azure.Storage;

/// <summary>Tells a storage outage from storage answering "no".</summary>
public static class StorageFailures
{
    /// <summary>
    /// Storage failed or never answered: a 5xx, a 408, no response at all, a timeout (the request's deadline included)
    /// or a connection failure (the SDK wraps exhausted retries in an AggregateException, whose last try a cancellation
    /// may have cut short). A 4xx such as a
    /// precondition failure is storage answering, not an outage: treating it as one would let fail-open budgets admit
    /// unreserved calls under mere contention.
    /// </summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        HttpRequestException or TimeoutException => true,
        // Tries that failed as outages, the last perhaps cut short by a cancellation: still an outage. Tries that were
        // all cancelled are one too when there were several: the SDK tries again only after a try its caller did not
        // cancel, so every one but the last hit the SDK's network timeout — storage accepted the request and never
        // answered (what a frozen or partitioned account looks like to background work, which has no request deadline).
        AggregateException aggregate => aggregate.InnerExceptions.All(e => IsOutage(e) || e is OperationCanceledException)
            && (aggregate.InnerExceptions.Any(IsOutage) || aggregate.InnerExceptions.Count > 1),
        _ => false,
    };

    /// <summary>
    /// Why a storage call failed, in one line, for a log entry that needs no stack trace: an outage is an expected
    /// condition to report, not a defect to debug, and its stack repeats the same SDK frames on every failed call.
    /// </summary>
    public static string Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: > 0 } aggregate =>
            $"{aggregate.InnerExceptions.Count} tries failed, the last: {Describe(aggregate.InnerExceptions[^1])}",
        RequestFailedException { Status: 0 } failed => $"no answer ({FirstLine(failed.InnerException?.Message ?? failed.Message)})",
        RequestFailedException failed => $"storage answered {failed.Status}{(failed.ErrorCode is { } code ? " " + code : string.Empty)}",
        _ => FirstLine(exception.Message),
    };

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}

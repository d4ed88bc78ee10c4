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
        // Tries that failed as outages, the last perhaps cut short by a cancellation: still an outage.
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsOutage)
            && aggregate.InnerExceptions.All(e => IsOutage(e) || e is OperationCanceledException),
        _ => false,
    };
}

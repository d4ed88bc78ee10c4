using ControlPlane.Functions.Hosting;
using Microsoft.AspNetCore.Diagnostics;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Last line of defence: storage outages become 503 <c>storage_unavailable</c> (retry later; nothing was
/// acknowledged), a malformed request the framework rejected stays a 400, anything else a 500 without internals.
/// </summary>
public sealed class UnhandledExceptionHandler(ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BadHttpRequestException bad => Problems.Of(bad.StatusCode, Problems.JsonInvalid, "The request could not be read.", bad.Message),
            _ when IsStorageOutage(exception) =>
                Problems.Of(StatusCodes.Status503ServiceUnavailable, Problems.StorageUnavailable,
                    "A backing service (storage or Event Grid) is unavailable; nothing was acknowledged. Retry with the same ids.", null),
            _ => Problems.Of(StatusCodes.Status500InternalServerError, Problems.InternalError, "Unexpected error.", null),
        };
        if (problem.StatusCode >= 500)
        {
            logger.RequestFailed(exception, httpContext.Request.Method, httpContext.Request.Path.Value ?? "");
        }

        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Storage refused or never answered (the SDK wraps exhausted retries in an AggregateException).</summary>
    internal static bool IsStorageOutage(Exception exception) => exception switch
    {
        global::Azure.RequestFailedException or HttpRequestException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsStorageOutage),
        _ => false,
    };
}

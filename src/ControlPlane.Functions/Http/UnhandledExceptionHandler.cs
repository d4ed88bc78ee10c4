using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Last line of defence: storage outages become 503 <c>storage_unavailable</c> (retry later; nothing was
/// acknowledged), a malformed request the framework rejected stays a 400, anything else a 500 without internals.
/// </summary>
public sealed class UnhandledExceptionHandler(ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = ProblemFor(exception);
        if (problem.StatusCode >= 500)
        {
            logger.RequestFailed(exception, httpContext.Request.Method, httpContext.Request.Path.Value ?? "");
        }

        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>The answer to a request that failed with <paramref name="exception"/>.</summary>
    public static ProblemHttpResult ProblemFor(Exception exception) => exception switch
    {
        BadHttpRequestException bad => Problems.Of(bad.StatusCode, Problems.JsonInvalid, "The request could not be read.", bad.Message),
        ControlPlane.Budgets.BudgetContentionException contention =>
            Problems.Of(StatusCodes.Status503ServiceUnavailable, Problems.BudgetContention,
                "A budget is too contended to update right now; nothing was acknowledged. Retry with the same ids.", contention.BudgetId),
        _ when StorageFailures.IsOutage(exception) =>
            Problems.Of(StatusCodes.Status503ServiceUnavailable, Problems.StorageUnavailable,
                "A backing service (storage or Event Grid) is unavailable; nothing was acknowledged. Retry with the same ids.", null),
        _ => Problems.Of(StatusCodes.Status500InternalServerError, Problems.InternalError, "Unexpected error.", null),
    };
}

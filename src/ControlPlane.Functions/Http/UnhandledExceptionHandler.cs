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
        LogFailure(logger, httpContext, exception, problem);
        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>
    /// Logs a request answered with a server error. A 503 is a known condition — storage down or past the request's
    /// deadline, a budget too contended — that under overload every request meets: one warning line naming it, not
    /// the same stack trace per request. A 500 is a defect: an error with its stack trace.
    /// </summary>
    public static void LogFailure(ILogger logger, HttpContext http, Exception exception, ProblemHttpResult problem)
    {
        var path = http.Request.Path.Value ?? string.Empty;
        if (problem.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            logger.RequestUnavailable(http.Request.Method, path, problem.ProblemDetails.Extensions["code"] as string ?? string.Empty, StorageFailures.Describe(exception));
        }
        else if (problem.StatusCode >= 500)
        {
            logger.RequestFailed(exception, http.Request.Method, path);
        }
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

using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Health;

/// <summary>Liveness with a storage check, for load balancers and the deploy smoke test. Needs no key.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", CheckAsync)
            .WithName(FunctionCatalog.Health)
            .WithTags("Health")
            .WithSummary("200 when the app can reach its storage, 503 when it cannot.")
            .AllowAnonymous();
        return app;
    }

    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> CheckAsync(
        TableProvider tables, ILogger<HealthResponse> logger, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var _ in tables.Service.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1).WithCancellation(timeout.Token))
            {
                break;
            }

            return TypedResults.Ok(new HealthResponse("healthy", "ok"));
        }
        catch (Exception ex) when (ex is OperationCanceledException || UnhandledExceptionHandler.IsStorageOutage(ex))
        {
            logger.StorageUnreachable(ex);
            return TypedResults.Json(new HealthResponse("unhealthy", "unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

public sealed record HealthResponse(string Status, string Storage);

using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Http;

namespace ControlPlane.Functions.Health;

/// <summary>Liveness with a storage check, for load balancers and the deploy smoke test. Needs no key.</summary>
[Tags("Health")]
public sealed class HealthApi(TableProvider tables, ILogger<HealthApi> logger)
{

    [Function(nameof(Health))]
    [AllowAnonymous]
    [EndpointSummary("200 when the app can reach its storage, 503 when it cannot.")]
    public async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request, CancellationToken cancellationToken)
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

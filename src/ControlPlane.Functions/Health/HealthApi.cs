using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Health;

/// <summary>Liveness with a storage check, for load balancers and the deploy smoke test. Needs no key.</summary>
[Tags("Health")]
public sealed class HealthApi(TableProvider tables, StorageHealth storageHealth, IOptions<DeadlineOptions> deadlines, ILogger<HealthApi> logger)
{
    /// <summary>How long the probe waits on storage: beyond this the answer is no better than "unreachable".</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    [Function(nameof(Health))]
    [AllowAnonymous]
    [EndpointSummary("200 healthy when storage answers; 200 degraded when it answers now but calls failed or missed their deadline lately (see recentFailures); 503 unhealthy when it does not answer.")]
    public async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request, CancellationToken cancellationToken)
    {
        var recent = storageHealth.Recent(deadlines.Value.HealthWindow);
        var failures = new RecentStorageFailures(recent.DeadlinesMissed, recent.Outages, recent.LastFailureAt, deadlines.Value.HealthWindow);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await foreach (var _ in tables.Service.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1).WithCancellation(timeout.Token))
            {
                break;
            }

            return recent.DeadlinesMissed + recent.Outages == 0
                ? TypedResults.Ok(new HealthResponse("healthy", "ok", failures))
                : TypedResults.Ok(new HealthResponse("degraded", "recovering", failures));
        }
        catch (Exception ex) when (ex is OperationCanceledException || StorageFailures.IsOutage(ex))
        {
            // Load balancers probe often: one line per probe while storage is down, not a stack trace each.
            logger.StorageUnreachable(ex is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : StorageFailures.Describe(ex));
            return TypedResults.Json(new HealthResponse("unhealthy", "unreachable", failures), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

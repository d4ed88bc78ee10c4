using ControlPlane.Access;
using ControlPlane.Capacity;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Capacity;

/// <summary>GPU pools: registry, utilization samples, and the rightsizing decisions with their reasons.</summary>
public static class GpuPoolsApi
{
    private const int MaxBodyBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapGpuPoolsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/gpu/pools").WithTags("GPU pools");
        api.MapPut("/{pool}", UpsertPoolAsync)
            .WithName(FunctionCatalog.UpsertGpuPool)
            .WithSummary("Register or change a GPU pool: scale set, bounds, utilization band, queue target, cooldowns, schedules, price, owner, mode.")
            .AcceptsJson<GpuPoolRequest>()
            .Audited(AdminActions.GpuPoolUpsert)
            .RequireAuthorization(Policies.Admin);
        api.MapGet("/", ListPoolsAsync)
            .WithName(FunctionCatalog.ListGpuPools)
            .WithSummary("Every GPU pool with its last decision.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapGet("/{pool}", GetPoolAsync)
            .WithName(FunctionCatalog.GetGpuPool)
            .WithSummary("One GPU pool with its last decision.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapPost("/{pool}/samples", PostSamplesAsync)
            .WithName(FunctionCatalog.PostGpuSamples)
            .WithSummary("Nodes or exporters report utilization (0-1) and queue depth: one sample or {\"samples\": [...]}.")
            .AcceptsJson<SamplesRequest>()
            .RequireAuthorization(Policies.Ingest);
        api.MapGet("/{pool}/decisions", GetDecisionsAsync)
            .WithName(FunctionCatalog.GetGpuDecisions)
            .WithSummary("The pool's rightsizing decisions, newest first, each with its reasons and whether it was applied.")
            .RequireAuthorization(Policies.AnyKey);
        return app;
    }

    public static async Task<Results<Ok<GpuPoolResponse>, ProblemHttpResult>> UpsertPoolAsync(
        string pool, HttpRequest request, IGpuPoolStore store, CancellationToken cancellationToken)
    {
        var (valid, problem) = await JsonBody.ReadValidAsync<GpuPoolRequest, GpuPool?>(request, MaxBodyBytes, body => body.Validate(pool), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await store.UpsertAsync(valid!, cancellationToken);
        return TypedResults.Ok(await ResponseAsync(valid!, store, cancellationToken));
    }

    public static async Task<Ok<GpuPoolListResponse>> ListPoolsAsync(IGpuPoolStore store, CancellationToken cancellationToken)
    {
        var list = new List<GpuPoolResponse>();
        foreach (var pool in (await store.ListAsync(cancellationToken)).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            list.Add(await ResponseAsync(pool, store, cancellationToken));
        }

        return TypedResults.Ok(new GpuPoolListResponse(list));
    }

    public static async Task<Results<Ok<GpuPoolResponse>, ProblemHttpResult>> GetPoolAsync(string pool, IGpuPoolStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(pool, cancellationToken) is { } found
            ? TypedResults.Ok(await ResponseAsync(found, store, cancellationToken))
            : Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");

    public static async Task<Results<Accepted<SamplesResponse>, ProblemHttpResult>> PostSamplesAsync(
        string pool, HttpContext http, IGpuPoolStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(pool, cancellationToken) is not { } found)
        {
            return Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");
        }

        if (!http.User.GetCaller().MayActForTeam(found.Team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may not report for this pool's team.", found.Team);
        }

        var (samples, problem) = await JsonBody.ReadValidAsync<SamplesRequest, IReadOnlyList<UtilizationSample>>(
            http.Request, MaxBodyBytes, body => body.Validate(time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await store.AddSamplesAsync(pool, samples!, cancellationToken);
        return TypedResults.Accepted($"/api/gpu/pools/{pool}/decisions", new SamplesResponse(samples!.Count));
    }

    public static async Task<Results<Ok<DecisionListResponse>, ProblemHttpResult>> GetDecisionsAsync(
        string pool, int? limit, IGpuPoolStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(pool, cancellationToken) is null)
        {
            return Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");
        }

        return TypedResults.Ok(new DecisionListResponse(await store.GetDecisionsAsync(pool, Math.Clamp(limit ?? 50, 1, 1000), cancellationToken)));
    }

    private static async Task<GpuPoolResponse> ResponseAsync(GpuPool pool, IGpuPoolStore store, CancellationToken cancellationToken)
    {
        var last = await store.GetDecisionsAsync(pool.Name, 1, cancellationToken);
        return new GpuPoolResponse(pool, last.Count > 0 ? last[0] : null);
    }
}

public sealed record GpuPoolResponse(GpuPool Pool, CapacityDecision? LastDecision);

public sealed record GpuPoolListResponse(IReadOnlyList<GpuPoolResponse> Pools);

public sealed record SamplesResponse(int Accepted);

public sealed record DecisionListResponse(IReadOnlyList<CapacityDecision> Decisions);

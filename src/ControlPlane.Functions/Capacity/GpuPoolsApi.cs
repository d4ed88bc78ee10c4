using System.ComponentModel;
using ControlPlane.Access;
using ControlPlane.Capacity;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Paging;

namespace ControlPlane.Functions.Capacity;

/// <summary>GPU pools: registry, utilization samples, and the rightsizing decisions with their reasons.</summary>
[Tags("GPU pools")]
public sealed class GpuPoolsApi(IGpuPoolStore store, TimeProvider time)
{
    private const int MaxBodyBytes = 256 * 1024;
    private const string ListName = "gpu-pools";
    private const string DecisionsListName = "gpu-decisions";
    private const string SamplesListName = "gpu-samples";

    [Function(nameof(UpsertGpuPool))]
    [ProblemResponse(StatusCodes.Status400BadRequest, CapacityErrors.NameInvalid, CapacityErrors.ScaleSetIdInvalid, CapacityErrors.BoundsInvalid, CapacityErrors.BandInvalid, CapacityErrors.QueueTargetInvalid, CapacityErrors.CooldownInvalid, CapacityErrors.ScheduleInvalid, CapacityErrors.PriceInvalid, CapacityErrors.TeamRequired, CapacityErrors.ModeInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.GpuPoolUpsert))]
    [AcceptsJson(typeof(GpuPoolRequest))]
    [EndpointSummary("Register or change a GPU pool: scale set, bounds, utilization band, queue target, cooldowns, schedules, price, owner, mode.")]
    public async Task<Results<Ok<GpuPoolResponse>, ProblemHttpResult>> UpsertGpuPool(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/gpu/pools/{pool}")] HttpRequest request, [Description("The GPU pool's name.")] string pool, CancellationToken cancellationToken)
    {
        var (valid, problem) = await JsonBody.ReadValidAsync<GpuPoolRequest, GpuPool?>(request, MaxBodyBytes, body => body.Validate(pool), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await store.UpsertAsync(valid!, cancellationToken);
        return TypedResults.Ok(await ResponseAsync(valid!, store, cancellationToken));
    }

    [Function(nameof(ListGpuPools))]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("GPU pools in name order, each with its last decision; an ingest key sees its teams' pools only. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<GpuPoolListResponse>, ProblemHttpResult>> ListGpuPools(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/gpu/pools")] HttpRequest http, CancellationToken cancellationToken)
    {
        var (request, problem) = PageQuery.Read(ListName, http);
        if (problem is not null)
        {
            return problem;
        }

        var caller = http.HttpContext.User.GetCaller();
        var page = await store.ListPageAsync(caller.Role == ApiRole.Ingest ? caller.Teams : null, request!, cancellationToken);
        var list = new List<GpuPoolResponse>();
        foreach (var pool in page.Items)
        {
            list.Add(await ResponseAsync(pool, store, cancellationToken));
        }

        return TypedResults.Ok(new GpuPoolListResponse(list, PageQuery.Token(ListName, page.Next)));
    }

    [Function(nameof(GetGpuPool))]
    [ProblemResponse(StatusCodes.Status404NotFound, CapacityErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [EndpointSummary("One GPU pool with its last decision; another team's pool answers 404 to an ingest key, as a missing one.")]
    public async Task<Results<Ok<GpuPoolResponse>, ProblemHttpResult>> GetGpuPool(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/gpu/pools/{pool}")] HttpRequest request, [Description("The GPU pool's name.")] string pool, CancellationToken cancellationToken) =>
        await FindVisibleAsync(pool, request.HttpContext, store, cancellationToken) is { } found
            ? TypedResults.Ok(await ResponseAsync(found, store, cancellationToken))
            : Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");

    [Function(nameof(PostGpuSamples))]
    [ProblemResponse(StatusCodes.Status400BadRequest, CapacityErrors.SamplesEmpty, CapacityErrors.SamplesTooMany, CapacityErrors.SampleInvalid,
        CapacityErrors.SampleIdInvalid, CapacityErrors.SampleWindowInvalid, CapacityErrors.SampleGpusInvalid, CapacityErrors.SampleMemoryInvalid)]
    [ProblemResponse(StatusCodes.Status404NotFound, CapacityErrors.NotFound)]
    [Authorize(Policies.Ingest)]
    [AcceptsJson(typeof(SamplesRequest))]
    [EndpointSummary("Nodes, the GPU agent or exporters report utilization (0-1, the mean over the sample's window and GPUs) and queue depth, optionally with an id (a re-sent sample is stored once), windowSeconds, readings, per-GPU means (gpus) and memory used/total: one sample or {\"samples\": [...]}.")]
    public async Task<Results<Accepted<SamplesResponse>, ProblemHttpResult>> PostGpuSamples(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/gpu/pools/{pool}/samples")] HttpRequest request, [Description("The GPU pool's name.")] string pool, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        // Another team's pool answers exactly as a missing one: a 403 would confirm the name exists.
        if (await FindVisibleAsync(pool, http, store, cancellationToken) is not { } found || !http.User.GetCaller().MayActForTeam(found.Team))
        {
            return Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");
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

    [Function(nameof(GetGpuSamples))]
    [ProblemResponse(StatusCodes.Status404NotFound, CapacityErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("The pool's samples, newest first, each with utilization (0-1, the mean over its window and GPUs), the window (windowStart, timestamp = its end, windowSeconds), per-GPU means, memory and queue depth. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<SampleListResponse>, ProblemHttpResult>> GetGpuSamples(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/gpu/pools/{pool}/samples")] HttpRequest http, [Description("The GPU pool's name.")] string pool, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(pool, http.HttpContext, store, cancellationToken) is null)
        {
            return Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");
        }

        var (request, problem) = PageQuery.Read(SamplesListName, http);
        if (problem is not null)
        {
            return problem;
        }

        var page = await store.GetSamplesPageAsync(pool, request!, cancellationToken);
        return TypedResults.Ok(new SampleListResponse(page.Items, PageQuery.Token(SamplesListName, page.Next)));
    }

    [Function(nameof(GetGpuDecisions))]
    [ProblemResponse(StatusCodes.Status404NotFound, CapacityErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("The pool's rightsizing decisions, newest first, each with its reasons and whether it was applied. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<DecisionListResponse>, ProblemHttpResult>> GetGpuDecisions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/gpu/pools/{pool}/decisions")] HttpRequest http, [Description("The GPU pool's name.")] string pool, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(pool, http.HttpContext, store, cancellationToken) is null)
        {
            return Problems.NotFoundOf(CapacityErrors.NotFound, $"GPU pool '{pool}'");
        }

        var (request, problem) = PageQuery.Read(DecisionsListName, http);
        if (problem is not null)
        {
            return problem;
        }

        var page = await store.GetDecisionsAsync(pool, request!, cancellationToken);
        return TypedResults.Ok(new DecisionListResponse(page.Items, PageQuery.Token(DecisionsListName, page.Next)));
    }

    /// <summary>The pool, when it exists and the caller may see it: an ingest key sees only its teams' pools.</summary>
    private static async Task<GpuPool?> FindVisibleAsync(string pool, HttpContext http, IGpuPoolStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(pool, cancellationToken) is { } found && http.User.GetCaller().MayReadTeam(found.Team) ? found : null;

    private static async Task<GpuPoolResponse> ResponseAsync(GpuPool pool, IGpuPoolStore store, CancellationToken cancellationToken)
    {
        var last = await store.GetDecisionsAsync(pool.Name, new PageRequest(1), cancellationToken);
        return new GpuPoolResponse(pool, last.Items.Count > 0 ? last.Items[0] : null);
    }
}

public sealed record GpuPoolResponse(GpuPool Pool, CapacityDecision? LastDecision);

/// <summary>A page of pools; <c>next</c> is absent on the last page.</summary>
public sealed record GpuPoolListResponse(IReadOnlyList<GpuPoolResponse> Pools, string? Next = null);

public sealed record SamplesResponse(int Accepted);

/// <summary>A page of samples, newest first; <c>next</c> is absent on the last page.</summary>
public sealed record SampleListResponse(IReadOnlyList<UtilizationSample> Samples, string? Next = null);

/// <summary>A page of decisions, newest first; <c>next</c> is absent on the last page.</summary>
public sealed record DecisionListResponse(IReadOnlyList<CapacityDecision> Decisions, string? Next = null);

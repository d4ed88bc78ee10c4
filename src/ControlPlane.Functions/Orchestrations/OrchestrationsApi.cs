using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Orchestrations;
using ControlPlane.Validation;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>
/// See what the nightly batch, audits and reports are doing, start one by hand, stop one, or run a stopped one again.
/// Instances are Durable orchestrations; this reads and controls them through the Durable Task client.
/// </summary>
[Tags("Orchestrations")]
public sealed class OrchestrationsApi(IEnumerable<IOrchestrationStarter> starters, IOptions<OrchestrationOptions> options, TimeProvider time, ILogger<OrchestrationsApi> logger)
{
    public const string NotFoundCode = "orchestration_not_found";
    public const string KindUnknownCode = "orchestration_kind_unknown";
    public const string NotRunningCode = "orchestration_not_running";
    public const string NotStoppedCode = "orchestration_not_stopped";
    public const string StatusInvalidCode = "orchestration_status_invalid";
    public const string IdInvalidCode = "orchestration_id_invalid";
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "orchestrations";

    /// <summary>How long terminate waits for the instance to stop before answering with what it sees.</summary>
    private static readonly TimeSpan TerminateWait = TimeSpan.FromSeconds(10);

    /// <summary>Kind (as in URLs) to orchestrator function name, from the orchestrators' <see cref="OrchestrationKindAttribute"/>.</summary>
    public static IReadOnlyDictionary<string, string> Orchestrators { get; } = FunctionIndex.All
        .Where(f => f.Trigger is OrchestrationFunctionTrigger { Kind: not null })
        .ToDictionary(f => ((OrchestrationFunctionTrigger)f.Trigger).Kind!, f => f.Name, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> KindOf = Orchestrators.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    public static string KindOfName(string orchestrator) => KindOf.GetValueOrDefault(orchestrator, orchestrator);

    [Function(nameof(ListOrchestrations))]
    [ProblemResponse(StatusCodes.Status400BadRequest, StatusInvalidCode)]
    [Authorize(Policies.Finance)]
    [QueryParameter("kind", "Only this kind (nightly-batch).")]
    [QueryParameter("status", "Only instances in this status.", Enum = typeof(RunStatus))]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Orchestration instances, newest first; filter with ?kind= and ?status=. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<OrchestrationList>, ProblemHttpResult>> ListOrchestrations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/orchestrations")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ListName, request);
        if (problem is not null)
        {
            return problem;
        }

        var (kind, status) = (request.Text("kind"), request.Text("status"));
        RunStatus? parsed = null;
        if (status is not null)
        {
            if (!EnumNames.TryParse<RunStatus>(status, out var s))
            {
                return Problems.Validation([new(StatusInvalidCode, "status", $"status must be one of {EnumNames.Allowed<RunStatus>()}.")]);
            }

            parsed = s;
        }

        // Instances are few (a run a night, kept for the retention period), so they are read whole and paged here,
        // newest first: the instance store has no time order of its own.
        var views = new List<OrchestrationView>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = false }).WithCancellation(cancellationToken))
        {
            var view = OrchestrationView.From(instance, KindOfName(instance.Name));
            if ((kind is null || view.Kind == kind) && (parsed is null || view.Status == parsed))
            {
                views.Add(view);
            }
        }

        var slice = page!.Slice(views, v => $"{DateTimeOffset.MaxValue.UtcTicks - v.CreatedAt.UtcTicks:D19}|{v.Id}");
        return TypedResults.Ok(new OrchestrationList(slice.Items, PageQuery.Token(ListName, slice.Next)));
    }

    [Function(nameof(GetOrchestration))]
    [ProblemResponse(StatusCodes.Status404NotFound, NotFoundCode)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("One instance: status, current step, input, output and last error — readable while it runs.")]
    public async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> GetOrchestration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/orchestrations/{id}")] HttpRequest request, [Description("The orchestration instance's id.")] string id,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        await ViewAsync(client, id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFoundOf(NotFoundCode, $"Orchestration '{id}'");

    [Function(nameof(StartOrchestration))]
    [ProblemResponse(StatusCodes.Status400BadRequest, IdInvalidCode, ControlPlane.Reports.ReportErrors.KindInvalid, ControlPlane.Reports.ReportErrors.PeriodInvalid)]
    [ProblemResponse(StatusCodes.Status404NotFound, KindUnknownCode)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.OrchestrationStart))]
    [AcceptsJson(typeof(StartRequest))]
    [EndpointSummary("Start an instance by hand. Optional body {instanceId, input}; starting an existing instanceId returns it (200) instead of a second run.")]
    public async Task<Results<Accepted<OrchestrationView>, Ok<OrchestrationView>, ProblemHttpResult>> StartOrchestration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{kind}/start")] HttpRequest request, [Description("The kind of orchestration to start (nightly-batch, report, …).")] string kind,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!Orchestrators.TryGetValue(kind, out var orchestrator) || starters.FirstOrDefault(s => s.Kind == kind) is not { } starter)
        {
            return Problems.NotFoundOf(KindUnknownCode, $"Orchestration kind '{kind}' (known: {string.Join(", ", starters.Select(s => s.Kind).Order(StringComparer.Ordinal))})");
        }

        var body = new StartRequest();
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (read, problem) = await JsonBody.ReadAsync<StartRequest>(request, MaxBodyBytes, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            body = read!;
        }

        if (body.InstanceId is { } requested && !IsValidId(requested))
        {
            return Problems.Of(StatusCodes.Status400BadRequest, IdInvalidCode, "instanceId must be 1-100 letters, digits, '-', '_' or '.'.");
        }

        var id = body.InstanceId ?? $"{kind}-{time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";
        object input;
        try
        {
            input = starter.CreateInput(request.HttpContext.User.GetCaller().KeyId, body.Input);
        }
        catch (OrchestrationInputException ex)
        {
            return Problems.Validation([new(ex.Code, "input", ex.Message)]);
        }

        var created = await OrchestrationRuns.StartOnceAsync(client, orchestrator, id, input, cancellationToken);
        var view = await ViewAsync(client, id, cancellationToken)
            ?? new OrchestrationView(id, kind, RunStatus.Pending, null, null, time.GetUtcNow(), time.GetUtcNow(), request.HttpContext.User.GetCaller().KeyId, null, null, null);
        return created ? TypedResults.Accepted($"/api/orchestrations/{Uri.EscapeDataString(id)}", view) : TypedResults.Ok(view);
    }

    [Function(nameof(TerminateOrchestration))]
    [ProblemResponse(StatusCodes.Status404NotFound, NotFoundCode)]
    [ProblemResponse(StatusCodes.Status409Conflict, NotRunningCode)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.OrchestrationTerminate))]
    [AcceptsJson(typeof(TerminateRequest))]
    [EndpointSummary("Stop an unfinished instance. Optional body {reason}. What it holds (a nightly run's requests) stays with it until it is retried.")]
    public async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> TerminateOrchestration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{id}/terminate")] HttpRequest request, [Description("The orchestration instance's id.")] string id,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var reason = "terminated by an admin";
        if (request.ContentLength is > 0)
        {
            var (read, problem) = await JsonBody.ReadAsync<TerminateRequest>(request, MaxBodyBytes, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            reason = string.IsNullOrWhiteSpace(read!.Reason) ? reason : read.Reason[..Math.Min(read.Reason.Length, 500)];
        }

        var view = await ViewAsync(client, id, cancellationToken);
        if (view is null)
        {
            return Problems.NotFoundOf(NotFoundCode, $"Orchestration '{id}'");
        }

        if (OrchestrationRuns.IsFinished(view.Status))
        {
            return Problems.Of(StatusCodes.Status409Conflict, NotRunningCode, "The orchestration has already finished.", $"Its status is {view.Status.ToString().ToLowerInvariant()}.");
        }

        await client.TerminateInstanceAsync(id, new TerminateInstanceOptions { Output = reason }, cancellationToken);

        // Termination is a message to the instance: wait (briefly) until it has taken effect, so the answer says so.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TerminateWait);
        try
        {
            await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.TerminationPending(id);
        }

        return TypedResults.Ok((await ViewAsync(client, id, cancellationToken))!);
    }

    [Function(nameof(RetryOrchestration))]
    [ProblemResponse(StatusCodes.Status404NotFound, NotFoundCode)]
    [ProblemResponse(StatusCodes.Status409Conflict, NotStoppedCode)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.OrchestrationRetry))]
    [EndpointSummary("Run a failed or terminated instance again under the same id and input. Its steps are idempotent and it resumes from its last finished step (a nightly run from its saved state).")]
    public async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> RetryOrchestration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/orchestrations/{id}/retry")] HttpRequest request, [Description("The orchestration instance's id.")] string id,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return Problems.NotFoundOf(NotFoundCode, $"Orchestration '{id}'");
        }

        var status = OrchestrationRuns.StatusOf(instance.RuntimeStatus);
        if (status is not (RunStatus.Failed or RunStatus.Terminated))
        {
            return Problems.Of(StatusCodes.Status409Conflict, NotStoppedCode, "Only a failed or terminated orchestration can be retried.", $"Its status is {status.ToString().ToLowerInvariant()}.");
        }

        // Same id, same input: a new execution of the instance. The old execution's history is replaced.
        var input = instance.SerializedInput is { } serialized ? JsonSerializer.Deserialize<JsonElement>(serialized) : (JsonElement?)null;
        await client.ScheduleNewOrchestrationInstanceAsync(instance.Name, input, new Microsoft.DurableTask.StartOrchestrationOptions(id), cancellationToken);
        return TypedResults.Ok((await ViewAsync(client, id, cancellationToken))!);
    }

    /// <summary>Daily: deletes finished instances and their history past <see cref="OrchestrationOptions.Retention"/>.</summary>
    /// <returns>How many instances were deleted, and the cutoff.</returns>
    [Function(nameof(OrchestrationRetentionSweep))]
    public async Task<object> OrchestrationRetentionSweep(
        [TimerTrigger("0 50 3 * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Retention;
        // A lower bound, not null: the in-process task hub server of the standalone host requires one.
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(DateTimeOffset.UnixEpoch, cutoff,
            [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]), cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(OrchestrationRetentionSweep), $"Deleted {result.PurgedInstanceCount} finished orchestration instances created before {cutoff:O}.");
        return new { deleted = result.PurgedInstanceCount, cutoff };
    }

    public static async Task<OrchestrationView?> ViewAsync(DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) is { } instance
            ? OrchestrationView.From(instance, KindOfName(instance.Name))
            : null;

    private static bool IsValidId(string id) =>
        id.Length is >= 1 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed class StartRequest
    {
        /// <summary>Optional deterministic id: a second start with the same id returns the first instance.</summary>
        public string? InstanceId { get; set; }

        /// <summary>Optional input for kinds that take one.</summary>
        public JsonElement? Input { get; set; }
    }

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed class TerminateRequest
    {
        public string? Reason { get; set; }
    }
}

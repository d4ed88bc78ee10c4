using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Orchestrations;
using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>See what the nightly batch, audits and reports are doing, start one by hand, stop or resume one.</summary>
public static class OrchestrationsApi
{
    public const string NotFoundCode = "orchestration_not_found";
    public const string KindUnknownCode = "orchestration_kind_unknown";
    public const string NotRunningCode = "orchestration_not_running";
    public const string NotStoppedCode = "orchestration_not_stopped";
    public const string StatusInvalidCode = "orchestration_status_invalid";
    public const string IdInvalidCode = "orchestration_id_invalid";
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "orchestrations";

    public static IEndpointRouteBuilder MapOrchestrationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/orchestrations").WithTags("Orchestrations");
        api.MapGet("/", ListAsync)
            .WithName(FunctionCatalog.ListOrchestrations)
            .WithSummary("Orchestration instances, newest first; filter with ?kind= and ?status= (running, waiting, completed, failed, terminated). Pages with ?limit= (default 100, at most 1,000) and ?next=.")
            .RequireAuthorization(Policies.Finance);
        api.MapGet("/{id}", GetAsync)
            .WithName(FunctionCatalog.GetOrchestration)
            .WithSummary("One instance: status, current step, state, history and last error — readable while it runs.")
            .RequireAuthorization(Policies.Finance);
        api.MapPost("/{kind}/start", StartAsync)
            .WithName(FunctionCatalog.StartOrchestration)
            .WithSummary("Start an instance by hand. Optional body {instanceId, input}; starting an existing instanceId returns it (200) instead of a second run.")
            .Audited(AdminActions.OrchestrationStart)
            .RequireAuthorization(Policies.Admin);
        api.MapPost("/{id}/terminate", TerminateAsync)
            .WithName(FunctionCatalog.TerminateOrchestration)
            .WithSummary("Stop an unfinished instance. Optional body {reason}. What it holds (a nightly run's requests) stays with it until it is retried.")
            .Audited(AdminActions.OrchestrationTerminate)
            .RequireAuthorization(Policies.Admin);
        api.MapPost("/{id}/retry", RetryAsync)
            .WithName(FunctionCatalog.RetryOrchestration)
            .WithSummary("Resume a failed or terminated instance at the step where it stopped.")
            .Audited(AdminActions.OrchestrationRetry)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public static async Task<Results<Ok<OrchestrationList>, ProblemHttpResult>> ListAsync(
        string? kind, string? status, [Description(PageQuery.LimitDescription)] int? limit, [Description(PageQuery.NextDescription)] string? next, IOrchestrationStore store, CancellationToken cancellationToken)
    {
        var (request, problem) = PageQuery.Read(ListName, limit, next, 3, TablePages.IsNewestFirstPosition);
        if (problem is not null)
        {
            return problem;
        }

        OrchestrationStatus? parsed = null;
        if (status is not null)
        {
            if (!EnumNames.TryParse<OrchestrationStatus>(status, out var s))
            {
                return Problems.Validation([new(StatusInvalidCode, "status", $"status must be one of {EnumNames.Allowed<OrchestrationStatus>()}.")]);
            }

            parsed = s;
        }

        var page = await store.ListAsync(kind, parsed, request!, cancellationToken);
        return TypedResults.Ok(new OrchestrationList([.. page.Items.Select(i => OrchestrationView.From(i, null))], PageQuery.Token(ListName, page.Next)));
    }

    public static async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> GetAsync(string id, IOrchestrationStore store, CancellationToken cancellationToken)
    {
        var instance = await store.GetAsync(id, cancellationToken);
        if (instance is null)
        {
            return Problems.NotFoundOf(NotFoundCode, $"Orchestration '{id}'");
        }

        return TypedResults.Ok(OrchestrationView.From(instance, await store.GetHistoryAsync(id, cancellationToken)));
    }

    public static async Task<Results<Accepted<OrchestrationView>, Ok<OrchestrationView>, ProblemHttpResult>> StartAsync(
        string kind, HttpContext http, OrchestrationEngine engine, CancellationToken cancellationToken)
    {
        if (!engine.Kinds.Contains(kind))
        {
            return Problems.NotFoundOf(KindUnknownCode, $"Orchestration kind '{kind}' (known: {string.Join(", ", engine.Kinds.Order(StringComparer.Ordinal))})");
        }

        var body = new StartRequest();
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var (read, problem) = await JsonBody.ReadAsync<StartRequest>(http.Request, MaxBodyBytes, cancellationToken);
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

        var started = await engine.StartAsync(kind, body.InstanceId, body.Input?.GetRawText(), http.User.GetCaller().KeyId, cancellationToken);
        var view = OrchestrationView.From(started.Instance, null);
        return started.Created ? TypedResults.Accepted($"/api/orchestrations/{Uri.EscapeDataString(view.Id)}", view) : TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> TerminateAsync(
        string id, HttpContext http, OrchestrationEngine engine, CancellationToken cancellationToken)
    {
        var reason = "terminated by an admin";
        if (http.Request.ContentLength is > 0)
        {
            var (read, problem) = await JsonBody.ReadAsync<TerminateRequest>(http.Request, MaxBodyBytes, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            reason = string.IsNullOrWhiteSpace(read!.Reason) ? reason : read.Reason[..Math.Min(read.Reason.Length, 500)];
        }

        return Answer(await engine.TerminateAsync(id, reason, http.User.GetCaller().KeyId, cancellationToken), id, NotRunningCode, "The orchestration has already finished.");
    }

    public static async Task<Results<Ok<OrchestrationView>, ProblemHttpResult>> RetryAsync(
        string id, HttpContext http, OrchestrationEngine engine, CancellationToken cancellationToken) =>
        Answer(await engine.RetryAsync(id, http.User.GetCaller().KeyId, cancellationToken), id, NotStoppedCode, "Only a failed or terminated orchestration can be retried.");

    private static Results<Ok<OrchestrationView>, ProblemHttpResult> Answer(ControlResult result, string id, string wrongStatusCode, string wrongStatusTitle) =>
        result.Outcome switch
        {
            ControlOutcome.NotFound => Problems.NotFoundOf(NotFoundCode, $"Orchestration '{id}'"),
            ControlOutcome.WrongStatus => Problems.Of(StatusCodes.Status409Conflict, wrongStatusCode, wrongStatusTitle, $"Its status is {result.Instance!.Status.ToString().ToLowerInvariant()}."),
            _ => TypedResults.Ok(OrchestrationView.From(result.Instance!, null)),
        };

    private static bool IsValidId(string id) =>
        id.Length is >= 1 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed class StartRequest
    {
        /// <summary>Optional deterministic id: a second start with the same id returns the first instance.</summary>
        public string? InstanceId { get; set; }

        /// <summary>Optional input, passed to the orchestration's initial state.</summary>
        public JsonElement? Input { get; set; }
    }

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed class TerminateRequest
    {
        public string? Reason { get; set; }
    }
}

/// <summary>A page of instances, newest first; <c>next</c> is absent on the last page.</summary>
public sealed record OrchestrationList(IReadOnlyList<OrchestrationView> Instances, string? Next = null);

/// <summary>An instance as the API shows it; state and output are the orchestration's own JSON.</summary>
public sealed record OrchestrationView(
    string Id,
    string Kind,
    OrchestrationStatus Status,
    string Step,
    int Attempt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? WakeAt,
    string? StartedBy,
    OrchestrationError? LastError,
    JsonElement? State,
    JsonElement? Output,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<OrchestrationHistoryEntry>? History)
{
    public static OrchestrationView From(OrchestrationInstance i, IReadOnlyList<OrchestrationHistoryEntry>? history) => new(
        i.Id, i.Kind, i.Status, i.Step, i.Attempt, i.CreatedAt, i.UpdatedAt, i.WakeAt, i.StartedBy, i.LastError,
        Parse(i.State), i.Output is null ? null : Parse(i.Output), history);

    private static JsonElement? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Output may be plain text; show it as a JSON string rather than fail the read.
            return JsonSerializer.SerializeToElement(json);
        }
    }
}

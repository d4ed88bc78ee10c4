using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.Batch;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Batch;

/// <summary>Deferrable work: post a chat-completions request now, get the answer after tonight's batch at half the price.</summary>
public static class BatchApi
{
    public const string NotConfiguredCode = "batch_not_configured";

    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/batch/requests").WithTags("Batch");
        api.MapPost("/", SubmitAsync)
            .WithName(FunctionCatalog.SubmitBatchRequest)
            .WithSummary("Submit a deferrable chat-completions request: 202 with its id, the estimated real-time and batch cost and the saving. The batch ceiling is reserved against budgets now; 402 when a budget cannot afford it.")
            .AcceptsJson<BatchSubmissionRequest>()
            .RequireAuthorization(Policies.Ingest);
        api.MapGet("/", ListAsync)
            .WithName(FunctionCatalog.ListBatchRequests)
            .WithSummary("Deferrable requests, newest first; ?team= (required for a key bound to several teams), ?status=, ?limit=.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapGet("/{id}", GetAsync)
            .WithName(FunctionCatalog.GetBatchRequest)
            .WithSummary("A deferrable request's status, cost and saving; when completed, the provider's answer as `result`.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapDelete("/{id}", CancelAsync)
            .WithName(FunctionCatalog.CancelBatchRequest)
            .WithSummary("Cancel a request not yet sent to the provider; its reservation is released. 409 once submitted.")
            .RequireAuthorization(Policies.Ingest);
        return app;
    }

    public sealed record SubmitServices(
        BatchRequestService Service, UsageEventValidator Validator, TimeProvider Time, IOptions<BudgetOptions> Budgets, IOptions<BatchOptions> Options, BatchAvailability Availability);

    public static async Task<Results<Accepted<BatchRequestView>, Ok<BatchRequestView>, ProblemHttpResult>> SubmitAsync(
        HttpContext http, [AsParameters] SubmitServices services, CancellationToken cancellationToken)
    {
        if (!services.Availability.Configured)
        {
            return NotConfigured();
        }

        var maxBytes = services.Options.Value.MaxBodyBytes + (64 * 1024);
        var (submission, problem) = await JsonBody.ReadValidAsync<BatchSubmissionRequest, BatchSubmission?>(http.Request, maxBytes,
            body => body.Validate(services.Validator, services.Budgets.Value, services.Options.Value, services.Time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!http.User.GetCaller().MayActForTeam(submission!.Attribution.Team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may not submit work for this team.", submission.Attribution.Team);
        }

        return await services.Service.SubmitAsync(submission, cancellationToken) switch
        {
            SubmitOutcome.Accepted { Created: true } accepted =>
                TypedResults.Accepted($"/api/batch/requests/{Uri.EscapeDataString(accepted.Request.Id)}", BatchRequestView.From(accepted.Request, null)),
            SubmitOutcome.Accepted accepted => TypedResults.Ok(BatchRequestView.From(accepted.Request, null)),
            SubmitOutcome.Denied denied => Denied(denied.Authorization),
            SubmitOutcome.Unpriced unpriced => Problems.Of(StatusCodes.Status400BadRequest, BatchErrors.ModelUnpriced, "The model has no price, so its batch cost cannot be reserved.",
                $"No azure-openai price entry covers '{unpriced.Model}'. Add one with PUT /api/prices."),
            SubmitOutcome.IdConflict conflict => Problems.Of(StatusCodes.Status409Conflict, BatchErrors.IdConflict, "Another request already has this id.", conflict.Existing.Id),
            _ => throw new InvalidOperationException("Unknown submit outcome."),
        };
    }

    public static async Task<Results<Ok<BatchRequestList>, ProblemHttpResult>> ListAsync(
        string? team, string? status, int? limit, HttpContext http, IBatchRequestStore store, CancellationToken cancellationToken)
    {
        var caller = http.User.GetCaller();
        if (caller.Role == ApiRole.Ingest)
        {
            team ??= caller.Teams.Count == 1 ? caller.Teams[0] : null;
            if (team is null || !caller.MayActForTeam(team))
            {
                return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden,
                    "Name one of this key's teams with ?team=.", string.Join(", ", caller.Teams));
            }
        }

        BatchRequestStatus? parsed = null;
        if (status is not null)
        {
            if (!EnumNames.TryParse<BatchRequestStatus>(status, out var s))
            {
                return Problems.Validation([new(BatchErrors.StatusInvalid, "status", $"status must be one of {EnumNames.Allowed<BatchRequestStatus>()}.")]);
            }

            parsed = s;
        }

        var requests = await store.ListAsync(team, parsed, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken);
        return TypedResults.Ok(new BatchRequestList([.. requests.Select(r => BatchRequestView.From(r, null))]));
    }

    public static async Task<Results<Ok<BatchRequestView>, ProblemHttpResult>> GetAsync(
        string id, HttpContext http, IBatchRequestStore store, IBatchPayloadStore payloads, CancellationToken cancellationToken)
    {
        var request = await store.GetAsync(id, cancellationToken);
        if (request is null || !http.User.GetCaller().MayReadTeam(request.Team))
        {
            return Problems.NotFoundOf(BatchErrors.NotFound, $"Batch request '{id}'");
        }

        JsonElement? result = null;
        if (request.Status == BatchRequestStatus.Completed && await payloads.GetResultAsync(id, cancellationToken) is { } stored)
        {
            using var document = JsonDocument.Parse(stored);
            result = document.RootElement.Clone();
        }

        return TypedResults.Ok(BatchRequestView.From(request, result));
    }

    public static async Task<Results<Ok<BatchRequestView>, ProblemHttpResult>> CancelAsync(
        string id, HttpContext http, IBatchRequestStore store, BatchRequestService service, CancellationToken cancellationToken)
    {
        var existing = await store.GetAsync(id, cancellationToken);
        if (existing is null || !http.User.GetCaller().MayActForTeam(existing.Team))
        {
            return Problems.NotFoundOf(BatchErrors.NotFound, $"Batch request '{id}'");
        }

        var outcome = await service.CancelAsync(id, cancellationToken);
        return outcome.Result switch
        {
            CancelResult.Cancelled => TypedResults.Ok(BatchRequestView.From(outcome.Request!, null)),
            CancelResult.AlreadySubmitted => Problems.Of(StatusCodes.Status409Conflict, BatchErrors.AlreadySubmitted,
                "The request is already in tonight's batch and can no longer be cancelled.", $"Its status is {outcome.Request!.Status.ToString().ToLowerInvariant()}."),
            CancelResult.AlreadyFinished => Problems.Of(StatusCodes.Status409Conflict, BatchErrors.AlreadyFinished,
                "The request has already finished.", $"Its status is {outcome.Request!.Status.ToString().ToLowerInvariant()}."),
            _ => Problems.NotFoundOf(BatchErrors.NotFound, $"Batch request '{id}'"),
        };
    }

    private static ProblemHttpResult NotConfigured() => Problems.Of(StatusCodes.Status503ServiceUnavailable, NotConfiguredCode,
        "Deferrable requests need Azure OpenAI: set ControlPlane:AzureOpenAI:Endpoint.");

    /// <summary>402, as the authorize endpoint's denial, with the budget that refused and what remains on it.</summary>
    private static ProblemHttpResult Denied(AuthorizeResult denial) => TypedResults.Problem(
        title: "A budget cannot afford this request's batch ceiling.",
        detail: denial.BudgetId is null ? denial.Reason : $"{denial.Reason} on budget '{denial.BudgetId}'.",
        statusCode: StatusCodes.Status402PaymentRequired,
        type: $"urn:controlplane:problem:{BatchErrors.Denied}",
        extensions: new Dictionary<string, object?>
        {
            ["code"] = BatchErrors.Denied,
            ["reason"] = denial.Reason,
            ["budgetId"] = denial.BudgetId,
            ["remainingUsd"] = denial.RemainingUsd,
            ["maxAffordableOutputTokens"] = denial.MaxAffordableOutputTokens,
        });
}

/// <summary>Whether Azure OpenAI is configured; without it the batch endpoints answer 503 and the nightly run does nothing.</summary>
public sealed record BatchAvailability(bool Configured);

public sealed record BatchRequestList(IReadOnlyList<BatchRequestView> Requests);

/// <summary>A deferrable request as the API shows it.</summary>
public sealed record BatchRequestView(
    string Id,
    BatchRequestStatus Status,
    string Team,
    string Feature,
    string? User,
    string? App,
    string Environment,
    string Model,
    string Deployment,
    long MaxOutputTokens,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset ReceivedAt,
    DateTimeOffset UpdatedAt,
    long EstimatedInputTokens,
    decimal EstimatedBatchCostUsd,
    decimal EstimatedRealtimeCostUsd,
    decimal EstimatedSavingUsd,
    string? ReservationId,
    DateTimeOffset? ReservationExpiresAt,
    int Attempts,
    string? RunId,
    string? BatchId,
    DateTimeOffset? CompletedAt,
    decimal? CostUsd,
    decimal? RealtimeCostUsd,
    decimal? SavingUsd,
    UsageTokens? Tokens,
    string? UsageEventId,
    BatchRequestError? LastError,
    JsonElement? Result)
{
    public static BatchRequestView From(BatchRequest r, JsonElement? result) => new(
        r.Id, r.Status, r.Team, r.Feature, r.User, r.App, r.Environment, r.Model, r.Deployment, r.MaxOutputTokens, r.Metadata,
        r.ReceivedAt, r.UpdatedAt, r.EstimatedInputTokens, r.EstimatedBatchCostUsd, r.EstimatedRealtimeCostUsd,
        r.EstimatedRealtimeCostUsd - r.EstimatedBatchCostUsd, r.ReservationId, r.ReservationExpiresAt, r.Attempts, r.RunId, r.BatchId,
        r.CompletedAt, r.CostUsd, r.RealtimeCostUsd, r.RealtimeCostUsd - r.CostUsd, r.Tokens, r.UsageEventId, r.LastError, result);
}

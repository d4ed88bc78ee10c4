using System.ComponentModel;
using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.Azure.Storage;
using ControlPlane.Batch;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Batch;

/// <summary>Deferrable work: post a chat-completions request now, get the answer after tonight's batch at half the price.</summary>
[Tags("Batch")]
public sealed class BatchApi(
    BatchRequestService service, IBatchRequestStore store, IBatchPayloadStore payloads, UsageEventValidator validator, PriceCatalog prices, TimeProvider time,
    IOptions<BudgetOptions> budgets, IOptions<BatchOptions> options, BatchAvailability availability)
{
    public const string NotConfiguredCode = "batch_not_configured";
    private const string ListName = "batch-requests";

    [Function(nameof(SubmitBatchRequest))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BatchErrors.IdInvalid, BatchErrors.BodyRequired, BatchErrors.BodyInvalid, BatchErrors.BodyTooLarge, BatchErrors.MessagesRequired, BatchErrors.MaxTokensConflict, BatchErrors.MetadataInvalid, BatchErrors.StreamingUnsupported, BatchErrors.ModelUnpriced, BudgetErrors.MaxOutputTokensRequired, UsageErrors.FieldRequired, UsageErrors.FieldTooLong, UsageErrors.FieldInvalid, UsageErrors.IdTooLong, UsageErrors.DeploymentTypeInvalid, UsageErrors.TokensMissing, UsageErrors.TokensConflict, UsageErrors.TokensNegative, UsageErrors.TokensTooLarge, UsageErrors.TokensPartitionInput, UsageErrors.TokensPartitionOutput, UsageErrors.TokensTotalMismatch, UsageErrors.TimestampInvalid, UsageErrors.TimestampTooOld, UsageErrors.TimestampInFuture, UsageErrors.UnitsInvalid, UsageErrors.RequestHashInvalid, UsageErrors.TagsTooMany, UsageErrors.TagInvalid, UsageErrors.LatencyInvalid, UsageErrors.IdReserved, UsageErrors.BatchPriceReserved, UsageErrors.ProviderUnknown, UsageErrors.ProviderModelMismatch)]
    [ProblemResponse(StatusCodes.Status402PaymentRequired, BatchErrors.Denied)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [ProblemResponse(StatusCodes.Status409Conflict, BatchErrors.IdConflict)]
    [ProblemResponse(StatusCodes.Status503ServiceUnavailable, NotConfiguredCode, Problems.BudgetContention)]
    [Authorize(Policies.Ingest)]
    [AcceptsJson(typeof(BatchSubmissionRequest))]
    [EndpointSummary("Submit a deferrable chat-completions request: 202 with its id, the estimated real-time and batch cost and the saving. The batch ceiling is reserved against budgets now; 402 when a budget cannot afford it.")]
    public async Task<Results<Accepted<BatchRequestView>, Ok<BatchRequestView>, ProblemHttpResult>> SubmitBatchRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/batch/requests")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (!availability.Configured)
        {
            return NotConfigured();
        }

        var http = request.HttpContext;
        var maxBytes = options.Value.MaxBodyBytes + (64 * 1024);
        var sheet = await prices.GetSheetAsync(cancellationToken);
        var (submission, problem) = await JsonBody.ReadValidAsync<BatchSubmissionRequest, BatchSubmission?>(http.Request, maxBytes,
            body => body.Validate(validator, sheet, budgets.Value, options.Value, time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!http.User.GetCaller().MayActForTeam(submission!.Attribution.Team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may not submit work for this team.", submission.Attribution.Team);
        }

        return await service.SubmitAsync(submission, cancellationToken) switch
        {
            SubmitOutcome.Accepted { Created: true } accepted =>
                TypedResults.Accepted($"/api/batch/requests/{Uri.EscapeDataString(accepted.Request.Id)}", BatchRequestView.From(accepted.Request, null)),
            SubmitOutcome.Accepted accepted => TypedResults.Ok(BatchRequestView.From(accepted.Request, null)),
            SubmitOutcome.Denied denied => Denied(denied.Authorization),
            SubmitOutcome.Unpriced unpriced => Problems.Of(StatusCodes.Status400BadRequest, BatchErrors.ModelUnpriced, "The model has no price, so its batch cost cannot be reserved.",
                $"No azure-openai price entry covers '{unpriced.Model}'. Add one with PUT /api/prices."),
            SubmitOutcome.IdConflict conflict => Problems.Of(StatusCodes.Status409Conflict, BatchErrors.IdConflict, "Another request of this team already has this id.", conflict.Existing.Id),
            _ => throw new InvalidOperationException("Unknown submit outcome."),
        };
    }

    [Function(nameof(ListBatchRequests))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BatchErrors.StatusInvalid)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("team", "Only this team's requests; required for a key bound to several teams.")]
    [QueryParameter("status", "Only requests in this status.", Enum = typeof(BatchRequestStatus))]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Deferrable requests, newest first; ?team= (required for a key bound to several teams), ?status=. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<BatchRequestList>, ProblemHttpResult>> ListBatchRequests(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/batch/requests")] HttpRequest http, CancellationToken cancellationToken)
    {
        var (team, status) = (http.Text("team"), http.Text("status"));
        var caller = http.HttpContext.User.GetCaller();
        if (!caller.TryOwnTeam(team, out team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden,
                "Name one of this key's teams with ?team=.", string.Join(", ", caller.Teams));
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

        var (request, problem) = PageQuery.Read(ListName, http, 3, TablePages.IsNewestFirstPosition);
        if (problem is not null)
        {
            return problem;
        }

        var page = await store.ListAsync(team, parsed, request!, cancellationToken);
        return TypedResults.Ok(new BatchRequestList([.. page.Items.Select(r => BatchRequestView.From(r, null))], PageQuery.Token(ListName, page.Next)));
    }

    [Function(nameof(GetBatchRequest))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BatchErrors.TeamRequired)]
    [ProblemResponse(StatusCodes.Status404NotFound, BatchErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("team", "The team whose request this is, when the caller sees several teams' requests with this id.")]
    [EndpointSummary("A deferrable request's status, cost and saving; when completed, the provider's answer as `result`. Ids are unique per team: ?team= picks one when the caller sees several teams' requests with this id.")]
    public async Task<Results<Ok<BatchRequestView>, ProblemHttpResult>> GetBatchRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/batch/requests/{id}")] HttpRequest http, [Description("The deferrable request's id.")] string id, CancellationToken cancellationToken)
    {
        var caller = http.HttpContext.User.GetCaller();
        var (request, problem) = await FindAsync(id, http.Text("team"), caller.MayReadTeam, store, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        JsonElement? result = null;
        if (request!.Status == BatchRequestStatus.Completed && await payloads.GetResultAsync(request.Key, cancellationToken) is { } stored)
        {
            using var document = JsonDocument.Parse(stored);
            result = document.RootElement.Clone();
        }

        return TypedResults.Ok(BatchRequestView.From(request, result));
    }

    [Function(nameof(CancelBatchRequest))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BatchErrors.TeamRequired)]
    [ProblemResponse(StatusCodes.Status404NotFound, BatchErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, BatchErrors.AlreadySubmitted, BatchErrors.AlreadyFinished)]
    [Authorize(Policies.Ingest)]
    [QueryParameter("team", "The team whose request this is, when the caller may act for several teams' requests with this id.")]
    [EndpointSummary("Cancel a request not yet sent to the provider; its reservation is released. 409 once submitted. ?team= as for GET.")]
    public async Task<Results<Ok<BatchRequestView>, ProblemHttpResult>> CancelBatchRequest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/batch/requests/{id}")] HttpRequest http, [Description("The deferrable request's id.")] string id, CancellationToken cancellationToken)
    {
        var caller = http.HttpContext.User.GetCaller();
        var (existing, problem) = await FindAsync(id, http.Text("team"), caller.MayActForTeam, store, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var outcome = await service.CancelAsync(id, existing!.Team, cancellationToken);
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

    /// <summary>
    /// The request with this id among the teams the caller may see (or the one <paramref name="team"/> names). Another
    /// team's request answers exactly as a missing one, so no key learns which ids other teams use.
    /// </summary>
    private static async Task<(BatchRequest? Request, ProblemHttpResult? Problem)> FindAsync(
        string id, string? team, Func<string, bool> mayUse, IBatchRequestStore store, CancellationToken cancellationToken)
    {
        var visible = (await store.FindAsync(id, cancellationToken))
            .Where(r => mayUse(r.Team) && (team is null || r.Team == team))
            .ToList();
        return visible.Count switch
        {
            0 => (null, Problems.NotFoundOf(BatchErrors.NotFound, $"Batch request '{id}'")),
            1 => (visible[0], null),
            _ => (null, Problems.Validation([new(BatchErrors.TeamRequired, "team",
                $"Several of the teams this key sees have a request '{id}': name one with ?team= ({string.Join(", ", visible.Select(r => r.Team).Order(StringComparer.Ordinal))}).")])),
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

/// <summary>A page of requests, newest first; <c>next</c> is absent on the last page.</summary>
public sealed record BatchRequestList(IReadOnlyList<BatchRequestView> Requests, string? Next = null);

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

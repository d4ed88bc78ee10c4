using System.ComponentModel;
using ControlPlane.Access;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Usage;

/// <summary>Usage ingest, single-event lookup and cost queries.</summary>
[Tags("Usage")]
public sealed class UsageApi(UsageIngestService ingest, UsageEventValidator validator, PriceCatalog prices, IUsageStore store, TimeProvider time, IOptions<UsageOptions> options)
{

    [Function(nameof(RecordUsage))]
    [Deadline(RequestDeadline.Ingest)]
    [ProblemResponse(StatusCodes.Status400BadRequest, UsageErrors.BatchEmpty, UsageErrors.BatchTooLarge, UsageErrors.RequestAmbiguous, UsageErrors.EventNull, UsageErrors.FieldRequired, UsageErrors.FieldTooLong, UsageErrors.FieldInvalid, UsageErrors.IdTooLong, UsageErrors.DeploymentTypeInvalid, UsageErrors.TokensMissing, UsageErrors.TokensConflict, UsageErrors.TokensNegative, UsageErrors.TokensTooLarge, UsageErrors.TokensPartitionInput, UsageErrors.TokensPartitionOutput, UsageErrors.TokensTotalMismatch, UsageErrors.TimestampInvalid, UsageErrors.TimestampTooOld, UsageErrors.TimestampInFuture, UsageErrors.UnitsInvalid, UsageErrors.RequestHashInvalid, UsageErrors.TagsTooMany, UsageErrors.TagInvalid, UsageErrors.LatencyInvalid, UsageErrors.IdReserved, UsageErrors.BatchPriceReserved, UsageErrors.ProviderUnknown, UsageErrors.ProviderModelMismatch, UsageErrors.ShapeMixed)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [ProblemResponse(StatusCodes.Status503ServiceUnavailable, Problems.BudgetContention)]
    [Authorize(Policies.Ingest)]
    [AcceptsJson(typeof(UsageIngestRequest))]
    [EndpointSummary("Record one LLM call, or up to 1,000 as {\"events\": [...]}; idempotent by event id.")]
    public async Task<Results<Ok<IngestResponse>, ProblemHttpResult>> RecordUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/usage")] HttpRequest request, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var sheet = await prices.GetSheetAsync(cancellationToken);
        var (events, problem) = await JsonBody.ReadValidAsync<UsageIngestRequest, IReadOnlyList<UsageEvent>>(http.Request, options.Value.MaxRequestBytes,
            body => validator.ValidateIngest(body, sheet, time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = http.User.GetCaller();
        var foreign = events!.Select(e => e.Team).Distinct(StringComparer.Ordinal).Where(t => !caller.MayActForTeam(t)).ToList();
        if (foreign.Count > 0)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden,
                "This key may not record usage for these teams; nothing was recorded.", string.Join(", ", foreign));
        }

        var result = await ingest.RecordAsync(events!, cancellationToken);
        return TypedResults.Ok(new IngestResponse(
            result.Recorded,
            result.Duplicates,
            result.CostUsd,
            [.. result.Events.Select(e =>
            {
                var charge = e.Stored is { } stored ? result.Budgets.GetValueOrDefault(stored.Event.Key) : null;
                return new IngestEventResponse(e.Id, e.Status, e.CostUsd, e.Unpriced, charge?.CeilingBreach == true ? true : null,
                    e.Status == RecordStatus.Recorded ? charge?.Reservation : null, e.Stored?.Event.Late == true && e.Status == RecordStatus.Recorded ? true : null);
            })]));
    }

    [Function(nameof(GetUsageEvent))]
    [ProblemResponse(StatusCodes.Status400BadRequest, UsageErrors.TeamRequired)]
    [ProblemResponse(StatusCodes.Status404NotFound, UsageErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("team", "The team whose event this is, when the caller sees several teams that used the id.")]
    [EndpointSummary("A recorded event with the cost it was charged and the price it was charged at. Ids are per team: ?team= picks one when several teams the caller sees used the id.")]
    public async Task<Results<Ok<UsageEventResponse>, ProblemHttpResult>> GetUsageEvent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/usage/{id}")] HttpRequest request, [Description("The usage event's id, as the client sent it.")] string id, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var team = request.Text("team");
        // Ids are per team. An ingest key sees only its own teams' events; another team's answers 404 (not 403),
        // exactly like an id nobody used, so no answer reveals that it exists.
        var caller = http.User.GetCaller();
        var visible = (await store.FindAsync(id, cancellationToken))
            .Where(e => caller.MayReadTeam(e.Event.Team) && (team is null || e.Event.Team == team))
            .ToList();
        return visible.Count switch
        {
            0 => Problems.NotFoundOf(UsageErrors.NotFound, $"Usage event '{id}'"),
            1 => TypedResults.Ok(UsageEventResponse.From(visible[0])),
            _ => Problems.Validation([new(UsageErrors.TeamRequired, "team",
                $"Teams {string.Join(", ", visible.Select(e => e.Event.Team).Order(StringComparer.Ordinal))} each recorded an event '{id}': name one with ?team=.")]),
        };
    }
}

/// <summary><c>POST /api/usage</c> answer.</summary>
public sealed record IngestResponse(int Recorded, int Duplicates, decimal CostUsd, IReadOnlyList<IngestEventResponse> Events);

/// <summary>
/// What happened to one posted event; <c>costUsd</c> of a duplicate is what its first recording charged.
/// <c>ceilingBreach</c> is true when the actual cost exceeded the reservation's ceiling (the input estimate was low;
/// the excess was charged at once). <c>reservation</c> says what the event's <c>reservationId</c> did: <c>settled</c>,
/// or why not (<c>unknown</c>, <c>foreign</c>, <c>reused</c>, <c>expired</c>, <c>released</c>, <c>owned</c>), in which
/// case the event was charged post hoc to its own budgets. <c>late</c>: it arrived after the grace window and was
/// charged to the budgets' current period.
/// </summary>
public sealed record IngestEventResponse(string Id, RecordStatus Status, decimal CostUsd, bool Unpriced, bool? CeilingBreach = null,
    ControlPlane.Budgets.ReservationOutcome? Reservation = null, bool? Late = null);

/// <summary>A recorded event as <c>GET /api/usage/{id}</c> shows it.</summary>
public sealed record UsageEventResponse(
    string Id, DateTimeOffset Timestamp, string Team, string Feature, string? User, string? App, string Environment,
    string? PromptTemplate, string? Provider, string Model, string? Deployment, string? DeploymentType, bool Batch,
    long InputTokens, long CachedInputTokens, long CacheWriteTokens, long OutputTokens, long ReasoningTokens,
    string? ReservationId, decimal? Units, IReadOnlyDictionary<string, string>? Tags, long? LatencyMs, string? Status,
    decimal CostUsd, bool Unpriced, UsageCost Cost, DateTimeOffset? RecordedAt, bool Late, string? Session = null, string? RequestHash = null)
{
    public static UsageEventResponse From(PricedUsageEvent priced)
    {
        var (e, cost) = priced;
        return new(e.Id, e.Timestamp, e.Team, e.Feature, e.User, e.App, e.Environment, e.PromptTemplate, e.Provider, e.Model,
            e.Deployment, e.DeploymentType, e.Batch, e.Tokens.InputTokens, e.Tokens.CachedInputTokens, e.Tokens.CacheWriteTokens,
            e.Tokens.OutputTokens, e.Tokens.ReasoningTokens, e.ReservationId, e.Units, e.Tags, e.LatencyMs, e.Status,
            cost.TotalUsd, cost.Unpriced, cost, e.RecordedAt, e.Late, e.Session, e.RequestHash);
    }
}

using System.ComponentModel;
using ControlPlane.Access;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Budgets;

/// <summary>Ask before spending: reserve the worst case on every matching hard budget, or be told no and why.</summary>
[Tags("Authorize")]
public sealed class AuthorizeApi(BudgetService budgets, PriceCatalog prices, UsageEventValidator validator, TimeProvider time, IOptions<BudgetOptions> options, IReservationStore reservations)
{
    private const int MaxBodyBytes = 16 * 1024;

    [Function(nameof(Authorize))]
    [Deadline(RequestDeadline.Authorize)]
    [ProblemResponse(StatusCodes.Status400BadRequest, BudgetErrors.MaxOutputTokensRequired, UsageErrors.FieldRequired, UsageErrors.FieldTooLong, UsageErrors.FieldInvalid, UsageErrors.IdTooLong, UsageErrors.DeploymentTypeInvalid, UsageErrors.TokensMissing, UsageErrors.TokensConflict, UsageErrors.TokensNegative, UsageErrors.TokensTooLarge, UsageErrors.TokensPartitionInput, UsageErrors.TokensPartitionOutput, UsageErrors.TokensTotalMismatch, UsageErrors.TimestampInvalid, UsageErrors.TimestampTooOld, UsageErrors.TimestampInFuture, UsageErrors.UnitsInvalid, UsageErrors.RequestHashInvalid, UsageErrors.TagsTooMany, UsageErrors.TagInvalid, UsageErrors.LatencyInvalid, UsageErrors.IdReserved, UsageErrors.BatchPriceReserved, UsageErrors.ProviderUnknown, UsageErrors.ProviderModelMismatch)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [ProblemResponse(StatusCodes.Status503ServiceUnavailable, Problems.BudgetContention)]
    [Authorize(Policies.Ingest)]
    [AcceptsJson(typeof(AuthorizeRequest))]
    [EndpointSummary("Reserve a call's worst-case cost on every matching hard budget, or deny naming the budget. Denial is a 200.")]
    public async Task<Results<Ok<AuthorizeResult>, ProblemHttpResult>> Authorize(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/authorize")] HttpRequest request, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var sheet = await prices.GetSheetAsync(cancellationToken);
        var (call, problem) = await JsonBody.ReadValidAsync<AuthorizeRequest, AuthorizeCall?>(http.Request, MaxBodyBytes,
            body => body.Validate(validator, sheet, options.Value, time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!http.User.GetCaller().MayActForTeam(call!.Attribution.Team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may not authorize calls for this team.", call.Attribution.Team);
        }

        return TypedResults.Ok(await budgets.AuthorizeAsync(call, sheet, cancellationToken));
    }

    [Function(nameof(ReleaseReservation))]
    [ProblemResponse(StatusCodes.Status404NotFound, BudgetErrors.ReservationNotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, BudgetErrors.ReservationOwned)]
    [Authorize(Policies.Ingest)]
    [EndpointSummary("Release a reservation whose call never reached the provider; its money returns at once. 409 reservation_owned_by_batch_request for a deferrable request's reservation.")]
    public async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> ReleaseReservation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/reservations/{id}")] HttpRequest request, [Description("The reservation id POST /api/authorize answered with.")] string id, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var reservation = await reservations.GetAsync(id, cancellationToken);
        if (reservation is null || !http.User.GetCaller().MayActForTeam(reservation.Team))
        {
            return Problems.NotFoundOf(BudgetErrors.ReservationNotFound, $"Reservation '{id}'");
        }

        if (reservation.ReservedForEventId is not null)
        {
            // A deferrable request's money is its own: releasing it apart from the request would let the request
            // run with nothing held. Cancelling the request releases it.
            return Problems.Of(StatusCodes.Status409Conflict, BudgetErrors.ReservationOwned,
                "This reservation belongs to a deferrable request; cancel the request (DELETE /api/batch/requests/{id}) instead.");
        }

        var status = await budgets.ReleaseAsync(id, cancellationToken);
        return TypedResults.Ok(new ReleaseResponse(id, status ?? reservation.Status));
    }
}

/// <summary>What became of the reservation: <c>released</c> now, or the state it had already reached.</summary>
public sealed record ReleaseResponse(string ReservationId, ReservationStatus Status);

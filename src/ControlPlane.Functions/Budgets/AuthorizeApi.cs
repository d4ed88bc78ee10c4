using ControlPlane.Access;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Budgets;

/// <summary>Ask before spending: reserve the worst case on every matching hard budget, or be told no and why.</summary>
public static class AuthorizeApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapAuthorizeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Authorize");
        api.MapPost("/authorize", AuthorizeAsync)
            .WithName(FunctionCatalog.Authorize)
            .WithSummary("Reserve a call's worst-case cost on every matching hard budget, or deny naming the budget. Denial is a 200.")
            .AcceptsJson<AuthorizeRequest>()
            .RequireAuthorization(Policies.Ingest);
        api.MapDelete("/reservations/{id}", ReleaseAsync)
            .WithName(FunctionCatalog.ReleaseReservation)
            .WithSummary("Release a reservation whose call never reached the provider; its money returns at once. 409 reservation_owned_by_batch_request for a deferrable request's reservation.")
            .RequireAuthorization(Policies.Ingest);
        return app;
    }

    public sealed record AuthorizeServices(BudgetService Budgets, PriceCatalog Prices, UsageEventValidator Validator, TimeProvider Time, IOptions<BudgetOptions> Options);

    public static async Task<Results<Ok<AuthorizeResult>, ProblemHttpResult>> AuthorizeAsync(
        HttpContext http, [AsParameters] AuthorizeServices services, CancellationToken cancellationToken)
    {
        var sheet = await services.Prices.GetSheetAsync(cancellationToken);
        var (call, problem) = await JsonBody.ReadValidAsync<AuthorizeRequest, AuthorizeCall?>(http.Request, MaxBodyBytes,
            body => body.Validate(services.Validator, sheet, services.Options.Value, services.Time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!http.User.GetCaller().MayActForTeam(call!.Attribution.Team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may not authorize calls for this team.", call.Attribution.Team);
        }

        return TypedResults.Ok(await services.Budgets.AuthorizeAsync(call, sheet, cancellationToken));
    }

    public static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> ReleaseAsync(
        string id, HttpContext http, IReservationStore reservations, BudgetService budgets, CancellationToken cancellationToken)
    {
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

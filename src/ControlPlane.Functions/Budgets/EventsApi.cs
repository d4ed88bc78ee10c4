using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Budgets;

/// <summary>The budget event outbox (threshold crossings, kill switch trips and resets), newest first.</summary>
public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", ListAsync)
            .WithName(FunctionCatalog.ListEvents)
            .WithTags("Events")
            .WithSummary("Budget events from the outbox, each once per budget, threshold and period.")
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public static async Task<Ok<EventListResponse>> ListAsync(TableBudgetLedger ledger, CancellationToken cancellationToken) =>
        TypedResults.Ok(new EventListResponse(await ledger.ListEventsAsync(cancellationToken)));
}

public sealed record EventListResponse(IReadOnlyList<BudgetEvent> Events);

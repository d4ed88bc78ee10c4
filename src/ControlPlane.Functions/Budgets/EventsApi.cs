using System.ComponentModel;
using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Budgets;

/// <summary>The budget event outbox (threshold crossings, kill switch trips and resets), a page at a time.</summary>
public static class EventsApi
{
    private const string List = "events";

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", ListAsync)
            .WithName(FunctionCatalog.ListEvents)
            .WithTags("Events")
            .WithSummary("Budget events from the outbox, each once per budget, threshold and period; paged with limit and next (one budget's in period order, or every budget's in key order).")
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public static async Task<Results<Ok<EventListResponse>, ProblemHttpResult>> ListAsync(
        [Description("Only this budget's events.")] string? budgetId, [Description(PageQuery.LimitDescription)] int? limit,
        [Description(PageQuery.NextDescription)] string? next, TableBudgetLedger ledger, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(List, limit, next);
        if (problem is not null)
        {
            return problem;
        }

        // The position is storage's own continuation token, wrapped in the list's opaque token.
        var (events, token) = await ledger.ListEventsAsync(budgetId, page!.Limit, page.After?[0], cancellationToken);
        return TypedResults.Ok(new EventListResponse(events, PageQuery.Token(List, token is null ? null : [token])));
    }
}

/// <summary>A page of budget events; <c>next</c> fetches the following page and is absent on the last.</summary>
public sealed record EventListResponse(IReadOnlyList<BudgetEvent> Events, string? Next = null);

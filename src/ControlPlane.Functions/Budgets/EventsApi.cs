using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;

namespace ControlPlane.Functions.Budgets;

/// <summary>The budget event outbox (threshold crossings, kill switch trips and resets), a page at a time.</summary>
[Tags("Events")]
public sealed class EventsApi(TableBudgetLedger ledger)
{
    private const string List = "events";

    [Function(nameof(ListEvents))]
    [Authorize(Policies.Admin)]
    [QueryParameter("budgetId", "Only this budget's events.")]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Budget events from the outbox, each once per budget, threshold and period; paged with limit and next (one budget's in period order, or every budget's in key order).")]
    public async Task<Results<Ok<EventListResponse>, ProblemHttpResult>> ListEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/events")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(List, request);
        if (problem is not null)
        {
            return problem;
        }

        // The position is storage's own continuation token, wrapped in the list's opaque token.
        var (events, token) = await ledger.ListEventsAsync(request.Text("budgetId"), page!.Limit, page.After?[0], cancellationToken);
        return TypedResults.Ok(new EventListResponse(events, PageQuery.Token(List, token is null ? null : [token])));
    }
}

/// <summary>A page of budget events; <c>next</c> fetches the following page and is absent on the last.</summary>
public sealed record EventListResponse(IReadOnlyList<BudgetEvent> Events, string? Next = null);

using System.Buffers.Text;
using System.Text;
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
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", ListAsync)
            .WithName(FunctionCatalog.ListEvents)
            .WithTags("Events")
            .WithSummary("Budget events from the outbox, each once per budget, threshold and period; paged with limit and next (one budget's newest period last, or all budgets in key order).")
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public static async Task<Results<Ok<EventListResponse>, ProblemHttpResult>> ListAsync(
        string? budgetId, int? limit, string? next, TableBudgetLedger ledger, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Validation([new(BudgetErrors.EventsLimitInvalid, "limit", $"limit must lie between 1 and {MaxLimit}.")]);
        }

        string? continuation = null;
        if (next is not null && !TryDecode(next, out continuation))
        {
            return Problems.Validation([new(BudgetErrors.EventsNextInvalid, "next", "next is not a token this endpoint returned.")]);
        }

        var (events, token) = await ledger.ListEventsAsync(budgetId, limit ?? DefaultLimit, continuation, cancellationToken);
        return TypedResults.Ok(new EventListResponse(events, token is null ? null : Encode(token)));
    }

    /// <summary>Storage's continuation token, wrapped so a client cannot hand storage a key of its own making unchecked.</summary>
    private static string Encode(string token) => "ev1." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(token));

    private static bool TryDecode(string next, out string? token)
    {
        token = null;
        if (!next.StartsWith("ev1.", StringComparison.Ordinal) || next.Length > 4096)
        {
            return false;
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(next.Length - 4)];
        if (Base64Url.DecodeFromChars(next.AsSpan(4), bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        token = Encoding.UTF8.GetString(bytes, 0, written);
        return token.Length > 0;
    }
}

/// <summary>A page of budget events; <c>next</c> fetches the following page and is absent on the last.</summary>
public sealed record EventListResponse(IReadOnlyList<BudgetEvent> Events, string? Next = null);

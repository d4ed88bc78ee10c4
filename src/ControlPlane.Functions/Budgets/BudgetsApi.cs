using System.ComponentModel;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Budgets;

/// <summary>Budget definitions and their live status.</summary>
public static class BudgetsApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "budgets";

    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/budgets").WithTags("Budgets");
        api.MapPut("/{id}", UpsertBudgetAsync)
            .WithName(FunctionCatalog.UpsertBudget)
            .WithSummary("Create or replace a budget. Raising the limit re-arms a tripped kill switch; a new budget, scope or period opens the current period with the scope's spend in the ledger.")
            .AcceptsJson<BudgetRequest>()
            .Audited(AdminActions.BudgetUpsert)
            .RequireAuthorization(Policies.Admin);
        api.MapGet("/", ListBudgetsAsync)
            .WithName(FunctionCatalog.ListBudgets)
            .WithSummary("Budgets in id order, each with its current period's spend, holds, remaining and state. Pages with ?limit= (default 100, at most 1,000) and ?next=.")
            .RequireAuthorization(Policies.Finance);
        api.MapGet("/{id}", GetBudgetAsync)
            .WithName(FunctionCatalog.GetBudget)
            .WithSummary("One budget with its current period's spend, holds, remaining and state.")
            .RequireAuthorization(Policies.Finance);
        api.MapDelete("/{id}", DeleteBudgetAsync)
            .WithName(FunctionCatalog.DeleteBudget)
            .WithSummary("Delete a budget; calls stop being checked against it.")
            .Audited(AdminActions.BudgetDelete)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public sealed record BudgetServices(BudgetService Service, IBudgetStore Store, BudgetOpeningService Opening);

    public static async Task<Results<Ok<BudgetStatusResponse>, ProblemHttpResult>> UpsertBudgetAsync(
        string id, HttpRequest request, [AsParameters] BudgetServices services, CancellationToken cancellationToken)
    {
        var (budget, problem) = await JsonBody.ReadValidAsync<BudgetRequest, Budget?>(request, MaxBodyBytes, body => body.Validate(id), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var stored = await services.Opening.UpsertAsync(budget!, cancellationToken);
        return TypedResults.Ok(await StatusAsync(stored, services, cancellationToken));
    }

    public static async Task<Results<Ok<BudgetListResponse>, ProblemHttpResult>> ListBudgetsAsync(
        [Description(PageQuery.LimitDescription)] int? limit, [Description(PageQuery.NextDescription)] string? next, [AsParameters] BudgetServices services, CancellationToken cancellationToken)
    {
        var (request, problem) = PageQuery.Read(ListName, limit, next);
        if (problem is not null)
        {
            return problem;
        }

        var page = await services.Store.ListPageAsync(request!, cancellationToken);
        var statuses = new List<BudgetStatusResponse>();
        foreach (var budget in page.Items)
        {
            statuses.Add(await StatusAsync(budget, services, cancellationToken));
        }

        return TypedResults.Ok(new BudgetListResponse(statuses, PageQuery.Token(ListName, page.Next)));
    }

    public static async Task<Results<Ok<BudgetStatusResponse>, ProblemHttpResult>> GetBudgetAsync(
        string id, [AsParameters] BudgetServices services, CancellationToken cancellationToken) =>
        await services.Store.GetAsync(id, cancellationToken) is { } budget
            ? TypedResults.Ok(await StatusAsync(budget, services, cancellationToken))
            : Problems.NotFoundOf(BudgetErrors.NotFound, $"Budget '{id}'");

    private static async Task<BudgetStatusResponse> StatusAsync(Budget budget, BudgetServices services, CancellationToken cancellationToken) =>
        BudgetStatusResponse.From(
            await services.Service.StatusAsync(budget, cancellationToken), await services.Opening.GetAsync(budget, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteBudgetAsync(
        string id, [AsParameters] BudgetServices services, CancellationToken cancellationToken)
    {
        if (!await services.Store.DeleteAsync(id, cancellationToken))
        {
            return Problems.NotFoundOf(BudgetErrors.NotFound, $"Budget '{id}'");
        }

        services.Service.Invalidate();
        return TypedResults.NoContent();
    }
}

/// <summary>
/// Budget JSON plus its current period: the contract shape of the budgets endpoints. <c>openingSpendUsd</c> and
/// <c>openingSpendAsOf</c> appear when the budget took effect during the current period: the spend of its scope the
/// ledger already held then, which the period started from.
/// </summary>
public sealed record BudgetStatusResponse(
    string Id, BudgetScope Scope, BudgetPeriod Period, decimal LimitUsd, BudgetMode Mode, BudgetThresholds Thresholds, bool FailClosed,
    bool DenyUnpriced, decimal SpentUsd, decimal ReservedUsd, decimal RemainingUsd, BudgetState State, DateTimeOffset? PeriodStart,
    DateTimeOffset? PeriodEnd, KillSwitchState KillSwitch, decimal? OpeningSpendUsd = null, DateTimeOffset? OpeningSpendAsOf = null)
{
    public static BudgetStatusResponse From(BudgetStatus s, BudgetOpening? opening = null) => new(
        s.Budget.Id, s.Budget.Scope, s.Budget.Period, s.Budget.LimitUsd, s.Budget.Mode, s.Budget.Thresholds, s.Budget.FailClosed,
        s.Budget.DenyUnpriced, s.SpentUsd, s.ReservedUsd, s.RemainingUsd, s.State,
        s.Budget.Period == BudgetPeriod.Total ? null : s.Period.Start, s.Period.End, s.KillSwitch, opening?.SpentUsd, opening?.AsOf);
}

/// <summary>A page of budgets; <c>next</c> is absent on the last page.</summary>
public sealed record BudgetListResponse(IReadOnlyList<BudgetStatusResponse> Budgets, string? Next = null);

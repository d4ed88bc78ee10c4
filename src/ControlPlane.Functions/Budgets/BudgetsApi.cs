using System.ComponentModel;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace ControlPlane.Functions.Budgets;

/// <summary>Budget definitions and their live status.</summary>
[Tags("Budgets")]
public sealed class BudgetsApi(BudgetService service, IBudgetStore store, BudgetOpeningService opening, ControlPlane.Privacy.UserPseudonymizer users)
{
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "budgets";

    [Function(nameof(UpsertBudget))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BudgetErrors.IdInvalid, BudgetErrors.ScopeRequired, BudgetErrors.ScopeTypeInvalid, BudgetErrors.ScopeValueInvalid, BudgetErrors.PeriodInvalid, BudgetErrors.LimitInvalid, BudgetErrors.ModeInvalid, BudgetErrors.ThresholdsInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.BudgetUpsert))]
    [AcceptsJson(typeof(BudgetRequest))]
    [EndpointSummary("Create or replace a budget. Raising the limit re-arms a tripped kill switch; a new budget, scope or period opens the current period with the scope's spend in the ledger.")]
    public async Task<Results<Ok<BudgetStatusResponse>, ProblemHttpResult>> UpsertBudget(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/budgets/{id}")] HttpRequest request, [Description("The budget's id.")] string id, CancellationToken cancellationToken)
    {
        var (budget, problem) = await JsonBody.ReadValidAsync<BudgetRequest, Budget?>(request, MaxBodyBytes, body => body.Validate(id, users), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var stored = await opening.UpsertAsync(budget!, cancellationToken);
        return TypedResults.Ok(await StatusAsync(stored, cancellationToken));
    }

    [Function(nameof(ListBudgets))]
    [Authorize(Policies.Finance)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Budgets in id order, each with its current period's spend, holds, remaining and state. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<BudgetListResponse>, ProblemHttpResult>> ListBudgets(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/budgets")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ListName, request);
        if (problem is not null)
        {
            return problem;
        }

        var budgets = await store.ListPageAsync(page!, cancellationToken);
        var statuses = new List<BudgetStatusResponse>();
        foreach (var budget in budgets.Items)
        {
            statuses.Add(await StatusAsync(budget, cancellationToken));
        }

        return TypedResults.Ok(new BudgetListResponse(statuses, PageQuery.Token(ListName, budgets.Next)));
    }

    [Function(nameof(GetBudget))]
    [ProblemResponse(StatusCodes.Status404NotFound, BudgetErrors.NotFound)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("One budget with its current period's spend, holds, remaining and state.")]
    public async Task<Results<Ok<BudgetStatusResponse>, ProblemHttpResult>> GetBudget(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/budgets/{id}")] HttpRequest request, [Description("The budget's id.")] string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } budget
            ? TypedResults.Ok(await StatusAsync(budget, cancellationToken))
            : Problems.NotFoundOf(BudgetErrors.NotFound, $"Budget '{id}'");

    [Function(nameof(DeleteBudget))]
    [ProblemResponse(StatusCodes.Status404NotFound, BudgetErrors.NotFound)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.BudgetDelete))]
    [EndpointSummary("Delete a budget; calls stop being checked against it.")]
    public async Task<Results<NoContent, ProblemHttpResult>> DeleteBudget(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/budgets/{id}")] HttpRequest request, [Description("The budget's id.")] string id, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(id, cancellationToken))
        {
            return Problems.NotFoundOf(BudgetErrors.NotFound, $"Budget '{id}'");
        }

        service.Invalidate();
        return TypedResults.NoContent();
    }

    private async Task<BudgetStatusResponse> StatusAsync(Budget budget, CancellationToken cancellationToken) =>
        BudgetStatusResponse.From(await service.StatusAsync(budget, cancellationToken), await opening.GetAsync(budget, cancellationToken));
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

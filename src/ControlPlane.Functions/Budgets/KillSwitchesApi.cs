using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Budgets;

/// <summary>Kill switches: list, a cheap check apps can poll, and the admin's manual isolate and reset.</summary>
public static class KillSwitchesApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapKillSwitchesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/killswitches").WithTags("Kill switches");
        api.MapGet("/", ListAsync)
            .WithName(FunctionCatalog.ListKillSwitches)
            .WithSummary("Every hard budget's kill switch (armed or tripped) and every isolated scope.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapGet("/check", CheckAsync)
            .WithName(FunctionCatalog.CheckKillSwitches)
            .WithSummary("Is a call with this attribution blocked? Cacheable for 5 seconds.")
            .RequireAuthorization(Policies.AnyKey);
        api.MapPost("/isolate", IsolateAsync)
            .WithName(FunctionCatalog.IsolateScope)
            .WithSummary("Stop every call in a scope now, whatever its budgets say.")
            .AcceptsJson<ScopeBody>()
            .Audited(AdminActions.KillSwitchIsolate)
            .RequireAuthorization(Policies.Admin);
        api.MapPost("/reset", ResetAsync)
            .WithName(FunctionCatalog.ResetKillSwitch)
            .WithSummary("Lift an isolation and re-arm tripped hard budgets of the scope.")
            .AcceptsJson<ScopeBody>()
            .Audited(AdminActions.KillSwitchReset)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    public static async Task<Ok<KillSwitchListResponse>> ListAsync(BudgetService budgets, CancellationToken cancellationToken)
    {
        var (all, isolations) = await budgets.GetDefinitionsAsync(cancellationToken);
        var switches = new List<KillSwitchStatus>();
        foreach (var budget in all.Where(b => b.Mode == BudgetMode.Hard).OrderBy(b => b.Id, StringComparer.Ordinal))
        {
            var status = await budgets.StatusAsync(budget, cancellationToken);
            switches.Add(new KillSwitchStatus(budget.Scope, status.KillSwitch, budget.Id, status.KillSwitchSince));
        }

        switches.AddRange(isolations.Select(i => new KillSwitchStatus(i.Scope, KillSwitchState.Isolated, null, i.Since)));
        return TypedResults.Ok(new KillSwitchListResponse(switches));
    }

    public static async Task<Ok<KillSwitchCheckResponse>> CheckAsync(
        string? team, string? feature, string? user, string? environment, string? model, string? app,
        HttpResponse response, BudgetService budgets, CancellationToken cancellationToken)
    {
        var call = new CallAttribution(team ?? string.Empty, feature ?? string.Empty, user, environment ?? ControlPlane.Usage.UsageDefaults.Environment, model ?? string.Empty, app);
        var by = await budgets.BlockedByAsync(call, cancellationToken);
        response.Headers.CacheControl = "private, max-age=5";
        return TypedResults.Ok(new KillSwitchCheckResponse(by.Count > 0, by));
    }

    public static async Task<Results<Ok<KillSwitchStatus>, ProblemHttpResult>> IsolateAsync(
        HttpRequest request, IIsolationStore isolations, BudgetService budgets, TimeProvider time, CancellationToken cancellationToken)
    {
        var (scope, problem) = await ReadScopeAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var isolation = new Isolation(scope!, time.GetUtcNow());
        await isolations.IsolateAsync(isolation, cancellationToken);
        budgets.Invalidate();
        return TypedResults.Ok(new KillSwitchStatus(isolation.Scope, KillSwitchState.Isolated, null, isolation.Since));
    }

    public static async Task<Results<Ok<KillSwitchResetResponse>, ProblemHttpResult>> ResetAsync(
        HttpRequest request, IIsolationStore isolations, IBudgetLedger ledger, BudgetService budgets, TimeProvider time, CancellationToken cancellationToken)
    {
        var (scope, problem) = await ReadScopeAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var lifted = await isolations.LiftAsync(scope!, cancellationToken);
        var now = time.GetUtcNow();
        var reset = new List<string>();
        var (all, _) = await budgets.GetDefinitionsAsync(cancellationToken);
        foreach (var budget in all.Where(b => b.Mode == BudgetMode.Hard && b.Scope == scope))
        {
            var status = await budgets.StatusAsync(budget, cancellationToken);
            if (status.KillSwitch == KillSwitchState.Tripped)
            {
                await ledger.ResetAsync(budget, status.Period, now, cancellationToken);
                reset.Add(budget.Id);
            }
        }

        budgets.Invalidate();
        return TypedResults.Ok(new KillSwitchResetResponse(scope!, lifted, reset));
    }

    private static async Task<(BudgetScope? Scope, ProblemHttpResult? Problem)> ReadScopeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ScopeBody>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        var errors = new List<ValidationError>();
        var scope = BudgetRequest.ScopeRequest.Validate(body!.Scope, errors);
        return errors.Count > 0 ? (null, Problems.Validation(errors)) : (scope, null);
    }
}

/// <summary><c>{"scope": {"type", "value"}}</c></summary>
public sealed class ScopeBody
{
    public BudgetRequest.ScopeRequest? Scope { get; set; }
}

public sealed record KillSwitchListResponse(IReadOnlyList<KillSwitchStatus> KillSwitches);

/// <summary><c>/check</c> answer: <c>{"blocked", "by": [...]}</c>.</summary>
public sealed record KillSwitchCheckResponse(bool Blocked, IReadOnlyList<KillSwitchStatus> By);

/// <summary>What a reset did: whether an isolation was lifted and which budgets were re-armed.</summary>
public sealed record KillSwitchResetResponse(BudgetScope Scope, bool IsolationLifted, IReadOnlyList<string> Rearmed);

using ControlPlane.Access;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Http;
using ControlPlane.Privacy;
using ControlPlane.Validation;

namespace ControlPlane.Functions.Budgets;

/// <summary>Kill switches: list, a cheap check apps can poll, and the admin's manual isolate and reset.</summary>
[Tags("Kill switches")]
public sealed class KillSwitchesApi(BudgetService budgets, IIsolationStore isolations, ScopeIsolation isolation, IBudgetLedger ledger, TimeProvider time, UserPseudonymizer users)
{
    private const int MaxBodyBytes = 16 * 1024;
    private const string ListName = "killswitches";

    [Function(nameof(ListKillSwitches))]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Hard budgets' kill switches (armed or tripped) by budget id, then isolated scopes. An ingest key sees the organisation's and its own teams' only. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<KillSwitchListResponse>, ProblemHttpResult>> ListKillSwitches(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/killswitches")] HttpRequest http, CancellationToken cancellationToken)
    {
        var (request, problem) = PageQuery.Read(ListName, http);
        if (problem is not null)
        {
            return problem;
        }

        // Definitions are loaded whole (and cached) for every authorization anyway; only the page's budgets are read
        // from the ledger for their state.
        var caller = http.HttpContext.User.GetCaller();
        var (all, isolations) = await budgets.GetDefinitionsAsync(cancellationToken);
        var entries = all.Where(b => b.Mode == BudgetMode.Hard && IsVisible(b.Scope, caller)).Select(b => (Key: "b|" + b.Id, Budget: (Budget?)b, Isolation: (Isolation?)null))
            .Concat(isolations.Where(i => IsVisible(i.Scope, caller)).Select(i => (Key: $"i|{i.Scope.Type}|{i.Scope.Value}", Budget: (Budget?)null, Isolation: (Isolation?)i)));
        var page = request!.Slice(entries, e => e.Key);
        var switches = new List<KillSwitchStatus>();
        foreach (var (_, budget, isolation) in page.Items)
        {
            if (budget is not null)
            {
                var status = await budgets.StatusAsync(budget, cancellationToken);
                switches.Add(new KillSwitchStatus(budget.Scope, status.KillSwitch, budget.Id, status.KillSwitchSince));
            }
            else
            {
                switches.Add(new KillSwitchStatus(isolation!.Scope, KillSwitchState.Isolated, null, isolation.Since));
            }
        }

        return TypedResults.Ok(new KillSwitchListResponse(switches, PageQuery.Token(ListName, page.Next)));
    }

    [Function(nameof(CheckKillSwitches))]
    [Deadline(RequestDeadline.Authorize)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("team", "The call's team; an ingest key with one team may leave it out.")]
    [QueryParameter("feature", "The call's feature.")]
    [QueryParameter("user", "The call's user.")]
    [QueryParameter("environment", "The call's environment (default prod).")]
    [QueryParameter("model", "The call's model.")]
    [QueryParameter("app", "The calling app.")]
    [EndpointSummary("Is a call with this attribution blocked? Cacheable for 5 seconds. An ingest key asks for one of its own teams (?team= may be left out when it has one).")]
    public async Task<Results<Ok<KillSwitchCheckResponse>, ProblemHttpResult>> CheckKillSwitches(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/killswitches/check")] HttpRequest request, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var (team, feature, user, environment, model, app) = (request.Text("team"), request.Text("feature"), request.Text("user"),
            request.Text("environment"), request.Text("model"), request.Text("app"));
        // An ingest key asks about its own calls only: another team's answer would tell it that team's budgets and
        // their state. The 403 is the same whether or not the team has any budget.
        var caller = http.User.GetCaller();
        if (!caller.TryOwnTeam(team, out team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden,
                "Name one of this key's teams with ?team=.", string.Join(", ", caller.Teams));
        }

        // The app names its user as it would to POST /api/usage; budgets and isolations hold the pseudonym.
        var call = new CallAttribution(team ?? string.Empty, feature ?? string.Empty, users.Lookup(user), environment ?? ControlPlane.Usage.UsageDefaults.Environment, model ?? string.Empty, app);
        var by = await budgets.BlockedByAsync(call, cancellationToken);
        http.Response.Headers.CacheControl = "private, max-age=5";
        return TypedResults.Ok(new KillSwitchCheckResponse(by.Count > 0, by));
    }

    /// <summary>
    /// What an ingest key may list: switches on its own teams, and the organisation's (which stop every call, its
    /// own included, and name no team). Scopes on a feature, user, app, environment or model are not tied to a team
    /// and may name another team's work, so they are left out; whether one stops the key's own call is answered by
    /// <c>/check</c> for that call. Finance and admin keys see every switch.
    /// </summary>
    private static bool IsVisible(BudgetScope scope, Caller caller) =>
        caller.Role != ApiRole.Ingest
        || scope.Type == BudgetScopeType.Org
        || (scope.Type == BudgetScopeType.Team && caller.MayActForTeam(scope.Value));

    [Function(nameof(IsolateScope))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BudgetErrors.ScopeRequired, BudgetErrors.ScopeTypeInvalid, BudgetErrors.ScopeValueInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.KillSwitchIsolate))]
    [AcceptsJson(typeof(ScopeBody))]
    [EndpointSummary("Stop every call in a scope now, whatever its budgets say.")]
    public async Task<Results<Ok<KillSwitchStatus>, ProblemHttpResult>> IsolateScope(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/killswitches/isolate")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (scope, problem) = await ReadScopeAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return TypedResults.Ok(await isolation.IsolateAsync(scope!, cancellationToken));
    }

    [Function(nameof(ResetKillSwitch))]
    [ProblemResponse(StatusCodes.Status400BadRequest, BudgetErrors.ScopeRequired, BudgetErrors.ScopeTypeInvalid, BudgetErrors.ScopeValueInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.KillSwitchReset))]
    [AcceptsJson(typeof(ScopeBody))]
    [EndpointSummary("Lift an isolation and re-arm tripped hard budgets of the scope.")]
    public async Task<Results<Ok<KillSwitchResetResponse>, ProblemHttpResult>> ResetKillSwitch(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/killswitches/reset")] HttpRequest request, CancellationToken cancellationToken)
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

    private async Task<(BudgetScope? Scope, ProblemHttpResult? Problem)> ReadScopeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ScopeBody>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        var errors = new List<ValidationError>();
        var scope = BudgetRequest.ScopeRequest.Validate(body!.Scope, errors, users);
        return errors.Count > 0 ? (null, Problems.Validation(errors)) : (scope, null);
    }
}

/// <summary><c>{"scope": {"type", "value"}}</c></summary>
public sealed class ScopeBody
{
    public BudgetRequest.ScopeRequest? Scope { get; set; }
}

/// <summary>A page of kill switches; <c>next</c> is absent on the last page.</summary>
public sealed record KillSwitchListResponse(IReadOnlyList<KillSwitchStatus> KillSwitches, string? Next = null);

/// <summary><c>/check</c> answer: <c>{"blocked", "by": [...]}</c>.</summary>
public sealed record KillSwitchCheckResponse(bool Blocked, IReadOnlyList<KillSwitchStatus> By);

/// <summary>What a reset did: whether an isolation was lifted and which budgets were re-armed.</summary>
public sealed record KillSwitchResetResponse(BudgetScope Scope, bool IsolationLifted, IReadOnlyList<string> Rearmed);

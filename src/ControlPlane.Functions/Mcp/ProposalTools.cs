using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.Audits;
using ControlPlane.AuditLog;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Validation;
using ModelContextProtocol.Server;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// The propose-only tools. They change nothing: each raises (or updates) a finding whose proposed action an admin may
/// apply through <c>POST /api/findings/{id}/apply</c>, the audited admin path every proposed action takes. Finance and
/// admin keys may propose for any scope; an ingest key only for a team scope of its own teams (an agent capping its own
/// team), so it cannot even suggest stopping another team's calls.
/// </summary>
[McpServerToolType]
public sealed class ProposalTools(FindingService findings, IBudgetStore budgets, IApiKeyStore keys, TimeProvider time, ControlPlane.Privacy.UserPseudonymizer users)
{
    [McpServerTool(Name = "propose_budget", Destructive = false, OpenWorld = false)]
    [Description("Propose a budget (a limit on a scope's spend per period). Creates nothing: it raises a proposed-budget finding that an admin may apply (creating the budget) or dismiss. Proposing the same scope and period again updates that finding. Finance and admin keys may propose any scope; an ingest key only its own team.")]
    public async Task<JsonElement> ProposeBudget(
        ClaimsPrincipal user,
        [Description("The scope's type: org, team, feature, user, environment, model or app.")] string scopeType,
        [Description("The scope's value: the team's, feature's, model's... name (for org, any name of the organisation).")] string scopeValue,
        [Description("daily, weekly, monthly or total (UTC periods).")] string period,
        [Description("The limit in USD per period, above 0.")] decimal limitUsd,
        [Description("Why: what the admin reads before applying it (at most 1,000 characters).")] string reason,
        [Description("hard (the kill switch stops calls at the limit; default) or soft (alerts only).")] string mode = "hard",
        [Description("The new budget's id. Default {scopeType}-{scopeValue}-{period}, e.g. team-search-monthly.")] string? budgetId = null,
        CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        CheckReason(reason, errors);
        var request = new BudgetRequest
        {
            Scope = new BudgetRequest.ScopeRequest { Type = scopeType, Value = scopeValue },
            Period = period,
            LimitUsd = limitUsd,
            Mode = mode,
        };
        var scope = BudgetRequest.ScopeRequest.Validate(request.Scope, [], users);
        var id = budgetId ?? (scope is not null && EnumNames.TryParse<BudgetPeriod>(period, out var p) ? Proposals.BudgetIdFor(scope, p) : "proposed");
        var validated = request.Validate(id, users);
        errors.AddRange(validated.Errors);
        if (errors.Count > 0)
        {
            throw McpToolErrors.Of(errors);
        }

        var budget = validated.Value!;
        CheckMayPropose(user, budget.Scope);
        if (await budgets.GetAsync(budget.Id, cancellationToken) is not null)
        {
            throw McpToolErrors.Of(BudgetErrors.IdInvalid,
                $"A budget with id '{budget.Id}' exists already; a proposal only creates budgets. Propose another budgetId, or ask an admin to change that one.");
        }

        var by = await AdminAuditRecorder.ActorAsync(user, keys, cancellationToken);
        return McpJson.Answer(await RaiseAsync(Proposals.Budget(budget, by, reason.Trim(), time.GetUtcNow()), cancellationToken));
    }

    [McpServerTool(Name = "propose_isolation", Destructive = false, OpenWorld = false)]
    [Description("Propose isolating a scope (the manual kill switch: every call in it refused until an admin resets it). Isolates nothing: it raises a proposed-isolation finding that an admin may apply or dismiss. Finance and admin keys may propose any scope; an ingest key only its own team.")]
    public async Task<JsonElement> ProposeIsolation(
        ClaimsPrincipal user,
        [Description("The scope's type: org, team, feature, user, environment, model or app.")] string scopeType,
        [Description("The scope's value: the team's, feature's, model's... name.")] string scopeValue,
        [Description("Why: what the admin reads before applying it (at most 1,000 characters).")] string reason,
        CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        CheckReason(reason, errors);
        var scope = BudgetRequest.ScopeRequest.Validate(new BudgetRequest.ScopeRequest { Type = scopeType, Value = scopeValue }, errors, users);
        if (errors.Count > 0)
        {
            throw McpToolErrors.Of(errors);
        }

        CheckMayPropose(user, scope!);
        var by = await AdminAuditRecorder.ActorAsync(user, keys, cancellationToken);
        return McpJson.Answer(await RaiseAsync(Proposals.Isolation(scope!, by, reason.Trim(), time.GetUtcNow()), cancellationToken));
    }

    private async Task<ProposalAnswer> RaiseAsync(FindingCandidate candidate, CancellationToken cancellationToken)
    {
        // A run id of its own per proposal: findings ignore a run they have seen, and a second proposal is news.
        await findings.ObserveAsync($"proposal-{Guid.NewGuid():N}", [candidate], cancellationToken);
        var finding = await findings.GetAsync(Findings.IdFor(candidate.Fingerprint), cancellationToken)
            ?? throw new InvalidOperationException("The proposal's finding was not found after it was recorded.");
        var next = finding.State switch
        {
            FindingState.Dismissed => "An admin dismissed this proposal before; it stays dismissed unless it becomes materially larger. Nothing was changed.",
            _ when finding.Applied is not null => "An admin applied this proposal already. Nothing more was changed.",
            _ => $"Nothing was changed. An admin applies it with POST /api/findings/{finding.Id}/apply, or dismisses it.",
        };
        return new ProposalAnswer(finding, next);
    }

    private static void CheckReason(string? reason, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > Proposals.MaxReasonLength)
        {
            errors.Add(new(FindingErrors.NoteInvalid, "reason", $"reason is 1 to {Proposals.MaxReasonLength:N0} characters: say why, for the admin."));
        }
    }

    private static void CheckMayPropose(ClaimsPrincipal user, BudgetScope scope)
    {
        var caller = user.GetCaller();
        if (caller.Role == ApiRole.Ingest && !(scope.Type == BudgetScopeType.Team && caller.MayActForTeam(scope.Value)))
        {
            throw McpToolErrors.Of(AccessErrors.TeamForbidden, $"An ingest key proposes only for its own teams (scope type team): {string.Join(", ", caller.Teams)}.");
        }
    }
}

/// <summary>A proposal's answer: the finding it raised or updated, and what happens next.</summary>
public sealed record ProposalAnswer(Finding Finding, string Next);

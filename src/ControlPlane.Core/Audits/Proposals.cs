using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.AuditLog;
using ControlPlane.Budgets;

namespace ControlPlane.Audits;

/// <summary>
/// Findings a caller raises by proposing a change (an AI agent through the MCP server, say) instead of making it. A
/// proposal is a finding like an audit's, keyed by fingerprint (kind and scope, and the period for a budget), with a
/// proposed action an admin applies through <c>POST /api/findings/{id}/apply</c>, or dismisses. Proposing the same
/// thing again updates the one finding; nothing changes until an admin applies it.
/// </summary>
public static class Proposals
{
    /// <summary>Longest reason kept, in characters.</summary>
    public const int MaxReasonLength = 1000;

    private static readonly JsonSerializerOptions ParameterJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The budget id a proposal for <paramref name="scope"/> and <paramref name="period"/> creates when none is given:
    /// <c>team-search-monthly</c>. A value with characters ids do not allow, or too long, is shortened and made unique
    /// with a hash of the value.
    /// </summary>
    public static string BudgetIdFor(BudgetScope scope, BudgetPeriod period)
    {
        var value = new string([.. scope.Value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        var type = Name(scope.Type);
        var periodName = Name(period);
        var room = BudgetRequest.MaxIdLength - type.Length - periodName.Length - 2;
        if (value != scope.Value || value.Length > room)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope.Value)))[..8];
            value = $"{value[..Math.Min(value.Length, room - hash.Length - 1)]}-{hash}";
        }

        return $"{type}-{value}-{periodName}";
    }

    /// <summary>A proposal to create <paramref name="budget"/>, as a <c>create-budget</c> action with the PUT /api/budgets/{id} body.</summary>
    public static FindingCandidate Budget(Budget budget, AuditActor by, string reason, DateTimeOffset now)
    {
        var body = new BudgetRequest
        {
            Scope = new BudgetRequest.ScopeRequest { Type = Name(budget.Scope.Type), Value = budget.Scope.Value },
            Period = Name(budget.Period),
            LimitUsd = budget.LimitUsd,
            Mode = Name(budget.Mode),
            Thresholds = new BudgetRequest.ThresholdsRequest { Warn = budget.Thresholds.Warn, Review = budget.Thresholds.Review, Block = budget.Thresholds.Block },
            FailClosed = budget.FailClosed,
            DenyUnpriced = budget.DenyUnpriced,
        };
        var what = $"a {Name(budget.Mode)} {Name(budget.Period)} budget of {budget.LimitUsd} USD on {Name(budget.Scope.Type)} {budget.Scope.Value} (id {budget.Id})";
        return new FindingCandidate(
            FindingKinds.ProposedBudget,
            SubjectOf(budget.Scope),
            FindingSeverity.Medium,
            Evidence(by, now, new Dictionary<string, decimal> { ["limitUsd"] = budget.LimitUsd }),
            $"Proposed {what}. Reason given: {reason} Apply it to create the budget, or dismiss it.",
            budget.LimitUsd,
            new ProposedAction(ProposedActionTypes.CreateBudget, $"Create {what}.",
                JsonSerializer.SerializeToElement(new { budgetId = budget.Id, budget = body }, ParameterJson)),
            Discriminator: Name(budget.Period));
    }

    /// <summary>A proposal to isolate <paramref name="scope"/> (stop every call in it), as an <c>isolate-scope</c> action.</summary>
    public static FindingCandidate Isolation(BudgetScope scope, AuditActor by, string reason, DateTimeOffset now)
    {
        var what = $"{Name(scope.Type)} {scope.Value}";
        return new FindingCandidate(
            FindingKinds.ProposedIsolation,
            SubjectOf(scope),
            FindingSeverity.High,
            Evidence(by, now, new Dictionary<string, decimal>()),
            $"Proposed isolating {what}: every call in it would be refused until an admin resets it. Reason given: {reason} Apply it to isolate the scope, or dismiss it.",
            0m,
            new ProposedAction(ProposedActionTypes.IsolateScope, $"Isolate {what} (the manual kill switch).",
                JsonSerializer.SerializeToElement(new { scope = new { type = Name(scope.Type), value = scope.Value } }, ParameterJson)));
    }

    /// <summary>A team scope is that team's: its keys see the proposal. Other scopes belong to no one team.</summary>
    private static FindingSubject SubjectOf(BudgetScope scope) =>
        new(SubjectTypes.Scope, $"{Name(scope.Type)}:{scope.Value}", scope.Type == BudgetScopeType.Team ? scope.Value : null);

    private static FindingEvidence Evidence(AuditActor by, DateTimeOffset now, IReadOnlyDictionary<string, decimal> observed) => new(
        $"Proposed by the key '{by.Name}' ({by.KeyId}, {Name(by.Role)}), not found by an audit rule; nothing changes until an admin applies it.",
        now, now, observed, ProposedBy: by);

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.AuditLog;

namespace ControlPlane.Audits;

/// <summary>The finding kinds (a contract: dashboards, reports and event subscribers filter on these names).</summary>
public static class FindingKinds
{
    public const string ZombieFeature = "zombie-feature";
    public const string ShadowAiUnapproved = "shadow-ai-unapproved";
    public const string ShadowAiUntagged = "shadow-ai-untagged";
    public const string ShadowAiInvisibleSpend = "shadow-ai-invisible-spend";
    public const string IdleProvisionedDeployment = "idle-provisioned-deployment";
    public const string SpendAnomalyHour = "spend-anomaly-hour";
    public const string SpendAnomalyDay = "spend-anomaly-day";
    public const string TokensPerCall = "tokens-per-call";
    public const string CallsPerSession = "calls-per-session";
    public const string AgentLoop = "agent-loop";
    public const string NegativeUnitEconomics = "negative-unit-economics";

    /// <summary>Someone (an AI agent through MCP, say) proposed a budget for a scope; an admin applies or dismisses it.</summary>
    public const string ProposedBudget = "proposed-budget";

    /// <summary>Someone proposed isolating a scope (the manual kill switch); an admin applies or dismisses it.</summary>
    public const string ProposedIsolation = "proposed-isolation";

    public static IReadOnlyList<string> All { get; } =
    [
        ZombieFeature, ShadowAiUnapproved, ShadowAiUntagged, ShadowAiInvisibleSpend, IdleProvisionedDeployment,
        SpendAnomalyHour, SpendAnomalyDay, TokensPerCall, CallsPerSession, AgentLoop, NegativeUnitEconomics,
        ProposedBudget, ProposedIsolation,
    ];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}

/// <summary>Where a finding stands. Only people move it out of <see cref="Open"/>; an audit may reopen it.</summary>
public enum FindingState
{
    Open,
    Acknowledged,
    Resolved,
    Dismissed,
}

public enum FindingSeverity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Kinds of thing a finding is about.</summary>
public static class SubjectTypes
{
    public const string Feature = "feature";
    public const string Team = "team";
    public const string Session = "session";

    /// <summary>An Azure resource, named by its ARM id.</summary>
    public const string Resource = "resource";

    /// <summary>A model deployment of an Azure AI account, named by its ARM id.</summary>
    public const string Deployment = "deployment";

    /// <summary>A budget scope (<c>{type}:{value}</c>).</summary>
    public const string Scope = "scope";
}

/// <summary>What a finding is about: a feature, a resource, a scope, a session. <paramref name="Team"/> is the owning team when known (filters and visibility use it).</summary>
public sealed record FindingSubject(string Type, string Name, string? Team = null);

/// <summary>One point of an evidence series (a week, a day, an hour) with its named values.</summary>
public sealed record EvidencePoint(DateTimeOffset Start, IReadOnlyDictionary<string, decimal> Values);

/// <summary>
/// The numbers behind a finding: what the rule saw in which window, against which baseline, and the series it
/// looked at. <paramref name="Rule"/> states the rule with its thresholds, in words a person can check.
/// </summary>
/// <param name="ProposedBy">The key that proposed it, for a finding a caller raised (a proposal) rather than an audit; null for audits.</param>
public sealed record FindingEvidence(
    string Rule,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyDictionary<string, decimal> Observed,
    IReadOnlyDictionary<string, decimal>? Baseline = null,
    string? BaselineDescription = null,
    IReadOnlyList<EvidencePoint>? Series = null,
    AuditActor? ProposedBy = null);

/// <summary>Proposed action types <c>POST /api/findings/{id}/apply</c> can carry out.</summary>
public static class ProposedActionTypes
{
    /// <summary>Isolate a budget scope (the admin's kill switch). Parameters: <c>{"scope": {"type", "value"}}</c>.</summary>
    public const string IsolateScope = "isolate-scope";

    /// <summary>Create a budget. Parameters: <c>{"budgetId": "...", "budget": {the PUT /api/budgets/{id} body}}</c>.</summary>
    public const string CreateBudget = "create-budget";

    /// <summary>Register (approve) an AI resource. Parameters: the <c>PUT /api/ai-resources</c> entry.</summary>
    public const string RegisterResource = "register-resource";

    /// <summary>Set tags on an Azure resource. Parameters: <c>{"resourceId": "...", "tags": {"team": "..."}}</c>.</summary>
    public const string TagResource = "tag-resource";
}

/// <summary>
/// What an admin could do about a finding, ready to carry out: <paramref name="Type"/> (one of
/// <see cref="ProposedActionTypes"/>) with the same parameters the matching admin API takes.
/// </summary>
public sealed record ProposedAction(string Type, string Description, JsonElement Parameters);

/// <summary>
/// What an audit run reports for one subject. Findings are keyed by fingerprint (kind, subject and an optional
/// discriminator), so the same problem seen by tomorrow's run updates the same finding.
/// </summary>
/// <param name="Magnitude">
/// One number for how bad it is, in the rule's own unit (money at stake, a ratio): a dismissed finding stays quiet
/// until a later run reports a materially larger magnitude or a higher severity.
/// </param>
/// <param name="Discriminator">Separates findings of one kind on one subject (a session's repeated request hash, say).</param>
public sealed record FindingCandidate(
    string Kind,
    FindingSubject Subject,
    FindingSeverity Severity,
    FindingEvidence Evidence,
    string Recommendation,
    decimal Magnitude,
    ProposedAction? ProposedAction = null,
    string? Discriminator = null)
{
    public string Fingerprint => Findings.Fingerprint(Kind, Subject, Discriminator);
}

/// <summary>Who moved a finding, when, and why.</summary>
public sealed record FindingChange(FindingState State, DateTimeOffset At, string By, string? Note);

/// <summary>A proposed action an admin carried out: who, when, and what it changed.</summary>
public sealed record AppliedAction(string Type, DateTimeOffset At, AuditActor By, JsonElement Result);

/// <summary>A finding as stored and served.</summary>
public sealed record Finding(
    string Id,
    string Kind,
    string Fingerprint,
    FindingSubject Subject,
    FindingSeverity Severity,
    FindingState State,
    FindingEvidence Evidence,
    string Recommendation,
    ProposedAction? ProposedAction,
    decimal Magnitude,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    int TimesSeen,
    string? LastRunId,
    FindingChange? LastChange = null,
    AppliedAction? Applied = null,
    decimal? DismissedMagnitude = null,
    FindingSeverity? DismissedSeverity = null);

public static class Findings
{
    /// <summary>Prefix of finding ids.</summary>
    public const string IdPrefix = "fnd_";

    /// <summary>A stable fingerprint: the same kind, subject and discriminator always give the same one.</summary>
    public static string Fingerprint(string kind, FindingSubject subject, string? discriminator)
    {
        var text = string.Join('\n', kind, subject.Type, subject.Name, subject.Team ?? string.Empty, discriminator ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The finding id for a fingerprint: deterministic, so an audit activity that runs twice writes one finding.</summary>
    public static string IdFor(string fingerprint) => IdPrefix + fingerprint[..24];
}

/// <summary>Stable error codes for findings.</summary>
public static class FindingErrors
{
    public const string NotFound = "finding_not_found";
    public const string KindInvalid = "finding_kind_invalid";
    public const string StateInvalid = "finding_state_invalid";
    public const string TransitionInvalid = "finding_transition_invalid";
    public const string NoProposedAction = "finding_no_proposed_action";
    public const string AlreadyApplied = "finding_already_applied";
    public const string ActionUnsupported = "finding_action_unsupported";
    public const string ActionFailed = "finding_action_failed";
    public const string NoteInvalid = "finding_note_invalid";
    public const string Conflict = "finding_conflict";
}

using ControlPlane.Registry;
using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>
/// The per-session rules, over the session usage of the scan's window: <c>calls-per-session</c> (a session's calls at
/// <see cref="AnomalyScanOptions.CallsPerSessionRatio"/> times the feature's <see cref="FeatureProfile.CallsPerSession"/>
/// or more) and <c>agent-loop</c> (one request hash at least <see cref="AnomalyScanOptions.LoopRepeatThreshold"/>
/// times within a session: the same prompt or tool call sent again and again).
/// <para>
/// The proposed action for both is to isolate the session's <i>user</i> when its calls name one, the feature
/// otherwise. No budget scope names a session, and the user is the narrowest scope that contains the runaway run:
/// isolating the feature would stop every user of it for one agent's loop. Advisory, as always: the admin decides.
/// </para>
/// </summary>
public static class SessionRules
{
    public static RuleResult EvaluateCallsPerSession(SessionUsage session, FeatureProfile? profile, DateTimeOffset windowStart, DateTimeOffset windowEnd, AnomalyScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var subject = new FindingSubject(SubjectTypes.Session, session.Session, session.Team);
        if (profile?.CallsPerSession is not { } expected)
        {
            return new(FindingKinds.CallsPerSession, subject, RuleStatus.NotApplicable,
                $"Feature '{session.Feature}' has no design estimate (PUT /api/features/{{feature}} with callsPerSession).");
        }

        var ratio = session.Calls / expected;
        if (ratio < options.CallsPerSessionRatio)
        {
            return new(FindingKinds.CallsPerSession, subject, RuleStatus.Clear, $"{session.Calls} calls against an estimate of {AuditRules.Number(expected)}.");
        }

        var why = $"Session '{session.Session}' of '{session.Feature}' made {session.Calls} calls, {AuditRules.Number(ratio)}× the design estimate of {AuditRules.Number(expected)} per session.";
        var evidence = new FindingEvidence(
            $"A session's calls within the scan's window at least {AuditRules.Number(options.CallsPerSessionRatio)}× the feature's callsPerSession.",
            windowStart, windowEnd, Observed(session), AuditRules.Values(("calls", expected)),
            "The feature's design estimate (callsPerSession in the features registry).");
        return RuleResult.Fired(new FindingCandidate(FindingKinds.CallsPerSession, subject, ratio >= options.CallsPerSessionRatio * 3 ? FindingSeverity.High : FindingSeverity.Medium,
            evidence, $"{why} Check the agent's stopping condition and retry limit.", session.CostUsd, Isolate(session)), why);
    }

    public static RuleResult EvaluateAgentLoop(SessionUsage session, DateTimeOffset windowStart, DateTimeOffset windowEnd, AnomalyScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var subject = new FindingSubject(SubjectTypes.Session, session.Session, session.Team);
        if (session.MostRepeated() is not { } top)
        {
            return new(FindingKinds.AgentLoop, subject, RuleStatus.NotApplicable,
                "No call of the session carried a requestHash, so repeats cannot be seen.");
        }

        var (hash, count) = top;
        if (count < options.LoopRepeatThreshold)
        {
            return new(FindingKinds.AgentLoop, subject, RuleStatus.Clear, $"The most repeated request came {count} times.");
        }

        var why = $"Session '{session.Session}' of '{session.Feature}' sent the same request ({hash}) {count} times in {session.Calls} calls.";
        var observed = Observed(session);
        observed["repeats"] = count;
        var evidence = new FindingEvidence(
            $"The same requestHash at least {options.LoopRepeatThreshold} times within one session, within the scan's window.",
            windowStart, windowEnd, observed, AuditRules.Values(("repeats", options.LoopRepeatThreshold)),
            "The loop threshold (ControlPlane:Audits:Anomalies:LoopRepeatThreshold); a session is expected to send a request once.");
        return RuleResult.Fired(new FindingCandidate(FindingKinds.AgentLoop, subject, count >= options.LoopRepeatThreshold * 5L ? FindingSeverity.Critical : FindingSeverity.High,
            evidence,
            $"{why} The agent is likely retrying or validating its own output without a stop; cap its retries and make the failure it retries on visible.",
            count, Isolate(session), hash), why);
    }

    private static Dictionary<string, decimal> Observed(SessionUsage session) => AuditRules.Values(
        ("calls", session.Calls), ("inputTokens", session.InputTokens), ("outputTokens", session.OutputTokens), ("costUsd", session.CostUsd));

    private static ProposedAction Isolate(SessionUsage session) => session.User is { } user
        ? AuditRules.IsolateScope("user", user, $"Isolate user '{user}' (the session's user), which stops this run and leaves the feature's other users alone.")
        : AuditRules.IsolateScope("feature", session.Feature, $"Isolate feature '{session.Feature}' (the session names no user, so no narrower scope contains it).");
}

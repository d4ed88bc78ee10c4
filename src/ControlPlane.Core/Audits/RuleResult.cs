namespace ControlPlane.Audits;

/// <summary>What a rule concluded about one subject.</summary>
public enum RuleStatus
{
    /// <summary>The rule fired: <see cref="RuleResult.Candidate"/> holds the finding.</summary>
    Finding,

    /// <summary>The rule looked and found nothing wrong.</summary>
    Clear,

    /// <summary>The subject has less history than the rule's baseline needs: the rule says so rather than guessing.</summary>
    NotEnoughHistory,

    /// <summary>The rule has nothing to compare with (no design estimate, no value per unit, no user ids).</summary>
    NotApplicable,
}

/// <summary>One rule's verdict on one subject, with the reason in words (and the finding when it fired).</summary>
public sealed record RuleResult(string Kind, FindingSubject Subject, RuleStatus Status, string Reason, FindingCandidate? Candidate = null)
{
    public static RuleResult Fired(FindingCandidate candidate, string reason) => new(candidate.Kind, candidate.Subject, RuleStatus.Finding, reason, candidate);
}

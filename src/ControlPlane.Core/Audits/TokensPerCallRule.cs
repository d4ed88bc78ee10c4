using ControlPlane.Registry;

namespace ControlPlane.Audits;

/// <summary>
/// <c>tokens-per-call</c>: a feature's tokens per call (input plus output) over one UTC day at
/// <see cref="AnomalyScanOptions.TokensPerCallRatio"/> times its design estimate
/// (<see cref="FeatureProfile.ExpectedTokensPerCall"/>) or more. Needs the estimate and at least
/// <see cref="AnomalyScanOptions.MinCallsForTokensPerCall"/> calls that day.
/// </summary>
public static class TokensPerCallRule
{
    public static RuleResult Evaluate(FeatureUsageHistory history, FeatureProfile? profile, DateTimeOffset day, AnomalyScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var subject = AuditRules.FeatureSubject(history.Team, history.Feature);
        if (profile?.ExpectedTokensPerCall is not { } expected)
        {
            return new(FindingKinds.TokensPerCall, subject, RuleStatus.NotApplicable,
                $"Feature '{history.Feature}' has no design estimate (PUT /api/features/{{feature}} with expectedTokensPerCall).");
        }

        day = FeatureUsageHistory.DayOf(day);
        var usage = history.Period(day, day.AddDays(1));
        if (usage.Requests < options.MinCallsForTokensPerCall)
        {
            return new(FindingKinds.TokensPerCall, subject, RuleStatus.NotEnoughHistory,
                $"Not enough history: {usage.Requests} calls on {AuditRules.Day(day)}; tokens per call needs at least {options.MinCallsForTokensPerCall}.");
        }

        var perCall = (decimal)usage.Tokens / usage.Requests;
        var ratio = perCall / expected;
        if (ratio < options.TokensPerCallRatio)
        {
            return new(FindingKinds.TokensPerCall, subject, RuleStatus.Clear,
                $"{AuditRules.Number(perCall)} tokens per call against an estimate of {expected}.");
        }

        var why = $"Calls of '{history.Feature}' used {AuditRules.Number(perCall)} tokens each on {AuditRules.Day(day)}, {AuditRules.Number(ratio)}× the design estimate of {expected}.";
        var evidence = new FindingEvidence(
            $"Tokens per call (input + output) over a UTC day at least {AuditRules.Number(options.TokensPerCallRatio)}× the feature's expectedTokensPerCall, over at least {options.MinCallsForTokensPerCall} calls.",
            day, day.AddDays(1),
            AuditRules.Values(("tokensPerCall", decimal.Round(perCall, 2)), ("calls", usage.Requests), ("tokens", usage.Tokens), ("costUsd", usage.CostUsd), ("ratio", decimal.Round(ratio, 2))),
            AuditRules.Values(("tokensPerCall", expected)),
            "The feature's design estimate (expectedTokensPerCall in the features registry).");
        return RuleResult.Fired(new FindingCandidate(FindingKinds.TokensPerCall, subject, ratio >= options.TokensPerCallRatio * 3 ? FindingSeverity.High : FindingSeverity.Medium,
            evidence,
            $"{why} Look for prompts that grow with the conversation (whole histories resent, retrieved context unbounded) or a wrong max output; or correct the estimate.",
            ratio), why);
    }
}

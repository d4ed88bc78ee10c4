using ControlPlane.Registry;

namespace ControlPlane.Audits;

/// <summary>
/// <c>negative-unit-economics</c>: over one week, a feature's cost per unit of value (its events' <c>units</c>)
/// above the value per unit it declares (<see cref="FeatureProfile.ValuePerUnitUsd"/>). Needs the whole week of
/// history and some units reported.
/// </summary>
public static class UnitEconomicsRule
{
    public static RuleResult Evaluate(FeatureUsageHistory history, FeatureProfile? profile, DateTimeOffset windowEnd)
    {
        ArgumentNullException.ThrowIfNull(history);
        var subject = AuditRules.FeatureSubject(history.Team, history.Feature);
        if (profile?.ValuePerUnitUsd is not { } value)
        {
            return new(FindingKinds.NegativeUnitEconomics, subject, RuleStatus.NotApplicable,
                $"Feature '{history.Feature}' declares no value per unit (PUT /api/features/{{feature}} with valueUnit and valuePerUnitUsd).");
        }

        var end = FeatureUsageHistory.DayOf(windowEnd);
        var start = end.AddDays(-7);
        if (history.FirstHour > start)
        {
            return new(FindingKinds.NegativeUnitEconomics, subject, RuleStatus.NotEnoughHistory,
                $"Not enough history: the rule needs the whole week from {AuditRules.Day(start)}; the feature's first usage is {AuditRules.Day(history.FirstHour)}.");
        }

        var week = history.Period(start, end);
        if (week.Units <= 0)
        {
            return new(FindingKinds.NegativeUnitEconomics, subject, RuleStatus.NotApplicable,
                "No event of the week reported units; send 'units' with the events that deliver value.");
        }

        var perUnit = week.CostUsd / week.Units;
        if (perUnit <= value)
        {
            return new(FindingKinds.NegativeUnitEconomics, subject, RuleStatus.Clear,
                $"{AuditRules.Usd(perUnit)} per {profile.ValueUnit} against a value of {AuditRules.Usd(value)}.");
        }

        var loss = week.CostUsd - (week.Units * value);
        var why = $"Each {profile.ValueUnit} of '{history.Feature}' cost {AuditRules.Usd(perUnit)} last week and is worth {AuditRules.Usd(value)}: {AuditRules.Usd(loss)} lost over {AuditRules.Number(week.Units)} units.";
        var evidence = new FindingEvidence(
            "Cost per unit over a week above the feature's declared value per unit.",
            start, end,
            AuditRules.Values(("costUsd", week.CostUsd), ("units", week.Units), ("costPerUnitUsd", decimal.Round(perUnit, 6)), ("requests", week.Requests)),
            AuditRules.Values(("valuePerUnitUsd", value)),
            $"The feature's declared value per {profile.ValueUnit} (valuePerUnitUsd in the features registry).",
            [.. Enumerable.Range(0, 7).Select(d => start.AddDays(d)).Select(d => history.Day(d) is { } u
                ? new EvidencePoint(d, AuditRules.Values(("costUsd", u.CostUsd), ("units", u.Units)))
                : new EvidencePoint(d, AuditRules.Values(("costUsd", 0m), ("units", 0m))))]);
        return RuleResult.Fired(new FindingCandidate(FindingKinds.NegativeUnitEconomics, subject, loss >= 1000m ? FindingSeverity.High : FindingSeverity.Medium,
            evidence, $"{why} Move it to a cheaper model or the batch API, cache its prompts, or revisit the value per unit.", loss), why);
    }
}

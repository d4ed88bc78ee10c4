namespace ControlPlane.Audits;

/// <summary>
/// <c>spend-anomaly-hour</c> and <c>spend-anomaly-day</c>, per team and feature. Per feature rather than per team:
/// a feature's spike drowns in a large team's total (a feature going from $10 to $100 an hour inside a team spending
/// $1,000 an hour is not 3× at team level), and the feature is what someone can act on; the finding still names
/// the team, so the team's view lists it. A minimum absolute cost keeps pennies from being anomalies.
/// </summary>
public static class SpendAnomalyRules
{
    /// <summary>
    /// The UTC hour starting at <paramref name="hour"/> against the mean of the same hour of the week over the
    /// previous <see cref="AnomalyScanOptions.BaselineWeeks"/> weeks that the feature existed in (at least
    /// <see cref="AnomalyScanOptions.MinBaselineWeeks"/>; a week without usage in that hour counts as zero).
    /// </summary>
    public static RuleResult EvaluateHour(FeatureUsageHistory history, DateTimeOffset hour, AnomalyScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var subject = AuditRules.FeatureSubject(history.Team, history.Feature);
        var weeks = Enumerable.Range(1, options.BaselineWeeks).Select(k => hour.AddDays(-7 * k)).Where(h => history.FirstHour <= h).ToList();
        if (weeks.Count < options.MinBaselineWeeks)
        {
            return new(FindingKinds.SpendAnomalyHour, subject, RuleStatus.NotEnoughHistory,
                $"Not enough history: the baseline is the same hour of the week over the previous {options.BaselineWeeks} weeks and needs at least {options.MinBaselineWeeks}; the feature has {weeks.Count}.");
        }

        var cost = history.HourCost(hour);
        var baseline = weeks.Sum(history.HourCost) / weeks.Count;
        if (cost < options.MinHourCostUsd || cost < baseline * options.HourFactor)
        {
            return new(FindingKinds.SpendAnomalyHour, subject, RuleStatus.Clear,
                $"{AuditRules.Hour(hour)} cost {AuditRules.Usd(cost)} against a baseline of {AuditRules.Usd(baseline)}.");
        }

        var ratio = baseline == 0 ? (decimal?)null : cost / baseline;
        var why = $"{AuditRules.Hour(hour)} cost {AuditRules.Usd(cost)}, {(ratio is { } r ? $"{AuditRules.Number(r)}×" : "against nothing at")} the same hour of the previous {weeks.Count} weeks ({AuditRules.Usd(baseline)} on average).";
        var evidence = new FindingEvidence(
            $"An hour costing at least {AuditRules.Number(options.HourFactor)}× the mean of the same hour of the week over the previous {options.BaselineWeeks} weeks (at least {options.MinBaselineWeeks} of them), and at least {AuditRules.Usd(options.MinHourCostUsd)}.",
            hour, hour.AddHours(1),
            AuditRules.Values(("costUsd", cost), ("ratio", decimal.Round(ratio ?? 0m, 2))),
            AuditRules.Values(("costUsd", baseline), ("weeks", weeks.Count)),
            $"Mean cost of the same hour of the week in the {weeks.Count} previous weeks the feature existed in.",
            [.. weeks.OrderBy(h => h).Append(hour).Select(h => new EvidencePoint(h, AuditRules.Values(("costUsd", history.HourCost(h)))))]);
        return RuleResult.Fired(new FindingCandidate(FindingKinds.SpendAnomalyHour, subject, Severity(ratio, options.HourFactor), evidence,
            $"{why} Check what '{history.Feature}' started doing in that hour (a release, a batch job, a loop); if it is expected, dismiss this finding.",
            cost - baseline), why);
    }

    /// <summary>
    /// The UTC day starting at <paramref name="day"/> against the average of the <see cref="AnomalyScanOptions.TrailingDays"/>
    /// days before it; the feature needs all of them as history.
    /// </summary>
    public static RuleResult EvaluateDay(FeatureUsageHistory history, DateTimeOffset day, AnomalyScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var subject = AuditRules.FeatureSubject(history.Team, history.Feature);
        day = FeatureUsageHistory.DayOf(day);
        var from = day.AddDays(-options.TrailingDays);
        // History means usage on the first of the trailing days (or before): a younger feature's average would
        // include days it did not exist on.
        if (history.FirstHour >= from.AddDays(1))
        {
            return new(FindingKinds.SpendAnomalyDay, subject, RuleStatus.NotEnoughHistory,
                $"Not enough history: the baseline is the {options.TrailingDays} days before {AuditRules.Day(day)}; the feature's first usage is {AuditRules.Day(history.FirstHour)}.");
        }

        var days = Enumerable.Range(0, options.TrailingDays).Select(d => from.AddDays(d)).ToList();
        var cost = history.DayCost(day);
        var baseline = days.Sum(history.DayCost) / options.TrailingDays;
        if (cost < options.MinDayCostUsd || cost < baseline * options.DayFactor)
        {
            return new(FindingKinds.SpendAnomalyDay, subject, RuleStatus.Clear,
                $"{AuditRules.Day(day)} cost {AuditRules.Usd(cost)} against a trailing average of {AuditRules.Usd(baseline)}.");
        }

        var ratio = baseline == 0 ? (decimal?)null : cost / baseline;
        var why = $"{AuditRules.Day(day)} cost {AuditRules.Usd(cost)}, {(ratio is { } r ? $"{AuditRules.Number(r)}×" : "against nothing in")} the {options.TrailingDays}-day average before it ({AuditRules.Usd(baseline)}).";
        var evidence = new FindingEvidence(
            $"A day costing at least {AuditRules.Number(options.DayFactor)}× the average of the {options.TrailingDays} days before it, and at least {AuditRules.Usd(options.MinDayCostUsd)}.",
            day, day.AddDays(1),
            AuditRules.Values(("costUsd", cost), ("ratio", decimal.Round(ratio ?? 0m, 2))),
            AuditRules.Values(("costUsd", baseline), ("days", options.TrailingDays)),
            $"Average daily cost from {AuditRules.Day(from)} to {AuditRules.Day(day.AddDays(-1))}.",
            [.. days.Append(day).Select(d => new EvidencePoint(d, AuditRules.Values(("costUsd", history.DayCost(d)))))]);
        return RuleResult.Fired(new FindingCandidate(FindingKinds.SpendAnomalyDay, subject, Severity(ratio, options.DayFactor), evidence,
            $"{why} Find what changed in '{history.Feature}' that day; if the new level is expected, dismiss this finding (it reopens only if it gets materially worse).",
            cost - baseline), why);
    }

    private static FindingSeverity Severity(decimal? ratio, decimal factor) =>
        ratio is null || ratio >= factor * 3 ? FindingSeverity.High : FindingSeverity.Medium;
}

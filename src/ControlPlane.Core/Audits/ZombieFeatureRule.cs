namespace ControlPlane.Audits;

/// <summary>
/// <c>zombie-feature</c>: spend nobody is using. Over the last <see cref="ZombieAuditOptions.Weeks"/> whole weeks
/// (ending at <c>windowEnd</c>), either the last week's distinct users fell by <see cref="ZombieAuditOptions.UserDropShare"/>
/// against the first week's while its tokens or cost held (fell by no more than
/// <see cref="ZombieAuditOptions.HoldTolerance"/>) or rose, or the last week cost at least
/// <see cref="ZombieAuditOptions.CostFloorUsdPerWeek"/> with fewer than <see cref="ZombieAuditOptions.MinDailyUsers"/>
/// users a day on average. Needs usage in the window's first week (the baseline); a feature whose calls name no user is not judged.
/// </summary>
public static class ZombieFeatureRule
{
    public static RuleResult Evaluate(FeatureUsageHistory history, DateTimeOffset windowEnd, ZombieAuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var subject = AuditRules.FeatureSubject(history.Team, history.Feature);
        var end = FeatureUsageHistory.DayOf(windowEnd);
        var start = end.AddDays(-7 * options.Weeks);
        // The first week is the baseline: a feature with no usage in it (newer than the window) has nothing to be
        // compared with, and a launch ramp is not a zombie.
        if (history.FirstHour >= start.AddDays(7))
        {
            return new(FindingKinds.ZombieFeature, subject, RuleStatus.NotEnoughHistory,
                $"Not enough history: the rule compares {options.Weeks} whole weeks from {AuditRules.Day(start)} against the first of them; the feature's first usage is {AuditRules.Day(history.FirstHour)}.");
        }

        var weeks = Enumerable.Range(0, options.Weeks).Select(w => history.Period(start.AddDays(7 * w), start.AddDays(7 * (w + 1)))).ToList();
        if (weeks.All(w => w.AttributedRequests == 0))
        {
            return new(FindingKinds.ZombieFeature, subject, RuleStatus.NotApplicable,
                "No call in the window named a user, so active users cannot be counted; send 'user' with each event.");
        }

        var (first, last) = (weeks[0], weeks[^1]);
        var hold = 1m - options.HoldTolerance;
        var usersFell = first.Users > 0 && last.Users <= first.Users * (1m - options.UserDropShare);
        var spendHeld = last.Tokens >= first.Tokens * hold || last.CostUsd >= first.CostUsd * hold;
        var declined = usersFell && spendHeld && last.CostUsd >= options.MinWeeklyCostUsd;
        var floor = last.CostUsd >= options.CostFloorUsdPerWeek && last.AverageDailyUsers < options.MinDailyUsers;
        if (!declined && !floor)
        {
            return new(FindingKinds.ZombieFeature, subject, RuleStatus.Clear,
                $"Users {first.Users} → {last.Users}, cost {AuditRules.Usd(first.CostUsd)} → {AuditRules.Usd(last.CostUsd)} a week, {AuditRules.Number(last.AverageDailyUsers)} users a day.");
        }

        var rule = $"Over {options.Weeks} weeks, weekly active users fell by at least {AuditRules.Number(options.UserDropShare * 100)}% while tokens or cost held "
            + $"(within {AuditRules.Number(options.HoldTolerance * 100)}%) or rose, with the last week at {AuditRules.Usd(options.MinWeeklyCostUsd)} or more; "
            + $"or the last week cost {AuditRules.Usd(options.CostFloorUsdPerWeek)} or more with fewer than {AuditRules.Number(options.MinDailyUsers)} users a day.";
        var why = declined
            ? $"Weekly active users fell from {first.Users} to {last.Users} while {(last.Tokens >= first.Tokens * hold ? $"tokens went from {AuditRules.Number(first.Tokens)} to {AuditRules.Number(last.Tokens)}" : $"cost went from {AuditRules.Usd(first.CostUsd)} to {AuditRules.Usd(last.CostUsd)}")}."
            : $"The last week cost {AuditRules.Usd(last.CostUsd)} for {AuditRules.Number(last.AverageDailyUsers)} users a day.";
        var evidence = new FindingEvidence(
            rule, start, end,
            AuditRules.Values(("users", last.Users), ("averageDailyUsers", decimal.Round(last.AverageDailyUsers, 2)), ("requests", last.Requests),
                ("tokens", last.Tokens), ("costUsd", last.CostUsd)),
            AuditRules.Values(("users", first.Users), ("averageDailyUsers", decimal.Round(first.AverageDailyUsers, 2)), ("requests", first.Requests),
                ("tokens", first.Tokens), ("costUsd", first.CostUsd)),
            $"The first week of the window ({AuditRules.Day(first.From)} to {AuditRules.Day(first.To)}); observed is the last week ({AuditRules.Day(last.From)} to {AuditRules.Day(last.To)}).",
            [.. weeks.Select(w => w.ToEvidence())]);

        // A soft monthly budget at the feature's current run rate rather than isolating it: the few users left keep
        // working (isolation would cut them off for a problem that is waste, not harm), and the owners finally see
        // the spend — the missing eye is what makes a zombie. Warn fires at 75% of the run rate, so within the month;
        // an admin can lower the limit or make it hard when applying.
        var monthlyRunRate = decimal.Ceiling(last.CostUsd * 52m / 12m);
        var action = AuditRules.CreateBudget(AuditRules.BudgetId("zombie-", history.Feature), "feature", history.Feature, "monthly",
            Math.Max(1m, monthlyRunRate), "soft",
            $"Create a soft monthly budget of {AuditRules.Usd(Math.Max(1m, monthlyRunRate))} (the current run rate) on feature '{history.Feature}' so its owners are alerted as the spend accrues.");
        var severity = last.CostUsd >= options.CostFloorUsdPerWeek * 10 ? FindingSeverity.High
            : last.CostUsd >= options.CostFloorUsdPerWeek ? FindingSeverity.Medium
            : FindingSeverity.Low;
        var candidate = new FindingCandidate(FindingKinds.ZombieFeature, subject, severity, evidence,
            $"{why} Ask team '{history.Team}' whether '{history.Feature}' is still needed; switch off its background work or retire it. Until then, put a budget on it.",
            last.CostUsd, action);
        return RuleResult.Fired(candidate, why);
    }
}

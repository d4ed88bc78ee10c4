using ControlPlane.Paging;
using ControlPlane.Registry;
using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>What one usage audit evaluated: the candidates to record (largest first, at most the run's cap) and how each rule's verdicts fell.</summary>
public sealed record UsageAuditEvaluation(
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyList<FindingCandidate> Candidates,
    int Subjects,
    IReadOnlyDictionary<string, int> NotEnoughHistory,
    int Dropped);

/// <summary>
/// The usage-derived audits: gathers rollups, session usage and the features registry for a window, runs the pure
/// rules over them and returns the candidates. Reads only, so an activity that runs it twice does no harm.
/// </summary>
public sealed class UsageAuditService(IUsageStore usage, IRegistryStore registry, ZombieAuditOptions zombie, AnomalyScanOptions anomalies)
{
    /// <summary>
    /// The nightly audit for the weeks ending at the start of <paramref name="at"/>'s UTC day: <c>zombie-feature</c>
    /// over <see cref="ZombieAuditOptions.Weeks"/> weeks and <c>negative-unit-economics</c> over the last week.
    /// </summary>
    public async Task<UsageAuditEvaluation> EvaluateZombieAsync(DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var end = FeatureUsageHistory.DayOf(at);
        var start = end.AddDays(-7 * zombie.Weeks);
        var histories = FeatureUsageHistory.FromRollups(await usage.GetRollupsAsync(start, end, cancellationToken).ConfigureAwait(false));
        var profiles = await FeaturesAsync(cancellationToken).ConfigureAwait(false);
        return Evaluate(start, end, zombie.MaxFindingsPerRun, histories.Count, histories.Values.SelectMany(h => new[]
        {
            ZombieFeatureRule.Evaluate(h, end, zombie),
            UnitEconomicsRule.Evaluate(h, profiles.GetValueOrDefault(h.Feature), end),
        }));
    }

    /// <summary>
    /// The hourly scan of the UTC hour starting at <paramref name="hour"/>: <c>spend-anomaly-hour</c>, the session
    /// rules over the last <see cref="AnomalyScanOptions.SessionWindowHours"/> hours, and — when the hour is the last
    /// of its day — <c>spend-anomaly-day</c> and <c>tokens-per-call</c> for that day. Each hour and day is judged by
    /// one run, so a resolved finding reopens only when the problem happens again.
    /// </summary>
    public async Task<UsageAuditEvaluation> EvaluateAnomaliesAsync(DateTimeOffset hour, CancellationToken cancellationToken = default)
    {
        hour = UsageRollup.HourOf(hour);
        var day = FeatureUsageHistory.DayOf(hour);
        var dayEnds = hour.AddHours(1) == day.AddDays(1);

        // Read only what the rules look at: the day up to this hour, the same day of each baseline week, and at the
        // day's end the trailing days. Whole days, merged where they overlap so no row is counted twice.
        var ranges = Enumerable.Range(0, anomalies.BaselineWeeks + 1)
            .Select(k => (From: hour.AddDays(-7 * k).AddHours(-23), To: hour.AddDays(-7 * k).AddHours(1)))
            .ToList();
        if (dayEnds)
        {
            ranges.Add((day.AddDays(-anomalies.TrailingDays), day.AddDays(1)));
        }

        var rows = new List<UsageRollup>();
        foreach (var (from, to) in Merge(ranges))
        {
            rows.AddRange(await usage.GetRollupsAsync(from, to, cancellationToken).ConfigureAwait(false));
        }

        var histories = FeatureUsageHistory.FromRollups(rows);
        var sessionsFrom = hour.AddHours(1 - anomalies.SessionWindowHours);
        var sessions = await usage.GetSessionUsageAsync(sessionsFrom, hour.AddHours(1), cancellationToken).ConfigureAwait(false);
        var profiles = await FeaturesAsync(cancellationToken).ConfigureAwait(false);

        var results = new List<RuleResult>();
        foreach (var history in histories.Values)
        {
            results.Add(SpendAnomalyRules.EvaluateHour(history, hour, anomalies));
            if (dayEnds)
            {
                results.Add(SpendAnomalyRules.EvaluateDay(history, day, anomalies));
                results.Add(TokensPerCallRule.Evaluate(history, profiles.GetValueOrDefault(history.Feature), day, anomalies));
            }
        }

        foreach (var session in sessions)
        {
            results.Add(SessionRules.EvaluateCallsPerSession(session, profiles.GetValueOrDefault(session.Feature), sessionsFrom, hour.AddHours(1), anomalies));
            results.Add(SessionRules.EvaluateAgentLoop(session, sessionsFrom, hour.AddHours(1), anomalies));
        }

        return Evaluate(hour, hour.AddHours(1), anomalies.MaxFindingsPerRun, histories.Count + sessions.Count, results);
    }

    private static UsageAuditEvaluation Evaluate(DateTimeOffset start, DateTimeOffset end, int max, int subjects, IEnumerable<RuleResult> results)
    {
        var all = results.ToList();
        var candidates = all.Where(r => r.Candidate is not null).Select(r => r.Candidate!)
            .OrderByDescending(c => c.Severity).ThenByDescending(c => c.Magnitude).ThenBy(c => c.Fingerprint, StringComparer.Ordinal)
            .ToList();
        var notEnough = all.Where(r => r.Status == RuleStatus.NotEnoughHistory).GroupBy(r => r.Kind, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new UsageAuditEvaluation(start, end, [.. candidates.Take(max)], subjects, notEnough, Math.Max(0, candidates.Count - max));
    }

    private async Task<Dictionary<string, FeatureProfile>> FeaturesAsync(CancellationToken cancellationToken) =>
        (await Pages.AllAsync<FeatureProfile>(registry.ListFeaturesAsync, cancellationToken).ConfigureAwait(false))
            .ToDictionary(f => f.Feature, StringComparer.Ordinal);

    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> Merge(IEnumerable<(DateTimeOffset From, DateTimeOffset To)> ranges)
    {
        (DateTimeOffset From, DateTimeOffset To)? current = null;
        foreach (var range in ranges.OrderBy(r => r.From))
        {
            if (current is { } c && range.From <= c.To)
            {
                current = (c.From, range.To > c.To ? range.To : c.To);
                continue;
            }

            if (current is { } done)
            {
                yield return done;
            }

            current = range;
        }

        if (current is { } last)
        {
            yield return last;
        }
    }
}

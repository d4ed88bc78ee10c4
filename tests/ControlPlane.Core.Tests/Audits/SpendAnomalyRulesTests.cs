using static ControlPlane.Audits.History;

namespace ControlPlane.Audits;

public sealed class SpendAnomalyRulesTests
{
    private static readonly AnomalyScanOptions Options = new();

    /// <summary>The hour judged: Monday 10:00 UTC.</summary>
    private static readonly DateTimeOffset Hour = End.AddHours(10);

    /// <summary>$1 at the same hour in each of the previous <paramref name="weeks"/> weeks, and <paramref name="cost"/> now.</summary>
    private static FeatureUsageHistory HourAgainstBaseline(decimal cost, int weeks = 4, decimal baseline = 1m) =>
        Of(Enumerable.Range(1, weeks).Select(k => Row(Hour.AddDays(-7 * k), "u", baseline)).Append(Row(Hour, "u", cost)));

    [Fact]
    public void EvaluateHour_ThreeTimesTheBaseline_FindsAnAnomaly()
    {
        var result = SpendAnomalyRules.EvaluateHour(HourAgainstBaseline(3m), Hour, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var evidence = result.Candidate!.Evidence;
        Assert.Equal((3m, 1m, 4m), (evidence.Observed["costUsd"], evidence.Baseline!["costUsd"], evidence.Baseline["weeks"]));
        Assert.Equal((Hour, Hour.AddHours(1)), (evidence.WindowStart, evidence.WindowEnd));
        Assert.Contains("same hour of the week", evidence.BaselineDescription);
        Assert.Equal(5, evidence.Series!.Count);
        Assert.Equal(2m, result.Candidate.Magnitude);
    }

    [Fact]
    public void EvaluateHour_JustUnderThreeTimes_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, SpendAnomalyRules.EvaluateHour(HourAgainstBaseline(2.99m), Hour, Options).Status);
    }

    [Fact]
    public void EvaluateHour_OnlyOneWeekOfHistory_SaysNotEnoughHistory()
    {
        var result = SpendAnomalyRules.EvaluateHour(HourAgainstBaseline(100m, weeks: 1), Hour, Options);

        Assert.Equal(RuleStatus.NotEnoughHistory, result.Status);
        Assert.Null(result.Candidate);
    }

    [Fact]
    public void EvaluateHour_TwoWeeksOfHistory_IsEnough()
    {
        Assert.Equal(RuleStatus.Finding, SpendAnomalyRules.EvaluateHour(HourAgainstBaseline(3m, weeks: 2), Hour, Options).Status);
    }

    [Fact]
    public void EvaluateHour_PenniesQuadrupling_IsNotAnAnomaly()
    {
        var result = SpendAnomalyRules.EvaluateHour(HourAgainstBaseline(0.04m, baseline: 0.01m), Hour, Options);

        Assert.Equal(RuleStatus.Clear, result.Status);
    }

    [Fact]
    public void EvaluateHour_SpendWhereThereWasNone_FindsAnAnomalyAboveTheMinimum()
    {
        // The feature existed (usage the day before each baseline hour) but spent nothing at this hour of the week.
        var history = Of(Enumerable.Range(1, 4).Select(k => Row(Hour.AddDays(-7 * k).AddHours(-5), "u", 1m)).Append(Row(Hour, "u", 1m)));

        var result = SpendAnomalyRules.EvaluateHour(history, Hour, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        Assert.Equal(FindingSeverity.High, result.Candidate!.Severity);
    }

    /// <summary>$10 a day for the 7 days before the judged day, <paramref name="cost"/> on it.</summary>
    private static FeatureUsageHistory DayAgainstTrailing(decimal cost, int days = 7) =>
        Of(Enumerable.Range(1, days).Select(d => Row(End.AddDays(-d).AddHours(12), "u", 10m)).Append(Row(End.AddHours(12), "u", cost)));

    [Fact]
    public void EvaluateDay_OneAndAHalfTimesTheTrailingAverage_FindsAnAnomaly()
    {
        var result = SpendAnomalyRules.EvaluateDay(DayAgainstTrailing(15m), End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var evidence = result.Candidate!.Evidence;
        Assert.Equal((15m, 10m), (evidence.Observed["costUsd"], evidence.Baseline!["costUsd"]));
        Assert.Equal((End, End.AddDays(1)), (evidence.WindowStart, evidence.WindowEnd));
        Assert.Equal(8, evidence.Series!.Count);
        Assert.Equal(FindingKinds.SpendAnomalyDay, result.Candidate.Kind);
    }

    [Fact]
    public void EvaluateDay_JustUnderOneAndAHalfTimes_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, SpendAnomalyRules.EvaluateDay(DayAgainstTrailing(14.99m), End, Options).Status);
    }

    [Fact]
    public void EvaluateDay_SixDaysOfHistory_SaysNotEnoughHistory()
    {
        Assert.Equal(RuleStatus.NotEnoughHistory, SpendAnomalyRules.EvaluateDay(DayAgainstTrailing(100m, days: 6), End, Options).Status);
    }

    [Fact]
    public void EvaluateDay_BelowTheMinimumDailyCost_IsClear()
    {
        var history = Of(Enumerable.Range(1, 7).Select(d => Row(End.AddDays(-d).AddHours(12), "u", 1m)).Append(Row(End.AddHours(12), "u", 9.99m)));

        Assert.Equal(RuleStatus.Clear, SpendAnomalyRules.EvaluateDay(history, End, Options).Status);
    }
}

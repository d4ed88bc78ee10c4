using ControlPlane.Budgets;

namespace ControlPlane.Budgets;

public sealed class PeriodWindowTests
{
    [Theory]
    [InlineData(BudgetPeriod.Daily, "2026-11-23T23:59:59Z", "D2026-11-23", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")]
    [InlineData(BudgetPeriod.Daily, "2026-11-24T01:00:00+02:00", "D2026-11-23", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")]
    [InlineData(BudgetPeriod.Weekly, "2026-11-29T12:00:00Z", "W2026-11-23", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")]
    [InlineData(BudgetPeriod.Weekly, "2026-11-23T00:00:00Z", "W2026-11-23", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")]
    [InlineData(BudgetPeriod.Monthly, "2026-12-31T23:00:00Z", "M2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    public void For_UtcCalendarPeriods(BudgetPeriod period, string at, string key, string start, string end)
    {
        var window = PeriodWindow.For(period, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(key, window.Key);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), window.Start);
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), window.End);
    }

    [Fact]
    public void For_Total_NeverRollsOver()
    {
        Assert.Equal(PeriodWindow.For(BudgetPeriod.Total, DateTimeOffset.MinValue.AddYears(2000)).Key, PeriodWindow.For(BudgetPeriod.Total, new DateTimeOffset(2090, 1, 1, 0, 0, 0, TimeSpan.Zero)).Key);
    }

    [Theory]
    [InlineData(0, BudgetState.Ok)]
    [InlineData(7.49, BudgetState.Ok)]
    [InlineData(7.5, BudgetState.Warn)]
    [InlineData(9, BudgetState.Review)]
    [InlineData(10, BudgetState.Blocked)]
    public void StateFor_DefaultThresholds(decimal spent, BudgetState expected)
    {
        var budget = new Budget { Id = "b", Scope = new BudgetScope(BudgetScopeType.Org, "acme"), Period = BudgetPeriod.Monthly, LimitUsd = 10m };

        Assert.Equal(expected, budget.StateFor(spent));
    }

    [Theory]
    [InlineData(BudgetScopeType.Org, "acme", true)]
    [InlineData(BudgetScopeType.Team, "search", true)]
    [InlineData(BudgetScopeType.Team, "Search", false)]
    [InlineData(BudgetScopeType.Feature, "answers", true)]
    [InlineData(BudgetScopeType.User, "ann", true)]
    [InlineData(BudgetScopeType.Environment, "dev", false)]
    [InlineData(BudgetScopeType.Model, "GPT-4o", true)]
    [InlineData(BudgetScopeType.App, "web", false)]
    public void Scope_Covers(BudgetScopeType type, string value, bool expected)
    {
        var call = new CallAttribution("search", "answers", "ann", "prod", "gpt-4o", null);

        Assert.Equal(expected, new BudgetScope(type, value).Covers(call));
    }
}

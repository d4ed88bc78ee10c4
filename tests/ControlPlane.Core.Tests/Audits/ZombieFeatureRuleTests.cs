using System.Text.Json;
using ControlPlane.Budgets;
using static ControlPlane.Audits.History;

namespace ControlPlane.Audits;

public sealed class ZombieFeatureRuleTests
{
    private static readonly ZombieAuditOptions Options = new();
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Start = End.AddDays(-28);

    /// <summary>Four weeks: 10 users a day for three weeks, then <paramref name="lastWeekUsers"/>; $5 and 100K tokens a day throughout.</summary>
    private static FeatureUsageHistory UsersFallingTo(int lastWeekUsers, decimal costPerDay = 5m, long tokensPerDay = 100_000) =>
        Of(Daily(Start, 28, d => d < 21 ? 10 : lastWeekUsers, _ => costPerDay, _ => tokensPerDay));

    [Fact]
    public void Evaluate_UsersHalvedWhileSpendHolds_FindsAZombie()
    {
        var result = ZombieFeatureRule.Evaluate(UsersFallingTo(5), End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        var finding = result.Candidate!;
        Assert.Equal(FindingKinds.ZombieFeature, finding.Kind);
        Assert.Equal(new FindingSubject(SubjectTypes.Feature, "summarize", "docs"), finding.Subject);
        Assert.Equal(10m, finding.Evidence.Baseline!["users"]);
        Assert.Equal(5m, finding.Evidence.Observed["users"]);
        Assert.Equal(35m, finding.Magnitude);
        Assert.Equal((Start, End), (finding.Evidence.WindowStart, finding.Evidence.WindowEnd));
        Assert.Contains("first week", finding.Evidence.BaselineDescription);
        Assert.Equal([Start, Start.AddDays(7), Start.AddDays(14), Start.AddDays(21)], finding.Evidence.Series!.Select(p => p.Start));
        Assert.Equal([10m, 10m, 10m, 5m], finding.Evidence.Series!.Select(p => p.Values["users"]));
        Assert.Equal([35m, 35m, 35m, 35m], finding.Evidence.Series!.Select(p => p.Values["costUsd"]));
    }

    [Fact]
    public void Evaluate_UsersFellJustShortOfHalf_IsClear()
    {
        var result = ZombieFeatureRule.Evaluate(UsersFallingTo(6), End, Options);

        Assert.Equal(RuleStatus.Clear, result.Status);
        Assert.Null(result.Candidate);
    }

    [Fact]
    public void Evaluate_UsersHalvedAndSpendFellWithThem_IsClear()
    {
        // Tokens and cost both fell by more than the 10% tolerance in the last week: the feature is winding down, not a zombie.
        var history = Of(Daily(Start, 28, d => d < 21 ? 10 : 5, d => d < 21 ? 5m : 4.4m, d => d < 21 ? 100_000 : 89_000));

        Assert.Equal(RuleStatus.Clear, ZombieFeatureRule.Evaluate(history, End, Options).Status);
    }

    [Fact]
    public void Evaluate_FloorCostWithFourUsersADay_FindsAZombie()
    {
        // Steady users (no fall), but $50 a week for 4 users a day.
        var history = Of(Daily(Start, 28, _ => 4, _ => 50m / 7));

        var result = ZombieFeatureRule.Evaluate(history, End, Options);

        Assert.Equal(RuleStatus.Finding, result.Status);
        Assert.Equal(4m, result.Candidate!.Evidence.Observed["averageDailyUsers"]);
    }

    [Fact]
    public void Evaluate_FloorCostWithFiveUsersADay_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, ZombieFeatureRule.Evaluate(Of(Daily(Start, 28, _ => 5, _ => 50m / 7)), End, Options).Status);
    }

    [Fact]
    public void Evaluate_JustBelowTheCostFloorWithFourUsers_IsClear()
    {
        Assert.Equal(RuleStatus.Clear, ZombieFeatureRule.Evaluate(Of(Daily(Start, 28, _ => 4, _ => 49.99m / 7)), End, Options).Status);
    }

    [Fact]
    public void Evaluate_FeatureYoungerThanTheWindow_SaysNotEnoughHistory()
    {
        // First usage in the second week: no baseline week. Even a floor breach is not judged.
        var history = Of(Daily(Start.AddDays(7), 21, _ => 1, _ => 100m));

        var result = ZombieFeatureRule.Evaluate(history, End, Options);

        Assert.Equal(RuleStatus.NotEnoughHistory, result.Status);
        Assert.Null(result.Candidate);
        Assert.Contains("Not enough history", result.Reason);
    }

    [Fact]
    public void Evaluate_CallsNameNoUser_IsNotApplicable()
    {
        var result = ZombieFeatureRule.Evaluate(Of(Daily(Start, 28, _ => 0, _ => 100m)), End, Options);

        Assert.Equal(RuleStatus.NotApplicable, result.Status);
    }

    [Fact]
    public void Evaluate_Zombie_ProposesASoftMonthlyBudgetTheBudgetsApiAccepts()
    {
        var action = ZombieFeatureRule.Evaluate(UsersFallingTo(5), End, Options).Candidate!.ProposedAction!;

        Assert.Equal(ProposedActionTypes.CreateBudget, action.Type);
        Assert.Equal("zombie-summarize", action.Parameters.GetProperty("budgetId").GetString());
        var body = action.Parameters.GetProperty("budget").Deserialize<BudgetRequest>(Web)!;
        var budget = body.Validate("zombie-summarize");
        Assert.True(budget.IsValid);
        Assert.Equal((BudgetMode.Soft, BudgetPeriod.Monthly, 152m), (budget.Value!.Mode, budget.Value.Period, budget.Value.LimitUsd));
        Assert.Equal(("feature", "summarize"), (body.Scope!.Type, body.Scope.Value));
    }

    [Fact]
    public void Evaluate_SameZombieTwice_HasOneFingerprint()
    {
        var first = ZombieFeatureRule.Evaluate(UsersFallingTo(5), End, Options).Candidate!;
        var second = ZombieFeatureRule.Evaluate(UsersFallingTo(2, costPerDay: 9m), End.AddDays(1), Options).Candidate!;

        Assert.Equal(first.Fingerprint, second.Fingerprint);
    }
}

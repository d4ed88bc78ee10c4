using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Budgets;

namespace ControlPlane.Audits;

public sealed class ProposalsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly AuditActor Finance = new("key_f", "finance bot", ApiRole.Finance, Bootstrap: false);

    private static Budget SearchMonthly(decimal limit = 250.5m) => new BudgetRequest
    {
        Scope = new BudgetRequest.ScopeRequest { Type = "team", Value = "search" },
        Period = "monthly",
        LimitUsd = limit,
        Mode = "soft",
    }.Validate("team-search-monthly").Value!;

    [Theory]
    [InlineData(BudgetScopeType.Team, "search", BudgetPeriod.Monthly, "team-search-monthly")]
    [InlineData(BudgetScopeType.Model, "gpt-4o", BudgetPeriod.Daily, "model-gpt-4o-daily")]
    public void BudgetIdFor_PlainValues_AreTypeValuePeriod(BudgetScopeType type, string value, BudgetPeriod period, string expected) =>
        Assert.Equal(expected, Proposals.BudgetIdFor(new BudgetScope(type, value), period));

    [Fact]
    public void BudgetIdFor_ValuesIdsCannotHold_AreValidIdsThatStayApart()
    {
        var spaced = Proposals.BudgetIdFor(new BudgetScope(BudgetScopeType.Feature, "a b"), BudgetPeriod.Weekly);
        var slashed = Proposals.BudgetIdFor(new BudgetScope(BudgetScopeType.Feature, "a/b"), BudgetPeriod.Weekly);
        var longValue = Proposals.BudgetIdFor(new BudgetScope(BudgetScopeType.User, new string('u', 256)), BudgetPeriod.Total);

        Assert.NotEqual(spaced, slashed);
        Assert.All([spaced, slashed, longValue], id => Assert.True(new BudgetRequest
        {
            Scope = new BudgetRequest.ScopeRequest { Type = "team", Value = "x" }, Period = "daily", LimitUsd = 1m,
        }.Validate(id).IsValid, id));
        Assert.EndsWith("-total", longValue, StringComparison.Ordinal);
    }

    [Fact]
    public void Budget_ProposesCreatingThatVeryBudget_WithTheProposerInTheEvidence()
    {
        var budget = SearchMonthly();

        var candidate = Proposals.Budget(budget, Finance, "search doubled.", Now);

        Assert.Equal(FindingKinds.ProposedBudget, candidate.Kind);
        Assert.Equal(new FindingSubject(SubjectTypes.Scope, "team:search", "search"), candidate.Subject);
        Assert.Equal(Finance, candidate.Evidence.ProposedBy);
        Assert.Contains("search doubled.", candidate.Recommendation, StringComparison.Ordinal);
        var action = candidate.ProposedAction!;
        Assert.Equal(ProposedActionTypes.CreateBudget, action.Type);
        // The parameters are the PUT /api/budgets/{id} body: read back, they validate to the proposed budget.
        var id = action.Parameters.GetProperty("budgetId").GetString()!;
        var body = action.Parameters.GetProperty("budget").Deserialize<BudgetRequest>(Web)!;
        Assert.Equal(budget, body.Validate(id).Value);
    }

    [Fact]
    public void Budget_SameScopeAndPeriod_IsOneFinding_AnotherPeriodAnother()
    {
        var first = Proposals.Budget(SearchMonthly(100m), Finance, "one", Now);
        var again = Proposals.Budget(SearchMonthly(300m), Finance with { KeyId = "key_other" }, "two", Now.AddDays(1));
        var weekly = Proposals.Budget(SearchMonthly() with { Id = "team-search-weekly", Period = BudgetPeriod.Weekly }, Finance, "three", Now);

        Assert.Equal(first.Fingerprint, again.Fingerprint);
        Assert.NotEqual(first.Fingerprint, weekly.Fingerprint);
    }

    [Fact]
    public void Isolation_ProposesIsolatingTheScope_OwnedByNoTeamUnlessATeamScope()
    {
        var candidate = Proposals.Isolation(new BudgetScope(BudgetScopeType.Feature, "answers"), Finance, "looping.", Now);

        Assert.Equal(FindingKinds.ProposedIsolation, candidate.Kind);
        Assert.Null(candidate.Subject.Team);
        Assert.Equal(ProposedActionTypes.IsolateScope, candidate.ProposedAction!.Type);
        Assert.Equal("""{"scope":{"type":"feature","value":"answers"}}""", candidate.ProposedAction.Parameters.GetRawText());
    }
}

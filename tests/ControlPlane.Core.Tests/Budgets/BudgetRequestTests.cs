namespace ControlPlane.Budgets;

public sealed class BudgetRequestTests
{
    private static BudgetRequest Request(string scopeType = "team", string scopeValue = "search", bool? denyUnpriced = null) => new()
    {
        Scope = new BudgetRequest.ScopeRequest { Type = scopeType, Value = scopeValue },
        Period = "daily",
        LimitUsd = 10m,
        DenyUnpriced = denyUnpriced,
    };

    [Fact]
    public void Validate_DenyUnpricedLeftOut_DeniesUnpricedCalls()
    {
        var budget = Request().Validate("b").Value!;

        Assert.True(budget.DenyUnpriced);
    }

    [Fact]
    public void Validate_DenyUnpricedFalse_IsTheAdminsChoice()
    {
        var budget = Request(denyUnpriced: false).Validate("b").Value!;

        Assert.False(budget.DenyUnpriced);
    }

    [Fact]
    public void Validate_ModelScopeWithSurroundingSpaces_CoversCallsOfThatModel()
    {
        var budget = Request("model", " GPT-4o ").Validate("b").Value!;

        Assert.Equal("GPT-4o", budget.Scope.Value);
        Assert.True(budget.Covers(new CallAttribution("search", "answers", null, "prod", "gpt-4o", null)));
    }
}

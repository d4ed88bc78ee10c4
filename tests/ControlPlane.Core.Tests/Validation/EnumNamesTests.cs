using ControlPlane.Budgets;
using ControlPlane.Usage;

namespace ControlPlane.Validation;

public sealed class EnumNamesTests
{
    [Theory]
    [InlineData("team,day")]
    [InlineData("team, feature")]
    [InlineData("1")]
    [InlineData("-1")]
    [InlineData("42")]
    [InlineData(" team")]
    [InlineData("team ")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_CombinationNumberOrPadding_IsRefused(string? value) =>
        Assert.False(EnumNames.TryParse<CostGrouping>(value, out _));

    [Theory]
    [InlineData("team", CostGrouping.Team)]
    [InlineData("DAY", CostGrouping.Day)]
    [InlineData("Environment", CostGrouping.Environment)]
    public void TryParse_OneNameInAnyCase_IsThatValue(string value, CostGrouping expected)
    {
        Assert.True(EnumNames.TryParse<CostGrouping>(value, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void Allowed_ListsTheNamesInDeclarationOrder() =>
        Assert.Equal("org, team, feature, user, environment, model, app", EnumNames.Allowed<BudgetScopeType>());
}

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
        Assert.False(EnumNames.TryParse<CostDimension>(value, out _));

    [Theory]
    [InlineData("team", CostDimension.Team)]
    [InlineData("DAY", CostDimension.Day)]
    [InlineData("Environment", CostDimension.Environment)]
    public void TryParse_OneNameInAnyCase_IsThatValue(string value, CostDimension expected)
    {
        Assert.True(EnumNames.TryParse<CostDimension>(value, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void Allowed_ListsTheNamesInDeclarationOrder() =>
        Assert.Equal("org, team, feature, user, environment, model, app", EnumNames.Allowed<BudgetScopeType>());
}

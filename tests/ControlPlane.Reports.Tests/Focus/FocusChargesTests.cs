using ControlPlane.Pricing;

namespace ControlPlane.Reports.Focus;

/// <summary>Rows become one charge per day, attribution and kind, carrying every cent.</summary>
public sealed class FocusChargesTests
{
    private static ReportRow Row(int hour, decimal input, decimal cached, decimal output, decimal cost, string model = "gpt-4o-mini", decimal units = 0) => new()
    {
        Hour = new DateTimeOffset(2026, 11, 23, hour, 0, 0, TimeSpan.Zero), Team = "search", Feature = "answers", Model = model, Provider = "azure-openai",
        Environment = "prod", Requests = 1, Tokens = new UsageTokens(1000, 400, 0, 200, 0), UncachedInputUsd = input, CachedInputUsd = cached, OutputUsd = output,
        CostUsd = cost, Units = units,
    };

    [Fact]
    public void RowsOfOneDay_AreOneChargePerKind_AddingUpToTheirCost()
    {
        var charges = FocusCharges.From([Row(9, 0.1m, 0.02m, 0.3m, 0.42m), Row(17, 0.1m, 0.02m, 0.3m, 0.42m)], _ => "CC-1").ToList();

        Assert.Equal([ChargeKind.Input, ChargeKind.CachedInput, ChargeKind.Output], charges.Select(c => c.Kind));
        Assert.Equal([1200m, 800m, 400m], charges.Select(c => c.Quantity));
        Assert.Equal(0.84m, charges.Sum(c => c.CostUsd));
        Assert.All(charges, c => Assert.Equal(("CC-1", new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero)), (c.CostCenter!, c.ChargePeriodStart)));
    }

    [Fact]
    public void RowRecordedBeforeTheSplit_ItsCostIsAnUnsplitCharge()
    {
        var charges = FocusCharges.From([Row(9, 0m, 0m, 0m, 0.5m)], _ => null).ToList();

        Assert.Equal(0.5m, charges.Single(c => c.Kind == ChargeKind.Unsplit).CostUsd);
        Assert.Equal(0.5m, charges.Sum(c => c.CostUsd));
    }

    [Fact]
    public void GpuPoolRow_IsOneChargeOfInstanceHours()
    {
        var charge = Assert.Single(FocusCharges.From([Row(9, 0m, 0m, 0m, 36m, model: "gpu:a100", units: 4.5m) with { Tokens = default }], _ => null));

        Assert.Equal((ChargeKind.GpuInstanceHours, 4.5m, 36m), (charge.Kind, charge.Quantity, charge.CostUsd));
    }
}

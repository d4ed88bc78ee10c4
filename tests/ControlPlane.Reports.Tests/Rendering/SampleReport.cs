using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Registry;

namespace ControlPlane.Reports.Rendering;

/// <summary>A month of traffic for three teams (one unregistered), with a budget, a batch run and findings, built by the real builder.</summary>
internal static class SampleReport
{
    public static readonly DateTimeOffset Nov = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static ReportContent Build(string evilTeam = "labs")
    {
        var rows = new List<ReportRow>();
        for (var day = 1; day <= 30; day++)
        {
            rows.Add(Row(day, "search", "answers", "gpt-4o-mini", 1.25m + (day * 0.01m), new(2_000_000, 500_000, 0, 400_000, 0), units: 40));
            rows.Add(Row(day, "support", "triage", "claude-sonnet-4-5", 0.8m, new(100_000, 0, 10_000, 20_000, 0), provider: "anthropic"));
            rows.Add(Row(day, evilTeam, "prototype", "gpt-4o", 0.3m, new(100_000, 0, 0, 10_000, 0), user: null));
        }

        rows.Add(Row(12, "search", "answers", "gpt-4o-mini", 0.375m, new(1_000_000, 0, 0, 1_000_000, 0), batch: true));
        var budget = new Budget { Id = "search-monthly", Scope = new(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Monthly, LimitUsd = 50m };
        var finding = new Finding("fnd_1", FindingKinds.ZombieFeature, "fp", new FindingSubject("feature", "prototype", evilTeam), FindingSeverity.High, FindingState.Open,
            new FindingEvidence("r", Nov, Nov, new Dictionary<string, decimal>()), "Retire <prototype> & save", null, 9m, Nov, Nov, 1, "run");
        return new ReportBuilder(new ReportOptions()).Build(new ReportInputs(
            ReportPeriod.Month(2026, 11), new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), rows, [Row(15, "search", "answers", "gpt-4o-mini", 20m, default, month: 10)], rows,
            [new TeamProfile("search", "CC-1042", "Dana", null, Nov), new TeamProfile("support", "CC-2001", null, null, Nov)],
            [new FeatureProfile("answers", "search", 2000, 3m, "resolved ticket", 0.5m, Nov) { FixedCostsUsd = 500m }],
            [new BudgetStatus(budget, 41m, 0m, 9m, BudgetState.Warn, PeriodWindow.For(BudgetPeriod.Monthly, Nov), KillSwitchState.Armed, null)],
            [finding],
            PriceSheet.Create(DefaultPriceSheet.Load(), [])));
    }

    private static ReportRow Row(int day, string team, string feature, string model, decimal cost, UsageTokens tokens, string? provider = "azure-openai",
        string? user = "u1", decimal units = 0, bool batch = false, int month = 11) => new()
    {
        Hour = new DateTimeOffset(2026, month, day, 12, 0, 0, TimeSpan.Zero),
        Team = team, Feature = feature, Model = model, Provider = provider, Environment = "prod", User = user, Requests = 100, Units = units,
        Tokens = tokens, CostUsd = cost, Batch = batch,
    };
}

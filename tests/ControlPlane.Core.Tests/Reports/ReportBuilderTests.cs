using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Registry;

namespace ControlPlane.Reports;

/// <summary>Report figures against hand-computed fixtures.</summary>
public sealed class ReportBuilderTests
{
    private static readonly DateTimeOffset Nov = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PriceSheet Prices = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private static readonly ReportBuilder Builder = new(new ReportOptions());

    private static ReportRow Row(int day, string team, string feature, string model, decimal cost, long requests = 1, string? provider = "azure-openai",
        string? user = "u1", long failed = 0, decimal units = 0, long unpriced = 0, bool batch = false, UsageTokens tokens = default, int month = 11, int hour = 10) => new()
    {
        Hour = new DateTimeOffset(2026, month, day, hour, 0, 0, TimeSpan.Zero),
        Team = team, Feature = feature, Model = model, Provider = provider, Environment = "prod", User = user,
        Requests = requests, FailedRequests = failed, Units = units, UnpricedRequests = unpriced, Batch = batch, Tokens = tokens, CostUsd = cost,
    };

    private static ReportInputs Inputs(IReadOnlyList<ReportRow> rows, IReadOnlyList<ReportRow>? previous = null, IReadOnlyList<BudgetStatus>? budgets = null,
        IReadOnlyList<Finding>? findings = null, IReadOnlyList<FeatureProfile>? features = null) => new(
        ReportPeriod.Month(2026, 11), new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), rows, previous ?? [], rows,
        [new TeamProfile("search", "CC-1", "Dana", null, Nov), new TeamProfile("support", "CC-2", null, null, Nov)],
        features ?? [new FeatureProfile("answers", "search", 2000, 3m, "resolved ticket", 0.5m, Nov) { FixedCostsUsd = 100m }],
        budgets ?? [], findings ?? [], Prices);

    private static readonly ReportRow[] November =
    [
        Row(5, "search", "answers", "gpt-4o-mini", 10m, requests: 100, failed: 10, units: 40),
        Row(6, "support", "triage", "claude-sonnet-4-5", 5m, requests: 50, provider: "anthropic"),
        Row(7, "labs", "prototype", "my-finetune-v7", 0m, requests: 20, unpriced: 20, provider: null),
        Row(8, "labs", "gpu-pool/a100", "gpu:a100", 2m, requests: 1, provider: "azure-vmss", user: null, units: 8),
    ];

    [Fact]
    public void Totals_AddUpExactly_AndSplitTokenCostFromGpuCost()
    {
        var report = Builder.Build(Inputs(November, previous: [Row(20, "search", "answers", "gpt-4o-mini", 4m, month: 10)]));

        Assert.Equal(17m, report.Totals.CostUsd);
        Assert.Equal(15m, report.Totals.TokenCostUsd);
        Assert.Equal(2m, report.Totals.GpuCostUsd);
        Assert.Equal(170, report.Totals.Requests); // the GPU pool's cost record is not a request
        Assert.Equal(15m / 170m, report.Totals.CostPerRequestUsd);
        Assert.Equal(20, report.Totals.UnpricedRequests);
        Assert.Equal(4m, report.Totals.PreviousCostUsd);
        Assert.False(report.Partial);
        foreach (var breakdown in new[] { report.ByTeam, report.ByFeature, report.ByModel, report.ByEnvironment, report.ByCostCenter })
        {
            Assert.Equal(report.Totals.CostUsd, breakdown.Sum(l => l.CostUsd));
            Assert.Equal(1m, decimal.Round(breakdown.Sum(l => l.Share), 20)); // shares are ratios: exact to 28 digits, not to the last
        }

        Assert.Equal(report.Totals.CostUsd, report.Daily.Sum(d => d.CostUsd));
    }

    [Fact]
    public void Chargeback_SplitsByCostCenter_AndLeavesUnregisteredTeamsUnassigned()
    {
        var report = Builder.Build(Inputs(November));

        Assert.Equal([("CC-1", 10m), ("CC-2", 5m), ("(unassigned)", 2m)], report.Chargeback.Select(c => (c.CostCenter, c.CostUsd)));
        Assert.Equal("labs", Assert.Single(report.Chargeback[2].Teams).Key);
        Assert.Equal(2m, report.Totals.UnattributedCostUsd);
    }

    [Fact]
    public void UnitEconomics_MarginProfitRoiAndPayback_AsHandComputed()
    {
        var answers = Builder.Build(Inputs(November)).UnitEconomics.Single(f => f.Feature == "answers");

        // 10 USD over 100 calls, 10 of them failed, 40 resolved tickets worth 0.50 each; built for 100 USD.
        Assert.Equal(0.9m, answers.SuccessRate);
        Assert.Equal(0.1m, answers.CostPerRequestUsd);
        Assert.Equal(0.25m, answers.CostPerUnitUsd);
        Assert.Equal(0.2m, answers.UnitMarginUsd); // 0.50 × 0.9 − 0.25
        Assert.Equal(8m, answers.ProfitUsd); // 40 × 0.20
        var monthly = 8m / (30m / 30.4375m);
        Assert.Equal(monthly, answers.MonthlyProfitUsd);
        Assert.Equal(((monthly * 12) - 100m) / 100m, answers.Roi);
        Assert.Equal(100m / monthly, answers.PaybackMonths);
        var triage = Builder.Build(Inputs(November)).UnitEconomics.Single(f => f.Feature == "triage");
        Assert.Null(triage.UnitMarginUsd); // declares no value
        Assert.Equal("support", triage.Team); // not registered: the team that spent most on it
    }

    [Fact]
    public void Budgets_AreComparedWithTheirScopesSpend_ProratedToTheReportsLength()
    {
        var monthly = new Budget { Id = "search-monthly", Scope = new(BudgetScopeType.Team, "search"), Period = BudgetPeriod.Monthly, LimitUsd = 20m };
        var weekly = new Budget { Id = "org-weekly", Scope = new(BudgetScopeType.Org, "contoso"), Period = BudgetPeriod.Weekly, LimitUsd = 3m };
        BudgetStatus Status(Budget b) => new(b, 1m, 0m, 0m, BudgetState.Ok, PeriodWindow.For(b.Period, Nov), KillSwitchState.Armed, null);

        var lines = Builder.Build(Inputs(November, budgets: [Status(monthly), Status(weekly)])).Budgets;

        var org = lines.Single(l => l.BudgetId == "org-weekly");
        Assert.Equal(3m * 30m / 7m, org.LimitForReportUsd);
        Assert.Equal(17m, org.SpentInReportUsd);
        var search = lines.Single(l => l.BudgetId == "search-monthly");
        Assert.Equal((20m, 10m, 0.5m), (search.LimitForReportUsd, search.SpentInReportUsd, search.ShareOfLimit));
        Assert.Equal("org-weekly", lines[0].BudgetId); // the most overspent first
    }

    [Fact]
    public void Movers_RankByAbsoluteChange_WithNewAndVanishedKeys()
    {
        var report = Builder.Build(Inputs(November, previous: [Row(20, "search", "answers", "gpt-4o-mini", 4m, month: 10), Row(21, "ops", "digest", "gpt-4o", 9m, month: 10)]));

        var top = report.TopMovers[0];
        Assert.Equal(("feature", "digest", 9m, 0m, -9m, -1m), (top.Dimension, top.Key, top.PreviousUsd, top.CurrentUsd, top.ChangeUsd, top.ChangeShare)); // ties: by dimension, then key
        Assert.Equal(["digest", "gpt-4o", "ops"], report.TopMovers.Take(3).Select(m => m.Key));
        var search = report.TopMovers.Single(m => m is { Dimension: "team", Key: "search" });
        Assert.Equal(6m, search.ChangeUsd);
        Assert.Equal(1.5m, search.ChangeShare);
        Assert.Null(report.TopMovers.Single(m => m is { Dimension: "team", Key: "support" }).ChangeShare); // new: no share of nothing
        Assert.Equal(10, report.TopMovers.Count);
    }

    [Fact]
    public void Forecast_IsMonthToDatePlusTheLastSevenDaysAverageForTheDaysLeft()
    {
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        List<ReportRow> rows = [.. Enumerable.Range(13, 7).Select(d => Row(d, "search", "answers", "gpt-4o-mini", 1m)), Row(20, "search", "answers", "gpt-4o-mini", 0.5m, hour: 6)];

        var forecast = ReportBuilder.ForecastFor(rows, now);

        Assert.Equal(7.5m, forecast.MonthToDateUsd);
        Assert.Equal(1m, forecast.DailyRunRateUsd);
        Assert.Equal(18m, forecast.MonthEndUsd); // 7.5 + 1 × 10.5 days
        Assert.Equal(11, forecast.DaysRemaining);
        Assert.Contains("last 7 complete days", forecast.Method, StringComparison.Ordinal);
    }

    [Fact]
    public void Forecast_ForAServiceThreeDaysOld_AveragesThoseThreeDays_AndWithNothingSaysSo()
    {
        var now = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

        var young = ReportBuilder.ForecastFor([Row(17, "s", "f", "gpt-4o", 3m), Row(19, "s", "f", "gpt-4o", 3m)], now);
        var empty = ReportBuilder.ForecastFor([], now);

        Assert.Equal(2m, young.DailyRunRateUsd); // 6 over 3 days (the 18th spent nothing)
        Assert.Equal(6m + (2m * 11m), young.MonthEndUsd);
        Assert.Equal(0m, empty.MonthEndUsd);
        Assert.Contains("No complete day", empty.Method, StringComparison.Ordinal);
    }

    [Fact]
    public void Savings_RealizedAndAvailable_AtTheSheetsPrices()
    {
        var million = 1_000_000;
        List<ReportRow> rows =
        [
            // Nightly batch: 1M in + 1M out of gpt-4o-mini at half of 0.15 + 0.60.
            Row(3, "search", "answers", "gpt-4o-mini", 0.375m, batch: true, user: null, tokens: new(million, 0, 0, million, 0)),

            // Real time with the cache: 2M prompt, 1M of it cached, on gpt-4o: 2.50 + 1.25.
            Row(4, "search", "answers", "gpt-4o", 3.75m, requests: 1000, tokens: new(2 * million, million, 0, 0, 0)),

            // Background work on gpt-4o-mini, long prompts and no cache: 2M prompt at 0.15.
            Row(5, "ops", "digest", "gpt-4o-mini", 0.3m, requests: 1000, user: null, tokens: new(2 * million, 0, 0, 0, 0)),
        ];

        var savings = Builder.Build(Inputs(rows)).Savings;

        Assert.Equal(0.375m, savings.Realized.Single(s => s.Kind == "batch").Usd);
        Assert.Equal(1.25m, savings.Realized.Single(s => s is { Kind: "cache", Subject: "gpt-4o" }).Usd); // 1M cached at 2.50 instead of 1.25
        Assert.Equal(0.15m, savings.Available.Single(s => s.Kind == "defer-to-batch").Usd); // 0.30 at half price
        Assert.Equal(3.75m - 0.225m, savings.Available.Single(s => s.Kind == "cheaper-model").Usd); // the same tokens on gpt-4o-mini
        Assert.Equal(0.075m, savings.Available.Single(s => s.Kind == "prompt-caching").Usd); // half of 2M at 0.075 instead of 0.15
        Assert.Equal(savings.Realized.Sum(s => s.Usd), savings.RealizedUsd);
        Assert.Equal(savings.Available.Sum(s => s.Usd), savings.AvailableUsd);
    }

    [Fact]
    public void PriceChangeInsideThePeriod_TotalsKeepWhatEachCallWasCharged()
    {
        // The same tokens before and after a price cut: the report adds what the ledger charged, never re-prices.
        List<ReportRow> rows = [Row(2, "search", "answers", "gpt-4o-mini", 0.75m), Row(20, "search", "answers", "gpt-4o-mini", 0.60m)];

        var report = Builder.Build(Inputs(rows));

        Assert.Equal(1.35m, report.Totals.CostUsd);
        Assert.Equal(1.35m, report.ByModel.Single().CostUsd);
    }

    [Fact]
    public void EmptyPeriod_IsAReportOfZeros()
    {
        var report = Builder.Build(Inputs([]));

        Assert.Equal(0m, report.Totals.CostUsd);
        Assert.Null(report.Totals.CostPerRequestUsd);
        Assert.Empty(report.ByTeam);
        Assert.Empty(report.Chargeback);
        Assert.Empty(report.TopMovers);
        Assert.Equal(0m, report.Savings.AvailableUsd);
        Assert.Equal(0m, report.Forecast.MonthEndUsd);
    }

    [Fact]
    public void OpenFindings_OnlyOpenAndAcknowledged_MostSevereFirst()
    {
        Finding F(string id, FindingState state, FindingSeverity severity) => new(id, FindingKinds.ZombieFeature, id, new FindingSubject("feature", id, "search"),
            severity, state, new FindingEvidence("r", Nov, Nov, new Dictionary<string, decimal>()), "do it", null, 1m, Nov, Nov, 1, "run");

        var report = Builder.Build(Inputs(November, findings: [F("a", FindingState.Open, FindingSeverity.Low), F("b", FindingState.Resolved, FindingSeverity.High),
            F("c", FindingState.Acknowledged, FindingSeverity.High), F("d", FindingState.Dismissed, FindingSeverity.Critical)]));

        Assert.Equal(["c", "a"], report.OpenFindings.Select(f => f.Id));
    }
}

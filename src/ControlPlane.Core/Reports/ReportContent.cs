using ControlPlane.Audits;
using ControlPlane.Budgets;

namespace ControlPlane.Reports;

/// <summary>
/// Everything one report says, computed once and rendered as FOCUS CSV, Excel, HTML and JSON. Money is exact
/// decimals; every breakdown adds up to <see cref="Totals"/>, which equals the ledger for the period.
/// </summary>
public sealed record ReportContent
{
    public required ReportKind Kind { get; init; }
    public required string Period { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    public string Currency { get; init; } = "USD";

    /// <summary>True when the period had not ended when the report was made: its figures are to date.</summary>
    public bool Partial { get; init; }

    public required ReportTotals Totals { get; init; }
    public required IReadOnlyList<BreakdownLine> ByCostCenter { get; init; }
    public required IReadOnlyList<BreakdownLine> ByTeam { get; init; }
    public required IReadOnlyList<BreakdownLine> ByFeature { get; init; }
    public required IReadOnlyList<BreakdownLine> ByModel { get; init; }
    public required IReadOnlyList<BreakdownLine> ByEnvironment { get; init; }

    /// <summary>Chargeback: each cost center with the teams it pays for.</summary>
    public required IReadOnlyList<ChargebackLine> Chargeback { get; init; }

    public required IReadOnlyList<FeatureEconomics> UnitEconomics { get; init; }
    public required IReadOnlyList<BudgetLine> Budgets { get; init; }
    public required Forecast Forecast { get; init; }
    public required IReadOnlyList<Mover> TopMovers { get; init; }
    public required Savings Savings { get; init; }
    public required IReadOnlyList<GpuLine> Gpu { get; init; }

    /// <summary>Cost per UTC day and team, for the stacked chart.</summary>
    public required IReadOnlyList<DailyTeamCost> Daily { get; init; }

    public required IReadOnlyList<FindingLine> OpenFindings { get; init; }
}

/// <summary>The period's totals. <see cref="TokenCostUsd"/> + <see cref="GpuCostUsd"/> = <see cref="CostUsd"/>.</summary>
public sealed record ReportTotals(
    decimal CostUsd,
    decimal TokenCostUsd,
    decimal GpuCostUsd,
    long Requests,
    long FailedRequests,
    long UnpricedRequests,
    TokenTotals Tokens,
    CostByTokenKind CostByKind,
    decimal? CostPerRequestUsd,
    decimal UnattributedCostUsd,
    decimal PreviousCostUsd);

/// <summary>Tokens by kind; <see cref="Input"/> is uncached input only, so the five add up to every token billed.</summary>
public sealed record TokenTotals(long Input, long CachedInput, long CacheWrite, long Output, long Reasoning)
{
    public long Total => Input + CachedInput + CacheWrite + Output + Reasoning;
}

public sealed record CostByTokenKind(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning);

/// <summary>One group of a breakdown, with the previous period's cost beside it.</summary>
public sealed record BreakdownLine(string Key, decimal CostUsd, long Requests, long Tokens, decimal Share, decimal PreviousCostUsd)
{
    public decimal ChangeUsd => CostUsd - PreviousCostUsd;
}

public sealed record ChargebackLine(string CostCenter, decimal CostUsd, IReadOnlyList<BreakdownLine> Teams);

/// <summary>
/// What a feature cost against what it was worth. <see cref="UnitMarginUsd"/> = value per unit × success rate − cost
/// per unit; profit = units × margin − fixed costs; ROI = profit ÷ (cost + fixed costs); payback = fixed costs ÷
/// monthly contribution. Null where the feature does not declare what is needed.
/// </summary>
public sealed record FeatureEconomics(
    string Feature,
    string Team,
    decimal CostUsd,
    long Requests,
    decimal Units,
    string? ValueUnit,
    decimal? ValuePerUnitUsd,
    decimal? SuccessRate,
    decimal? CostPerRequestUsd,
    decimal? CostPerUnitUsd,
    decimal? UnitMarginUsd,
    decimal? ProfitUsd,
    decimal? MonthlyProfitUsd,
    decimal? Roi,
    decimal? PaybackMonths);

/// <summary>A budget against the period's spend in its scope (its limit prorated to the report's length when the periods differ), and its live state.</summary>
public sealed record BudgetLine(
    string BudgetId, BudgetScope Scope, BudgetPeriod Period, decimal LimitUsd, decimal LimitForReportUsd, decimal SpentInReportUsd,
    decimal? ShareOfLimit, BudgetState? CurrentState, decimal? CurrentSpentUsd, IReadOnlyList<DailyAmount> Burn);

/// <summary>An amount at the end of a UTC day (a budget's cumulative spend, for the burn-down chart).</summary>
public sealed record DailyAmount(DateOnly Day, decimal Usd);

/// <summary>The month-end forecast and how it was made.</summary>
public sealed record Forecast(string Month, decimal MonthToDateUsd, decimal DailyRunRateUsd, int DaysRemaining, decimal MonthEndUsd, string Method);

public sealed record Mover(string Dimension, string Key, decimal PreviousUsd, decimal CurrentUsd, decimal ChangeUsd, decimal? ChangeShare);

/// <summary>Money saved in the period, and money that could have been, each with how it was estimated.</summary>
public sealed record Savings(decimal RealizedUsd, IReadOnlyList<SavingLine> Realized, decimal AvailableUsd, IReadOnlyList<SavingLine> Available);

public sealed record SavingLine(string Kind, string Subject, decimal Usd, string How);

public sealed record GpuLine(string Team, decimal GpuCostUsd, decimal TokenCostUsd, decimal InstanceHours);

public sealed record DailyTeamCost(DateOnly Day, string Team, decimal CostUsd);

public sealed record FindingLine(string Id, string Kind, FindingSeverity Severity, string Subject, string? Team, string Recommendation, decimal Magnitude);

using System.Globalization;
using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Registry;

namespace ControlPlane.Reports;

/// <summary>What a report is computed from: the rollup rows of the period, the previous period and the month to date, plus the registry, budgets, findings and prices.</summary>
public sealed record ReportInputs(
    ReportPeriod Period,
    DateTimeOffset Now,
    IReadOnlyList<ReportRow> Rows,
    IReadOnlyList<ReportRow> PreviousRows,
    IReadOnlyList<ReportRow> ForecastRows,
    IReadOnlyList<TeamProfile> Teams,
    IReadOnlyList<FeatureProfile> Features,
    IReadOnlyList<BudgetStatus> Budgets,
    IReadOnlyList<Finding> OpenFindings,
    PriceSheet Prices);

/// <summary>
/// Computes a report's content from its inputs: pure, so every figure is tested against hand-computed fixtures.
/// Money is only added and multiplied in decimals; shares and rates are rounded for display only where they say so.
/// </summary>
public sealed class ReportBuilder(ReportOptions options)
{
    /// <summary>The cost center of a team the registry does not know or gives none: its spend cannot be charged back.</summary>
    public const string Unassigned = "(unassigned)";

    private const decimal DaysPerMonth = 30.4375m;

    public ReportContent Build(ReportInputs input)
    {
        var rows = input.Rows.Where(r => r.Hour >= input.Period.Start && r.Hour < input.Period.End).ToList();
        var previous = input.PreviousRows.Where(r => r.Hour >= input.Period.Previous.Start && r.Hour < input.Period.Previous.End).ToList();
        var costCenters = input.Teams.ToDictionary(t => t.Team, t => t.CostCenter ?? Unassigned, StringComparer.Ordinal);
        string CostCenterOf(string team) => costCenters.TryGetValue(team, out var center) ? center : Unassigned;

        var totals = Totals(rows, previous, CostCenterOf);
        return new ReportContent
        {
            Kind = input.Period.Kind,
            Period = input.Period.Name,
            Start = input.Period.Start,
            End = input.Period.End,
            GeneratedAt = input.Now,
            Partial = input.Period.IsOpenAt(input.Now),
            Totals = totals,
            ByCostCenter = Breakdown(rows, previous, r => CostCenterOf(r.Team), totals.CostUsd),
            ByTeam = Breakdown(rows, previous, r => r.Team, totals.CostUsd),
            ByFeature = Breakdown(rows, previous, r => r.Feature, totals.CostUsd),
            ByModel = Breakdown(rows, previous, r => r.Model, totals.CostUsd),
            ByEnvironment = Breakdown(rows, previous, r => r.Environment, totals.CostUsd),
            Chargeback = Chargeback(rows, previous, CostCenterOf, totals.CostUsd),
            UnitEconomics = UnitEconomics(rows, input.Features, input.Period),
            Budgets = BudgetLines(rows, input.Budgets, input.Period),
            Forecast = ForecastFor(input.ForecastRows, input.Now),
            TopMovers = TopMovers(rows, previous),
            Savings = SavingsFor(rows, input.Prices),
            Gpu = GpuLines(rows),
            Daily = [.. rows.GroupBy(r => (Day: DateOnly.FromDateTime(r.Hour.UtcDateTime), r.Team))
                .Select(g => new DailyTeamCost(g.Key.Day, g.Key.Team, g.Sum(r => r.CostUsd)))
                .OrderBy(d => d.Day).ThenBy(d => d.Team, StringComparer.Ordinal)],
            OpenFindings = [.. input.OpenFindings
                .Where(f => f.State is FindingState.Open or FindingState.Acknowledged)
                .OrderByDescending(f => f.Severity).ThenByDescending(f => f.Magnitude).ThenBy(f => f.Id, StringComparer.Ordinal)
                .Select(f => new FindingLine(f.Id, f.Kind, f.Severity, $"{f.Subject.Type} {f.Subject.Name}", f.Subject.Team, f.Recommendation, f.Magnitude))],
        };
    }

    private static ReportTotals Totals(List<ReportRow> rows, List<ReportRow> previous, Func<string, string> costCenterOf)
    {
        var cost = rows.Sum(r => r.CostUsd);
        var requests = rows.Where(r => !r.IsGpu).Sum(r => r.Requests);
        var tokens = new TokenTotals(
            rows.Sum(r => r.Tokens.InputTokens - r.Tokens.CachedInputTokens - r.Tokens.CacheWriteTokens),
            rows.Sum(r => r.Tokens.CachedInputTokens),
            rows.Sum(r => r.Tokens.CacheWriteTokens),
            rows.Sum(r => r.Tokens.OutputTokens - r.Tokens.ReasoningTokens),
            rows.Sum(r => r.Tokens.ReasoningTokens));
        var gpu = rows.Where(r => r.IsGpu).Sum(r => r.CostUsd);
        return new ReportTotals(
            cost,
            cost - gpu,
            gpu,
            requests,
            rows.Where(r => !r.IsGpu).Sum(r => r.FailedRequests),
            rows.Sum(r => r.UnpricedRequests),
            tokens,
            new CostByTokenKind(rows.Sum(r => r.UncachedInputUsd), rows.Sum(r => r.CachedInputUsd), rows.Sum(r => r.CacheWriteUsd),
                rows.Sum(r => r.OutputUsd), rows.Sum(r => r.ReasoningUsd)),
            requests > 0 ? (cost - gpu) / requests : null,
            rows.Where(r => costCenterOf(r.Team) == Unassigned).Sum(r => r.CostUsd),
            previous.Sum(r => r.CostUsd));
    }

    private static List<BreakdownLine> Breakdown(List<ReportRow> rows, List<ReportRow> previous, Func<ReportRow, string> key, decimal total)
    {
        var before = previous.GroupBy(key).ToDictionary(g => g.Key, g => g.Sum(r => r.CostUsd), StringComparer.Ordinal);
        return
        [
            .. rows.GroupBy(key)
                .Select(g =>
                {
                    var cost = g.Sum(r => r.CostUsd);
                    return new BreakdownLine(g.Key, cost, g.Where(r => !r.IsGpu).Sum(r => r.Requests), g.Sum(r => r.Tokens.InputTokens + r.Tokens.OutputTokens),
                        total == 0 ? 0 : cost / total, before.GetValueOrDefault(g.Key));
                })
                .OrderByDescending(l => l.CostUsd).ThenBy(l => l.Key, StringComparer.Ordinal),
        ];
    }

    private static List<ChargebackLine> Chargeback(List<ReportRow> rows, List<ReportRow> previous, Func<string, string> costCenterOf, decimal total) =>
    [
        .. rows.GroupBy(r => costCenterOf(r.Team))
            .Select(g => new ChargebackLine(g.Key, g.Sum(r => r.CostUsd), Breakdown([.. g], previous, r => r.Team, total)))
            .OrderBy(c => c.CostCenter == Unassigned).ThenByDescending(c => c.CostUsd).ThenBy(c => c.CostCenter, StringComparer.Ordinal),
    ];

    private static List<FeatureEconomics> UnitEconomics(List<ReportRow> rows, IReadOnlyList<FeatureProfile> features, ReportPeriod period)
    {
        var profiles = features.ToDictionary(f => f.Feature, StringComparer.Ordinal);
        var months = (decimal)(period.End - period.Start).TotalDays / DaysPerMonth;
        var lines = new List<FeatureEconomics>();
        foreach (var g in rows.GroupBy(r => r.Feature))
        {
            var cost = g.Sum(r => r.CostUsd);
            var requests = g.Where(r => !r.IsGpu).Sum(r => r.Requests);
            var failed = g.Where(r => !r.IsGpu).Sum(r => r.FailedRequests);
            var units = g.Where(r => !r.IsGpu).Sum(r => r.Units);
            profiles.TryGetValue(g.Key, out var profile);
            var team = profile?.Team ?? g.GroupBy(r => r.Team).OrderByDescending(t => t.Sum(r => r.CostUsd)).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key;
            decimal? success = requests > 0 ? (decimal)(requests - failed) / requests : null;
            decimal? perUnit = units > 0 ? cost / units : null;
            decimal? margin = null, profit = null, monthly = null, roi = null, payback = null;
            if (profile?.ValuePerUnitUsd is { } value && perUnit is { } costPerUnit && success is { } rate)
            {
                margin = (value * rate) - costPerUnit;
                profit = units * margin.Value;
                monthly = months > 0 ? profit / months : null;
                if (profile.FixedCostsUsd is { } fixedCosts and > 0)
                {
                    roi = monthly is { } m ? ((m * 12) - fixedCosts) / fixedCosts : null;
                    payback = monthly is { } mm && mm > 0 ? fixedCosts / mm : null;
                }
            }

            lines.Add(new FeatureEconomics(g.Key, team, cost, requests, units, profile?.ValueUnit, profile?.ValuePerUnitUsd, success,
                requests > 0 ? cost / requests : null, perUnit, margin, profit, monthly, roi, payback));
        }

        return [.. lines.OrderByDescending(l => l.CostUsd).ThenBy(l => l.Feature, StringComparer.Ordinal)];
    }

    private static List<BudgetLine> BudgetLines(List<ReportRow> rows, IReadOnlyList<BudgetStatus> budgets, ReportPeriod period)
    {
        var reportDays = (decimal)(period.End - period.Start).TotalDays;
        return
        [
            .. budgets.Select(status =>
            {
                var b = status.Budget;
                var covered = rows.Where(r => b.Scope.Covers(new CallAttribution(r.Team, r.Feature, r.User, r.Environment, r.Model, r.App))).ToList();
                var spent = covered.Sum(r => r.CostUsd);
                var byDay = covered.GroupBy(r => DateOnly.FromDateTime(r.Hour.UtcDateTime)).ToDictionary(g => g.Key, g => g.Sum(r => r.CostUsd));
                var burn = new List<DailyAmount>();
                var cumulative = 0m;
                for (var day = DateOnly.FromDateTime(period.Start.UtcDateTime); day < DateOnly.FromDateTime(period.End.UtcDateTime); day = day.AddDays(1))
                {
                    cumulative += byDay.GetValueOrDefault(day);
                    burn.Add(new DailyAmount(day, cumulative));
                }

                var budgetDays = b.Period switch
                {
                    BudgetPeriod.Daily => 1m,
                    BudgetPeriod.Weekly => 7m,
                    BudgetPeriod.Monthly => period.Kind == ReportKind.Monthly ? reportDays : DaysPerMonth,
                    _ => reportDays, // a total budget is shown whole
                };
                var limit = b.LimitUsd * reportDays / budgetDays;
                return new BudgetLine(b.Id, b.Scope, b.Period, b.LimitUsd, limit, spent, limit > 0 ? spent / limit : null, status.State, status.SpentUsd, burn);
            })
            .OrderByDescending(l => l.ShareOfLimit ?? 0).ThenBy(l => l.BudgetId, StringComparer.Ordinal),
        ];
    }

    /// <summary>
    /// Month-end forecast for the calendar month of <paramref name="now"/>: spend so far this month plus the average
    /// of the last complete days (up to seven, from before the month if it has just begun) for each day left.
    /// </summary>
    public static Forecast ForecastFor(IReadOnlyList<ReportRow> rows, DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        var monthStart = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var today = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        var monthEnd = monthStart.AddMonths(1);
        var mtd = rows.Where(r => r.Hour >= monthStart && r.Hour < now).Sum(r => r.CostUsd);
        // Days without spend count as zero, but days before the first recorded spend do not exist for the average.
        var firstDay = rows.Count == 0 ? today : rows.Min(r => new DateTimeOffset(r.Hour.UtcDateTime.Date, TimeSpan.Zero));
        var window = (int)Math.Clamp((today - firstDay).TotalDays, 0, 7);
        var rate = window > 0 ? rows.Where(r => r.Hour >= today.AddDays(-window) && r.Hour < today).Sum(r => r.CostUsd) / window : 0m;
        var remaining = (decimal)(monthEnd - now).TotalDays;
        var monthEndUsd = mtd + (rate * remaining);
        var method = window > 0
            ? $"Spend so far this month plus the average of the last {window} complete day{(window == 1 ? "" : "s")} ({rate.ToString("0.####", CultureInfo.InvariantCulture)} USD a day) for each of the {remaining.ToString("0.##", CultureInfo.InvariantCulture)} days left."
            : "No complete day of spend yet: the forecast is the spend so far.";
        return new Forecast($"{utc.Year:D4}-{utc.Month:D2}", mtd, rate, (int)Math.Ceiling(remaining), monthEndUsd, method);
    }

    /// <summary>
    /// The teams, features and models whose cost changed most between <paramref name="previous"/> and
    /// <paramref name="rows"/>, largest change (up or down) first, at most <see cref="ReportOptions.TopMovers"/>.
    /// </summary>
    public IReadOnlyList<Mover> TopMovers(IReadOnlyList<ReportRow> rows, IReadOnlyList<ReportRow> previous)
    {
        IEnumerable<Mover> By(string dimension, Func<ReportRow, string> key)
        {
            var now = rows.GroupBy(key).ToDictionary(g => g.Key, g => g.Sum(r => r.CostUsd), StringComparer.Ordinal);
            var before = previous.GroupBy(key).ToDictionary(g => g.Key, g => g.Sum(r => r.CostUsd), StringComparer.Ordinal);
            return now.Keys.Union(before.Keys).Select(k =>
            {
                var (c, p) = (now.GetValueOrDefault(k), before.GetValueOrDefault(k));
                return new Mover(dimension, k, p, c, c - p, p == 0 ? null : (c - p) / p);
            });
        }

        return
        [
            .. By("team", r => r.Team).Concat(By("feature", r => r.Feature)).Concat(By("model", r => r.Model))
                .Where(m => m.ChangeUsd != 0)
                .OrderByDescending(m => Math.Abs(m.ChangeUsd)).ThenBy(m => m.Dimension, StringComparer.Ordinal).ThenBy(m => m.Key, StringComparer.Ordinal)
                .Take(options.TopMovers),
        ];
    }

    /// <summary>Savings the rows realized (batch, cache) and could still realize, priced from the sheet.</summary>
    public Savings SavingsFor(IReadOnlyList<ReportRow> rows, PriceSheet prices)
    {
        var realized = new List<SavingLine>();
        var available = new List<SavingLine>();
        foreach (var g in rows.Where(r => !r.IsGpu && r.UnpricedRequests < r.Requests).GroupBy(r => (r.Provider, r.Model)))
        {
            var subject = g.Key.Model;
            var batchRows = g.Where(r => r.Batch).ToList();
            var realtimeRows = g.Where(r => !r.Batch).ToList();

            // Realized: what the batch run's tokens would have cost in real time, less what they cost.
            var batchSaved = batchRows.Sum(r => Price(prices, r, r.Tokens, batch: false) - r.CostUsd);
            Add(realized, "batch", subject, batchSaved, "The nightly batch's tokens at real-time prices, less their batch cost.");

            // Realized: cached tokens at the uncached input rate, less what they cost.
            var cacheSaved = g.Sum(r => Price(prices, r, r.Tokens with { CachedInputTokens = 0 }, r.Batch) - Price(prices, r, r.Tokens, r.Batch));
            Add(realized, "cache", subject, cacheSaved, "Cached prompt tokens at the uncached input rate, less their cached cost.");

            // Available: background calls (no user waiting) that could have waited for the nightly batch.
            var background = realtimeRows.Where(r => r.User is null).ToList();
            var deferrable = background.Sum(r => r.CostUsd - Price(prices, r, r.Tokens, batch: true));
            Add(available, "defer-to-batch", subject, deferrable,
                "Calls without a user (background work) at their real-time cost, less the same tokens at batch prices: work that could wait for the nightly batch.");

            // Available: the same tokens on the next cheaper model of the family.
            if (options.CheaperModels.TryGetValue(g.Key.Model, out var cheaper))
            {
                var moved = realtimeRows.Sum(r => r.CostUsd - Price(prices, r with { Model = cheaper }, r.Tokens, batch: false));
                Add(available, "cheaper-model", $"{subject} → {cheaper}", moved,
                    $"The same tokens on {cheaper} (an upper bound: only calls {cheaper} can serve as well would move).");
            }

            // Available: long prompts that barely use the cache.
            var input = realtimeRows.Sum(r => r.Tokens.InputTokens);
            var requests = realtimeRows.Sum(r => r.Requests);
            var cached = realtimeRows.Sum(r => r.Tokens.CachedInputTokens);
            if (requests > 0 && input / requests >= options.MinPromptTokensForCaching && cached < input * (decimal)options.CachedShareBelow)
            {
                var share = (decimal)options.CacheableShare;
                var caching = realtimeRows.Sum(r =>
                {
                    var uncached = r.Tokens.InputTokens - r.Tokens.CachedInputTokens - r.Tokens.CacheWriteTokens;
                    var moreCached = r.Tokens with { CachedInputTokens = r.Tokens.CachedInputTokens + (long)(uncached * share) };
                    return Price(prices, r, r.Tokens, batch: false) - Price(prices, r, moreCached, batch: false);
                });
                Add(available, "prompt-caching", subject, caching,
                    $"Prompts average {input / requests} tokens with {(input == 0 ? 0 : cached * 100 / input)}% cached: {share:P0} of the uncached input at the cached rate.");
            }
        }

        return new Savings(realized.Sum(s => s.Usd), [.. realized.OrderByDescending(s => s.Usd)], available.Sum(s => s.Usd), [.. available.OrderByDescending(s => s.Usd)]);
    }

    private static void Add(List<SavingLine> lines, string kind, string subject, decimal usd, string how)
    {
        if (usd > 0)
        {
            lines.Add(new SavingLine(kind, subject, usd, how));
        }
    }

    /// <summary>The sheet's price for the tokens at the row's hour; 0 when the sheet does not price the model.</summary>
    private static decimal Price(PriceSheet prices, ReportRow row, UsageTokens tokens, bool batch) =>
        prices.Price(new PricingContext(row.Provider, row.Model, null, batch, row.Hour), tokens).TotalCost;

    private static List<GpuLine> GpuLines(List<ReportRow> rows) =>
    [
        .. rows.GroupBy(r => r.Team)
            .Where(g => g.Any(r => r.IsGpu))
            .Select(g => new GpuLine(g.Key, g.Where(r => r.IsGpu).Sum(r => r.CostUsd), g.Where(r => !r.IsGpu).Sum(r => r.CostUsd), g.Where(r => r.IsGpu).Sum(r => r.Units)))
            .OrderByDescending(l => l.GpuCostUsd).ThenBy(l => l.Team, StringComparer.Ordinal),
    ];
}

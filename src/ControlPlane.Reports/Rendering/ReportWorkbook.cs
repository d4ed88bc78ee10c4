using ClosedXML.Excel;

namespace ControlPlane.Reports.Rendering;

/// <summary>
/// <c>report.xlsx</c>: Summary, Chargeback, Teams, Features (with unit economics), Models, Budgets, Savings and
/// Findings. Money cells are numbers with a currency format, so finance can sum and pivot them; every breakdown sheet
/// ends with a total row equal to the summary's total.
/// </summary>
public static class ReportWorkbook
{
    public const string MoneyFormat = "#,##0.00####";
    public const string TotalLabel = "Total";

    public static byte[] Render(ReportContent c)
    {
        using var workbook = new XLWorkbook();
        Summary(workbook.Worksheets.Add("Summary"), c);

        var chargeback = workbook.Worksheets.Add("Chargeback");
        Header(chargeback, "Cost center", "Team", "Cost (USD)", "Requests", "Tokens", "Share");
        var row = 2;
        foreach (var center in c.Chargeback)
        {
            foreach (var team in center.Teams)
            {
                Cells(chargeback, row++, center.CostCenter, team.Key, team.CostUsd, team.Requests, team.Tokens, team.Share);
            }
        }

        Cells(chargeback, row, TotalLabel, null, c.Chargeback.Sum(x => x.CostUsd));
        Breakdown(workbook.Worksheets.Add("Teams"), "Team", c.ByTeam);

        var features = workbook.Worksheets.Add("Features");
        Header(features, "Feature", "Team", "Cost (USD)", "Requests", "Units", "Value unit", "Value per unit (USD)", "Success rate",
            "Cost per request (USD)", "Cost per unit (USD)", "Unit margin (USD)", "Profit (USD)", "Monthly profit (USD)", "ROI", "Payback (months)");
        row = 2;
        foreach (var f in c.UnitEconomics)
        {
            Cells(features, row++, f.Feature, f.Team, f.CostUsd, f.Requests, f.Units, f.ValueUnit, f.ValuePerUnitUsd, f.SuccessRate, f.CostPerRequestUsd,
                f.CostPerUnitUsd, f.UnitMarginUsd, f.ProfitUsd, f.MonthlyProfitUsd, f.Roi, f.PaybackMonths);
        }

        Cells(features, row, TotalLabel, null, c.UnitEconomics.Sum(f => f.CostUsd));
        Breakdown(workbook.Worksheets.Add("Models"), "Model", c.ByModel);

        var budgets = workbook.Worksheets.Add("Budgets");
        Header(budgets, "Budget", "Scope", "Period", "Limit (USD)", "Limit for this report (USD)", "Spent in this report (USD)", "Share of limit", "State now", "Spent now (USD)");
        row = 2;
        foreach (var b in c.Budgets)
        {
            Cells(budgets, row++, b.BudgetId, $"{b.Scope.Type.ToString().ToLowerInvariant()}:{b.Scope.Value}", b.Period.ToString().ToLowerInvariant(),
                b.LimitUsd, b.LimitForReportUsd, b.SpentInReportUsd, b.ShareOfLimit, b.CurrentState?.ToString().ToLowerInvariant(), b.CurrentSpentUsd);
        }

        var savings = workbook.Worksheets.Add("Savings");
        Header(savings, "Realized or available", "Kind", "Subject", "USD", "How it was estimated");
        row = 2;
        foreach (var s in c.Savings.Realized)
        {
            Cells(savings, row++, "realized", s.Kind, s.Subject, s.Usd, s.How);
        }

        foreach (var s in c.Savings.Available)
        {
            Cells(savings, row++, "available", s.Kind, s.Subject, s.Usd, s.How);
        }

        var findings = workbook.Worksheets.Add("Findings");
        Header(findings, "Id", "Kind", "Severity", "Subject", "Team", "Magnitude", "Recommendation");
        row = 2;
        foreach (var f in c.OpenFindings)
        {
            Cells(findings, row++, f.Id, f.Kind, f.Severity.ToString().ToLowerInvariant(), f.Subject, f.Team, f.Magnitude, f.Recommendation);
        }

        foreach (var sheet in workbook.Worksheets)
        {
            sheet.SheetView.FreezeRows(1);
            sheet.Columns().Width = 18;
            sheet.Column(1).Width = 28;
        }

        using var stream = new MemoryStream();
        workbook.SaveAs(stream);
        return stream.ToArray();
    }

    private static void Summary(IXLWorksheet sheet, ReportContent c)
    {
        var t = c.Totals;
        (string Label, object? Value)[] lines =
        [
            ("Report", $"{c.Kind.ToString().ToLowerInvariant()} {c.Period}"),
            ("From (UTC)", c.Start.UtcDateTime),
            ("To (UTC, exclusive)", c.End.UtcDateTime),
            ("Generated (UTC)", c.GeneratedAt.UtcDateTime),
            ("Figures to date (period not over)", c.Partial ? "yes" : "no"),
            (TotalLabel + " cost (USD)", t.CostUsd),
            ("Token cost (USD)", t.TokenCostUsd),
            ("GPU pool cost (USD)", t.GpuCostUsd),
            ("Previous period (USD)", t.PreviousCostUsd),
            ("Requests", t.Requests),
            ("Failed requests", t.FailedRequests),
            ("Unpriced requests", t.UnpricedRequests),
            ("Cost per request (USD)", t.CostPerRequestUsd),
            ("Unattributed cost: no cost center (USD)", t.UnattributedCostUsd),
            ("Input tokens (uncached)", t.Tokens.Input),
            ("Cached input tokens", t.Tokens.CachedInput),
            ("Cache write tokens", t.Tokens.CacheWrite),
            ("Output tokens", t.Tokens.Output),
            ("Reasoning tokens", t.Tokens.Reasoning),
            ("Month-end forecast " + c.Forecast.Month + " (USD)", c.Forecast.MonthEndUsd),
            ("Forecast method", c.Forecast.Method),
            ("Savings realized (USD)", c.Savings.RealizedUsd),
            ("Savings available (USD)", c.Savings.AvailableUsd),
            ("Open findings", c.OpenFindings.Count),
        ];
        Header(sheet, "Figure", "Value");
        for (var i = 0; i < lines.Length; i++)
        {
            Cells(sheet, i + 2, lines[i].Label, lines[i].Value);
        }
    }

    private static void Breakdown(IXLWorksheet sheet, string key, IReadOnlyList<BreakdownLine> lines)
    {
        Header(sheet, key, "Cost (USD)", "Requests", "Tokens", "Share", "Previous period (USD)", "Change (USD)");
        var row = 2;
        foreach (var l in lines)
        {
            Cells(sheet, row++, l.Key, l.CostUsd, l.Requests, l.Tokens, l.Share, l.PreviousCostUsd, l.ChangeUsd);
        }

        Cells(sheet, row, TotalLabel, lines.Sum(l => l.CostUsd));
    }

    private static void Header(IXLWorksheet sheet, params string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            var cell = sheet.Cell(1, i + 1);
            cell.Value = names[i];
            cell.Style.Font.Bold = true;
        }
    }

    private static void Cells(IXLWorksheet sheet, int row, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var cell = sheet.Cell(row, i + 1);
            switch (values[i])
            {
                case null:
                    break;
                case decimal money:
                    cell.Value = money;
                    cell.Style.NumberFormat.Format = MoneyFormat;
                    break;
                case DateTime time:
                    cell.Value = time;
                    cell.Style.DateFormat.Format = "yyyy-mm-dd hh:mm";
                    break;
                case string text:
                    // Text stays text: a team named "=1+1" must not become a formula (SetValue would keep it a string too).
                    cell.SetValue(text);
                    break;
                default:
                    cell.Value = values[i];
                    break;
            }

            if (row > 1 && values[0] is TotalLabel)
            {
                cell.Style.Font.Bold = true;
            }
        }
    }
}

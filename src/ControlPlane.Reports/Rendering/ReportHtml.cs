using System.Globalization;
using System.Net;
using System.Text;

namespace ControlPlane.Reports.Rendering;

/// <summary>
/// <c>report.html</c>, written for email clients: one table-based column 720 px wide, inline styles only, no
/// scripts, no external resources; charts are PNG images whose source the caller decides — a <c>data:</c> URI in the
/// stored file, a <c>cid:</c> reference to an attached part in an email (many clients block data URIs). Every name
/// that came from a usage event is HTML-encoded.
/// </summary>
public static class ReportHtml
{
    /// <summary>Charts as <c>data:image/png;base64,…</c>: a file that shows its charts anywhere.</summary>
    public static string DataUri(ReportChart chart) => "data:image/png;base64," + Convert.ToBase64String(chart.Png);

    /// <summary>Charts as <c>cid:{name}</c>: an email whose charts are its related parts.</summary>
    public static string ContentId(ReportChart chart) => "cid:" + chart.Name;

    public static string Render(ReportContent c, IReadOnlyList<ReportChart> charts, Func<ReportChart, string> imageSource)
    {
        var t = c.Totals;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<title>").Append(E(Title(c))).Append("</title></head>")
            .Append("<body style=\"margin:0;padding:0;background:#f4f5f7;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328\">")
            .Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">")
            .Append("<table role=\"presentation\" width=\"720\" cellpadding=\"16\" cellspacing=\"0\" style=\"background:#ffffff;max-width:720px\">");

        Row(html, $"<h1 style=\"margin:0;font-size:22px\">{E(Title(c))}</h1>"
            + $"<p style=\"margin:4px 0 0;color:#57606a\">{E(Date(c.Start))} to {E(Date(c.End.AddDays(-1)))} (UTC){(c.Partial ? " — to date, the period is not over" : string.Empty)}</p>");
        Row(html, Kpis(
            ("Total cost", Usd(t.CostUsd)),
            ("Previous period", Usd(t.PreviousCostUsd)),
            ("Requests", t.Requests.ToString("N0", CultureInfo.InvariantCulture)),
            ("Cost per request", t.CostPerRequestUsd is { } per ? Usd(per, 6) : "—"),
            ($"Forecast {c.Forecast.Month}", Usd(c.Forecast.MonthEndUsd)),
            ("Savings available", Usd(c.Savings.AvailableUsd))));

        foreach (var chart in charts)
        {
            Row(html, $"<h2 style=\"margin:0 0 8px;font-size:16px\">{E(chart.Title)}</h2>"
                + $"<img src=\"{E(imageSource(chart))}\" alt=\"{E(chart.Title)}\" width=\"688\" style=\"display:block;width:100%;max-width:688px;height:auto;border:0\">");
        }

        Row(html, Section("Chargeback by cost center", ["Cost center", "Team", "Cost", "Share"],
            c.Chargeback.SelectMany(cc => cc.Teams.Select(team => new[] { cc.CostCenter, team.Key, Usd(team.CostUsd), Percent(team.Share) })),
            ["Total", "", Usd(t.CostUsd), ""]));
        Row(html, Section("Teams", ["Team", "Cost", "Previous", "Change"],
            c.ByTeam.Select(l => new[] { l.Key, Usd(l.CostUsd), Usd(l.PreviousCostUsd), Usd(l.ChangeUsd) }), ["Total", Usd(t.CostUsd), Usd(t.PreviousCostUsd), Usd(t.CostUsd - t.PreviousCostUsd)]));
        Row(html, Section("Features and unit economics", ["Feature", "Cost", "Per request", "Per unit", "Unit margin", "Monthly profit"],
            c.UnitEconomics.Select(f => new[]
            {
                f.Feature, Usd(f.CostUsd), Optional(f.CostPerRequestUsd, 6), Optional(f.CostPerUnitUsd, 4), Optional(f.UnitMarginUsd, 4), Optional(f.MonthlyProfitUsd, 2),
            }), null));
        Row(html, Section("Models", ["Model", "Cost", "Requests", "Tokens"],
            c.ByModel.Select(l => new[] { l.Key, Usd(l.CostUsd), l.Requests.ToString("N0", CultureInfo.InvariantCulture), l.Tokens.ToString("N0", CultureInfo.InvariantCulture) }), null));
        Row(html, Section("Budgets", ["Budget", "Limit for the period", "Spent", "Share", "State now"],
            c.Budgets.Select(b => new[] { b.BudgetId, Usd(b.LimitForReportUsd), Usd(b.SpentInReportUsd), b.ShareOfLimit is { } s ? Percent(s) : "—", b.CurrentState?.ToString() ?? "—" }), null));
        Row(html, Section("Top movers", ["What", "Previous", "Now", "Change"],
            c.TopMovers.Select(m => new[] { $"{m.Dimension} {m.Key}", Usd(m.PreviousUsd), Usd(m.CurrentUsd), Usd(m.ChangeUsd) }), null));
        Row(html, Section("Savings", ["", "Kind", "Subject", "USD", "How"],
            c.Savings.Realized.Select(s => new[] { "realized", s.Kind, s.Subject, Usd(s.Usd), s.How })
                .Concat(c.Savings.Available.Select(s => new[] { "available", s.Kind, s.Subject, Usd(s.Usd), s.How })), null));
        if (c.Gpu.Count > 0)
        {
            Row(html, Section("GPU pools beside tokens", ["Team", "GPU cost", "Token cost", "Instance hours"],
                c.Gpu.Select(g => new[] { g.Team, Usd(g.GpuCostUsd), Usd(g.TokenCostUsd), g.InstanceHours.ToString("0.##", CultureInfo.InvariantCulture) }), null));
        }

        Row(html, Section("Open findings", ["Severity", "Kind", "Subject", "Recommendation"],
            c.OpenFindings.Select(f => new[] { f.Severity.ToString(), f.Kind, f.Subject, f.Recommendation }), null));
        Row(html, $"<p style=\"margin:0;color:#57606a;font-size:12px\">Unpriced requests: {t.UnpricedRequests:N0}. Cost without a cost center: {E(Usd(t.UnattributedCostUsd))}. "
            + $"Forecast: {E(c.Forecast.Method)} Generated {E(c.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))} UTC by ControlPlane.</p>");

        html.Append("</table></td></tr></table></body></html>");
        return html.ToString();
    }

    /// <summary>One cost center's chargeback: its teams, what each spent, and the period's total for the organisation beside it.</summary>
    public static string RenderChargeback(ReportContent c, ChargebackLine center)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(center.CostCenter)).Append("</title></head>")
            .Append("<body style=\"margin:0;padding:0;background:#f4f5f7;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328\">")
            .Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">")
            .Append("<table role=\"presentation\" width=\"720\" cellpadding=\"16\" cellspacing=\"0\" style=\"background:#ffffff;max-width:720px\">");
        Row(html, $"<h1 style=\"margin:0;font-size:22px\">Chargeback {E(center.CostCenter)}: {E(Usd(center.CostUsd))}</h1>"
            + $"<p style=\"margin:4px 0 0;color:#57606a\">{E(Title(c))}, {E(Date(c.Start))} to {E(Date(c.End.AddDays(-1)))} (UTC). The organisation spent {E(Usd(c.Totals.CostUsd))}.</p>");
        Row(html, Section("Teams", ["Team", "Cost", "Previous", "Change"],
            center.Teams.Select(t => new[] { t.Key, Usd(t.CostUsd), Usd(t.PreviousCostUsd), Usd(t.ChangeUsd) }), ["Total", Usd(center.CostUsd), "", ""]));
        Row(html, "<p style=\"margin:0;color:#57606a;font-size:12px\">The attached FOCUS file holds this cost center's charges, day by day.</p>");
        html.Append("</table></td></tr></table></body></html>");
        return html.ToString();
    }

    public static string Title(ReportContent c) => $"AI spend {(c.Kind == ReportKind.Monthly ? "monthly" : "weekly")} report {c.Period}";

    private static void Row(StringBuilder html, string content) => html.Append("<tr><td>").Append(content).Append("</td></tr>");

    private static string Kpis(params (string Label, string Value)[] kpis)
    {
        var cells = string.Concat(kpis.Select(k =>
            $"<td width=\"{100 / kpis.Length}%\" style=\"padding:8px;border:1px solid #d0d7de\"><div style=\"font-size:12px;color:#57606a\">{E(k.Label)}</div>"
            + $"<div style=\"font-size:18px;font-weight:600\">{E(k.Value)}</div></td>"));
        return $"<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr>{cells}</tr></table>";
    }

    private static string Section(string title, string[] header, IEnumerable<string[]> rows, string[]? total)
    {
        var body = new StringBuilder();
        body.Append("<h2 style=\"margin:0 0 8px;font-size:16px\">").Append(E(title)).Append("</h2>")
            .Append("<table width=\"100%\" cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse:collapse;font-size:13px\"><tr>");
        foreach (var h in header)
        {
            body.Append("<th align=\"left\" style=\"border-bottom:2px solid #d0d7de\">").Append(E(h)).Append("</th>");
        }

        body.Append("</tr>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            body.Append("<tr>");
            foreach (var cell in row)
            {
                body.Append("<td style=\"border-bottom:1px solid #eaeef2\">").Append(E(cell)).Append("</td>");
            }

            body.Append("</tr>");
        }

        if (!any)
        {
            body.Append("<tr><td colspan=\"").Append(header.Length).Append("\" style=\"color:#57606a\">None in this period.</td></tr>");
        }
        else if (total is not null)
        {
            body.Append("<tr>");
            foreach (var cell in total)
            {
                body.Append("<td style=\"font-weight:600\">").Append(E(cell)).Append("</td>");
            }

            body.Append("</tr>");
        }

        return body.Append("</table>").ToString();
    }

    private static string E(string value) => WebUtility.HtmlEncode(value);

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    public static string Usd(decimal value, int decimals = 2) =>
        value.ToString("#,##0." + new string('0', decimals), CultureInfo.InvariantCulture) + " USD";

    private static string Optional(decimal? value, int decimals) => value is { } v ? Usd(v, decimals) : "—";

    private static string Percent(decimal share) => share.ToString("P1", CultureInfo.InvariantCulture);
}

using ClosedXML.Excel;

namespace ControlPlane.Reports.Rendering;

/// <summary>The workbook, the HTML and the JSON say the same numbers as the content they render.</summary>
public sealed class RenderingTests
{
    [Fact]
    public void Workbook_OpensWithEverySheet_AndEveryBreakdownSumsToTheTotal()
    {
        var content = SampleReport.Build();
        using var workbook = new XLWorkbook(new MemoryStream(ReportWorkbook.Render(content)));

        Assert.Equal(["Summary", "Chargeback", "Teams", "Features", "Models", "Budgets", "Savings", "Findings"], workbook.Worksheets.Select(w => w.Name));
        var total = (double)content.Totals.CostUsd;
        var summaryTotal = workbook.Worksheet("Summary").RowsUsed().Single(r => r.Cell(1).GetString().StartsWith("Total cost", StringComparison.Ordinal)).Cell(2).GetDouble();
        Assert.Equal(total, summaryTotal, 9);
        foreach (var (sheet, column) in new[] { ("Chargeback", 3), ("Teams", 2), ("Features", 3), ("Models", 2) })
        {
            var rows = workbook.Worksheet(sheet).RowsUsed().Skip(1).ToList();
            var body = rows.Where(r => r.Cell(1).GetString() != ReportWorkbook.TotalLabel).Sum(r => r.Cell(column).GetDouble());
            var totalRow = rows.Single(r => r.Cell(1).GetString() == ReportWorkbook.TotalLabel).Cell(column).GetDouble();
            Assert.Equal(total, body, 9);
            Assert.Equal(total, totalRow, 9);
        }

        Assert.Equal("CC-1042", workbook.Worksheet("Chargeback").Cell(2, 1).GetString());
        Assert.Equal(ReportWorkbook.MoneyFormat, workbook.Worksheet("Teams").Cell(2, 2).Style.NumberFormat.Format);
    }

    [Fact]
    public void Workbook_NamesThatLookLikeFormulas_StayText()
    {
        var content = SampleReport.Build(evilTeam: "=HYPERLINK(\"http://x\")");
        using var workbook = new XLWorkbook(new MemoryStream(ReportWorkbook.Render(content)));

        var cell = workbook.Worksheet("Teams").RowsUsed().Select(r => r.Cell(1)).Single(c => c.GetString().StartsWith('='));
        Assert.False(cell.HasFormula);
    }

    [Fact]
    public void Html_HasNoScriptsOrRemoteResources_EncodesNames_AndShowsEveryChart()
    {
        var content = SampleReport.Build(evilTeam: "<script>alert(1)</script>");
        var charts = ReportCharts.Render(content);

        var html = ReportHtml.Render(content, charts, ReportHtml.DataUri);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(charts.Count, CountOf(html, "src=\"data:image/png;base64,"));
        Assert.Contains(ReportHtml.Usd(content.Totals.CostUsd), html, StringComparison.Ordinal);
        Assert.Contains("Retire &lt;prototype&gt; &amp; save", html, StringComparison.Ordinal);
        var email = ReportHtml.Render(content, charts, ReportHtml.ContentId);
        Assert.Contains("src=\"cid:daily-cost\"", email, StringComparison.Ordinal);
    }

    [Fact]
    public void Charts_ArePngImagesWithSomethingDrawn()
    {
        var charts = ReportCharts.Render(SampleReport.Build());

        Assert.Equal(["daily-cost", "budget-burn", "top-features", "savings"], charts.Select(c => c.Name));
        if (Environment.GetEnvironmentVariable("CONTROLPLANE_DUMP_CHARTS") is { Length: > 0 } folder)
        {
            foreach (var c in charts)
            {
                File.WriteAllBytes(Path.Combine(folder, c.Name + ".png"), c.Png);
            }
        }

        Assert.All(charts, c =>
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], c.Png.Take(4));
            Assert.True(c.Png.Length > 5_000, $"{c.Name} is {c.Png.Length} bytes: too small to hold a chart");
        });
    }

    [Fact]
    public void Json_RoundTripsTheContentExactly()
    {
        var content = SampleReport.Build();

        var back = ReportJson.Read(ReportJson.Render(content));

        Assert.Equal(content.Totals, back.Totals);
        Assert.Equal(content.ByTeam, back.ByTeam);
        Assert.Equal(content.Forecast, back.Forecast);
        Assert.Equal(content.Savings.RealizedUsd, back.Savings.RealizedUsd);
    }

    [Fact]
    public void EmptyReport_RendersEveryFormat()
    {
        var content = new ReportBuilder(new ReportOptions()).Build(new ReportInputs(ReportPeriod.Month(2026, 11), SampleReport.Nov.AddMonths(1), [], [], [], [], [], [], [],
            ControlPlane.Pricing.PriceSheet.Empty));

        var charts = ReportCharts.Render(content);
        using var workbook = new XLWorkbook(new MemoryStream(ReportWorkbook.Render(content)));

        Assert.Contains("None in this period.", ReportHtml.Render(content, charts, ReportHtml.DataUri), StringComparison.Ordinal);
        Assert.Equal(0, workbook.Worksheet("Teams").RowsUsed().Single(r => r.Cell(1).GetString() == ReportWorkbook.TotalLabel).Cell(2).GetDouble());
        Assert.Equal(4, charts.Count);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

using ScottPlot;

namespace ControlPlane.Reports.Rendering;

/// <summary>A chart of the report as a PNG, named for the HTML that shows it.</summary>
public sealed record ReportChart(string Name, string Title, byte[] Png);

/// <summary>
/// The report's charts as PNG images (email clients run no scripts): daily cost stacked by team, budget burn-down,
/// top features, savings. Drawn with ScottPlot; amounts become doubles only here, for drawing.
/// </summary>
public static class ReportCharts
{
    private const int Width = 720;
    private const int Height = 320;
    private const int MaxTeams = 8;

    public static IReadOnlyList<ReportChart> Render(ReportContent c) =>
    [
        new("daily-cost", "Daily cost by team", DailyByTeam(c)),
        new("budget-burn", "Budget burn-down", BudgetBurn(c)),
        new("top-features", "Top features", TopFeatures(c)),
        new("savings", "Savings", SavingsChart(c)),
    ];

    private static byte[] DailyByTeam(ReportContent c)
    {
        var plot = new Plot();
        var days = Days(c);
        var teams = c.ByTeam.Take(MaxTeams).Select(t => t.Key).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var legend = new List<LegendItem>();
        var bars = new List<Bar>();
        for (var d = 0; d < days.Count; d++)
        {
            var bottom = 0.0;
            for (var t = 0; t <= teams.Count; t++)
            {
                // Teams beyond the largest few are one "other" band, so the chart stays readable and still adds up.
                var value = (double)c.Daily.Where(x => x.Day == days[d] && (t < teams.Count ? x.Team == teams[t] : !teams.Contains(x.Team))).Sum(x => x.CostUsd);
                if (value > 0)
                {
                    bars.Add(new Bar { Position = d, ValueBase = bottom, Value = bottom + value, FillColor = palette.GetColor(t) });
                    bottom += value;
                }
            }
        }

        for (var t = 0; t <= teams.Count; t++)
        {
            if (t < teams.Count || c.ByTeam.Count > MaxTeams)
            {
                legend.Add(new LegendItem { LabelText = t < teams.Count ? teams[t] : "other", FillColor = palette.GetColor(t) });
            }
        }

        plot.Add.Bars(bars);
        plot.ShowLegend(legend, Alignment.UpperLeft);
        DayTicks(plot, days);
        plot.YLabel("USD");
        return Png(plot);
    }

    private static byte[] BudgetBurn(ReportContent c)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var budgets = c.Budgets.Take(4).ToList();
        var days = Days(c);
        for (var i = 0; i < budgets.Count; i++)
        {
            var b = budgets[i];
            var xs = Enumerable.Range(0, b.Burn.Count).Select(x => (double)x).ToArray();
            var spent = plot.Add.Scatter(xs, [.. b.Burn.Select(p => (double)p.Usd)]);
            spent.LegendText = b.BudgetId;
            spent.Color = palette.GetColor(i);
            var limit = plot.Add.HorizontalLine((double)b.LimitForReportUsd);
            limit.Color = palette.GetColor(i);
            limit.LinePattern = LinePattern.Dashed;
        }

        if (budgets.Count == 0)
        {
            plot.Title("No budgets");
        }

        plot.ShowLegend(Alignment.UpperLeft);
        DayTicks(plot, days);
        plot.YLabel("USD spent");
        plot.Title("Dashed: each budget's limit for the period", 12);
        return Png(plot);
    }

    private static byte[] TopFeatures(ReportContent c)
    {
        var plot = new Plot();
        var top = c.ByFeature.Take(10).ToList();
        var bars = top.Select((f, i) => new Bar { Position = top.Count - i, Value = (double)f.CostUsd, Orientation = Orientation.Horizontal }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Left.SetTicks([.. top.Select((_, i) => (double)(top.Count - i))], [.. top.Select(f => f.Key)]);
        plot.XLabel("USD");
        return Png(plot);
    }

    private static byte[] SavingsChart(ReportContent c)
    {
        var plot = new Plot();
        var kinds = c.Savings.Realized.Select(s => "realized: " + s.Kind).Concat(c.Savings.Available.Select(s => "available: " + s.Kind)).Distinct().ToList();
        var values = kinds.Select(k => k.StartsWith("realized", StringComparison.Ordinal)
            ? c.Savings.Realized.Where(s => "realized: " + s.Kind == k).Sum(s => s.Usd)
            : c.Savings.Available.Where(s => "available: " + s.Kind == k).Sum(s => s.Usd)).ToList();
        var bars = kinds.Select((k, i) => new Bar
        {
            Position = i,
            Value = (double)values[i],
            FillColor = k.StartsWith("realized", StringComparison.Ordinal) ? Colors.SeaGreen : Colors.SteelBlue,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. kinds.Select((_, i) => (double)i)], [.. kinds.Select(k => k[(k.IndexOf(':', StringComparison.Ordinal) + 2)..])]);
        plot.ShowLegend([new LegendItem { LabelText = "realized", FillColor = Colors.SeaGreen }, new LegendItem { LabelText = "available", FillColor = Colors.SteelBlue }],
            Alignment.UpperRight);
        plot.YLabel("USD");
        if (kinds.Count == 0)
        {
            plot.Title("No savings found");
        }

        return Png(plot);
    }

    private static List<DateOnly> Days(ReportContent c)
    {
        var days = new List<DateOnly>();
        for (var d = DateOnly.FromDateTime(c.Start.UtcDateTime); d < DateOnly.FromDateTime(c.End.UtcDateTime); d = d.AddDays(1))
        {
            days.Add(d);
        }

        return days;
    }

    private static void DayTicks(Plot plot, List<DateOnly> days)
    {
        var step = Math.Max(1, days.Count / 8);
        var positions = Enumerable.Range(0, days.Count).Where(i => i % step == 0).ToList();
        plot.Axes.Bottom.SetTicks([.. positions.Select(i => (double)i)], [.. positions.Select(i => days[i].ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture))]);
    }

    private static byte[] Png(Plot plot) => plot.GetImageBytes(Width, Height, ImageFormat.Png);
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using ControlPlane.Pricing;
using ControlPlane.Registry;
using ControlPlane.Reports;
using ControlPlane.Reports.Focus;
using ControlPlane.Reports.Rendering;
using ControlPlane.Usage;

namespace ControlPlane.Benchmarks.Reports;

/// <summary>
/// A month of more than 10 million usage events, reported from its rollups: what the report's build step does after reading
/// them — the content (breakdowns, chargeback, unit economics, forecast, movers, savings priced with the sheet) and the
/// five files (FOCUS CSV, workbook, HTML with four charts, JSON). Baseline: one plain pass adding up the same rows'
/// cost. Rows are generated once in <see cref="Setup"/>, outside the timing.
/// <para>
/// The data: 40 teams × 5 features (each on one of 3 models), 4 of each feature's users active in every hour (800
/// rollup rows an hour), 23 calls per row on average: 576,000 rows for November (13.3 million calls) and as many for
/// October, which the report compares against — 1,152,000 rows read.
/// </para>
/// <para>
/// Run: <c>dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --filter '*MonthlyReportBenchmarks*' --job short --inProcess</c>.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class MonthlyReportBenchmarks
{
    public const int Teams = 40;
    public const int FeaturesPerTeam = 5;
    public const int UsersPerHour = 4;
    private static readonly (string Provider, string Model)[] Models = [("azure-openai", "gpt-4o-mini"), ("azure-openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5")];
    private static readonly ReportPeriod November = ReportPeriod.Month(2026, 11);

    private List<ReportRow> _rows = null!;
    private ReportInputs _inputs = null!;
    private ReportBuilder _builder = null!;
    private ReportContent _content = null!;

    /// <summary>Calls the month's rows stand for.</summary>
    public long Calls { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var prices = PriceSheet.Create(DefaultPriceSheet.Load(), []);
        _rows = new List<ReportRow>(2 * 720 * 600);
        foreach (var start in new[] { November.Previous.Start, November.Start })
        {
            for (var hour = start; hour < start.AddDays(30); hour = hour.AddHours(1))
            {
                for (var t = 0; t < Teams; t++)
                {
                    for (var f = 0; f < FeaturesPerTeam; f++)
                    {
                        var (provider, model) = Models[(t + f) % Models.Length];
                        for (var u = 0; u < UsersPerHour; u++)
                        {
                            var calls = 15 + ((t * 7) + (f * 3) + u + hour.Hour) % 17;
                            var tokens = new UsageTokens(calls * 3_000L, calls * 1_000L, 0, calls * 400L, 0);
                            var cost = prices.Price(new PricingContext(provider, model, null, false, hour), tokens);
                            _rows.Add(new ReportRow
                            {
                                Hour = hour, Team = "team-" + t.ToString("D2", CultureInfo.InvariantCulture), Feature = $"feature-{t:D2}-{f}", Model = model,
                                Provider = provider, Environment = "prod", User = $"user-{t}-{f}-{(hour.Hour + u) % 12}", Requests = calls, Tokens = tokens,
                                CostUsd = cost.TotalCost, UncachedInputUsd = cost.UncachedInputCost, CachedInputUsd = cost.CachedInputCost, OutputUsd = cost.OutputCost,
                                Units = f == 0 ? calls / 2 : 0,
                            });
                            if (start == November.Start)
                            {
                                Calls += calls;
                            }
                        }
                    }
                }
            }
        }

        var now = November.End.AddHours(6);
        _inputs = new ReportInputs(November, now, _rows, _rows, _rows,
            [.. Enumerable.Range(0, Teams).Select(t => new TeamProfile("team-" + t.ToString("D2", CultureInfo.InvariantCulture), "CC-" + (t % 8), null, null, now))],
            [.. Enumerable.Range(0, Teams).Select(t => new FeatureProfile($"feature-{t:D2}-0", "team-" + t.ToString("D2", CultureInfo.InvariantCulture), 4000, 3m, "ticket", 0.05m, now))],
            [], [], prices);
        _builder = new ReportBuilder(new ReportOptions());
        _content = _builder.Build(_inputs);
        Console.WriteLine($"// {_rows.Count:N0} rollup rows ({_rows.Count / 2:N0} for the month, {Calls:N0} calls); {_content.Totals.CostUsd:N2} USD.");
    }

    [Benchmark(Baseline = true, Description = "one pass adding up the rows' cost")]
    public decimal SumRows()
    {
        var total = 0m;
        foreach (var row in _rows)
        {
            if (row.Hour >= November.Start)
            {
                total += row.CostUsd;
            }
        }

        return total;
    }

    [Benchmark(Description = "report content")]
    public ReportContent Content() => _builder.Build(_inputs);

    [Benchmark(Description = "content + the five files")]
    public long ContentAndFiles()
    {
        var content = _builder.Build(_inputs);
        using var focus = new MemoryStream();
        var rows = FocusCsv.Write(focus, FocusCharges.From(_rows.Where(r => r.Hour >= November.Start), _ => "CC-1"), new FocusBillingAccount("contoso", "Contoso"));
        var workbook = ReportWorkbook.Render(content);
        var html = ReportHtml.Render(content, ReportCharts.Render(content), ReportHtml.DataUri);
        var json = ReportJson.Render(content);
        return rows + focus.Length + workbook.Length + html.Length + json.Length;
    }
}

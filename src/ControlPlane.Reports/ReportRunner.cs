using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Paging;
using ControlPlane.Pricing;
using ControlPlane.Registry;
using ControlPlane.Reports.Focus;
using ControlPlane.Reports.Rendering;
using ControlPlane.Usage;

namespace ControlPlane.Reports;

/// <summary>
/// Makes one report: reads the period's rollups (never the ledger), the registry, budgets, findings and prices,
/// computes the content, renders the five files into the report's folder and records the report. Idempotent under
/// the run id: a retried step finds its own finished report and returns it; running the period again under a new
/// run id replaces the files and starts a new issue.
/// </summary>
public sealed class ReportRunner(
    IUsageStore usage, IRegistryStore registry, BudgetService budgets, FindingService findings, PriceCatalog prices, IReportStore store,
    ReportOptions options, TimeProvider time)
{
    public const string FocusFile = "focus.csv";
    public const string ManifestFile = "manifest.json";
    public const string WorkbookFile = "report.xlsx";
    public const string HtmlFile = "report.html";
    public const string JsonFile = "report.json";

    public static IReadOnlyDictionary<string, string> ContentTypes { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [FocusFile] = "text/csv; charset=utf-8",
        [ManifestFile] = "application/json",
        [WorkbookFile] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [HtmlFile] = "text/html; charset=utf-8",
        [JsonFile] = "application/json",
    };

    private const int MaxAttempts = 8;

    /// <summary>Builds the report of <paramref name="period"/> under <paramref name="runId"/> and returns its record.</summary>
    public async Task<Report> RunAsync(ReportPeriod period, string runId, bool onDemand, CancellationToken cancellationToken = default)
    {
        var id = Report.IdFor(period.Kind, period.Name);
        var started = await StartAsync(period, id, runId, onDemand, cancellationToken).ConfigureAwait(false);
        if (started.Status == ReportStatus.Completed && started.RunId == runId)
        {
            return started;
        }

        var now = time.GetUtcNow();
        var (content, rows) = await ComputeAsync(period, now, cancellationToken).ConfigureAwait(false);
        var costCenters = content.Chargeback.SelectMany(c => c.Teams.Select(t => (t.Key, c.CostCenter))).ToDictionary(p => p.Key, p => p.CostCenter, StringComparer.Ordinal);
        var folder = Report.FolderFor(period.Kind, period.Name);

        using var focus = new MemoryStream();
        var focusRows = FocusCsv.Write(focus, FocusCharges.From(rows, team => costCenters.TryGetValue(team, out var c) && c != ReportBuilder.Unassigned ? c : null),
            new FocusBillingAccount(options.BillingAccountId, options.BillingAccountName));
        var charts = ReportCharts.Render(content);
        var files = new List<(string Name, byte[] Content)>
        {
            (FocusFile, focus.ToArray()),
            (WorkbookFile, ReportWorkbook.Render(content)),
            (HtmlFile, System.Text.Encoding.UTF8.GetBytes(ReportHtml.Render(content, charts, ReportHtml.DataUri))),
            (JsonFile, ReportJson.Render(content)),
        };
        files.Insert(1, (ManifestFile, FocusManifest.Build($"controlplane-{period.Kind.ToString().ToLowerInvariant()}", folder, runId, onDemand, now,
            period.Start, period.End, [($"{folder}/{FocusFile}", files[0].Content.LongLength, focusRows)])));
        foreach (var (name, bytes) in files)
        {
            await store.SaveFileAsync(folder, name, ContentTypes[name], bytes, cancellationToken).ConfigureAwait(false);
        }

        var totals = new ReportTotalsSummary(content.Totals.CostUsd, content.Totals.TokenCostUsd, content.Totals.GpuCostUsd, content.Totals.Requests,
            content.Totals.PreviousCostUsd, content.Savings.RealizedUsd, content.Savings.AvailableUsd, content.Forecast.MonthEndUsd, content.OpenFindings.Count, focusRows);
        return await UpdateAsync(id, r => r with
        {
            Status = ReportStatus.Completed,
            CompletedAt = time.GetUtcNow(),
            Files = [.. files.Select(f => new ReportFile(f.Name, ContentTypes[f.Name], f.Content.LongLength))],
            Totals = totals,
            Error = null,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The report's content and the period's rows (for the FOCUS file), without writing anything.</summary>
    public async Task<(ReportContent Content, IReadOnlyList<ReportRow> Rows)> ComputeAsync(ReportPeriod period, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var previous = period.Previous;
        var monthStart = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var forecastFrom = monthStart.AddDays(-7);
        var forecastTo = UsageRollup.HourOf(now).AddHours(1);

        // One read for the period and the one before it (adjacent), one for the forecast's window unless it is inside.
        var reportRows = (await usage.GetRollupsAsync(previous.Start, period.End, cancellationToken).ConfigureAwait(false)).Select(ReportRows.From).ToList();
        var forecastRows = forecastFrom >= previous.Start && forecastTo <= period.End
            ? reportRows
            : (await usage.GetRollupsAsync(forecastFrom, forecastTo, cancellationToken).ConfigureAwait(false)).Select(ReportRows.From).ToList();

        var (definitions, _) = await budgets.GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var statuses = new List<BudgetStatus>();
        foreach (var budget in definitions)
        {
            statuses.Add(await budgets.StatusAsync(budget, cancellationToken).ConfigureAwait(false));
        }

        var open = await Pages.AllAsync<Finding>((p, ct) => findings.ListAsync(new FindingFilter(State: FindingState.Open), p, ct), cancellationToken).ConfigureAwait(false);
        var acknowledged = await Pages.AllAsync<Finding>((p, ct) => findings.ListAsync(new FindingFilter(State: FindingState.Acknowledged), p, ct), cancellationToken).ConfigureAwait(false);
        var content = new ReportBuilder(options).Build(new ReportInputs(
            period,
            now,
            reportRows,
            reportRows,
            forecastRows,
            await Pages.AllAsync<TeamProfile>(registry.ListTeamsAsync, cancellationToken).ConfigureAwait(false),
            await Pages.AllAsync<FeatureProfile>(registry.ListFeaturesAsync, cancellationToken).ConfigureAwait(false),
            statuses,
            [.. open, .. acknowledged],
            await prices.GetSheetAsync(cancellationToken).ConfigureAwait(false)));
        return (content, [.. reportRows.Where(r => r.Hour >= period.Start && r.Hour < period.End)]);
    }

    private async Task<Report> StartAsync(ReportPeriod period, string id, string runId, bool onDemand, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                var created = new Report(id, period.Kind, period.Name, period.Start, period.End, ReportStatus.Running, 1, runId, onDemand, now, null,
                    Report.FolderFor(period.Kind, period.Name), [], null, []);
                if (await store.TryCreateAsync(created, cancellationToken).ConfigureAwait(false))
                {
                    return created;
                }

                continue;
            }

            if (stored.Report.RunId == runId)
            {
                return stored.Report;
            }

            // A new run of the period: a new issue, whose deliveries start afresh.
            var next = stored.Report with
            {
                Status = ReportStatus.Running, Issue = stored.Report.Issue + 1, RunId = runId, OnDemand = onDemand, StartedAt = now, CompletedAt = null,
                Deliveries = [], Error = null,
            };
            if (await store.TryReplaceAsync(next, stored.ETag, cancellationToken).ConfigureAwait(false))
            {
                return next;
            }
        }

        throw new InvalidOperationException($"Report {id} kept changing while run {runId} started it.");
    }

    /// <summary>Applies a change to the report's record, retrying on a concurrent change.</summary>
    public async Task<Report> UpdateAsync(string id, Func<Report, Report> change, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = await store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException($"Report {id} does not exist.");
            var next = change(stored.Report);
            if (await store.TryReplaceAsync(next, stored.ETag, cancellationToken).ConfigureAwait(false))
            {
                return next;
            }
        }

        throw new InvalidOperationException($"Report {id} kept changing.");
    }
}

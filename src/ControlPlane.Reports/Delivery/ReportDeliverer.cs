using System.Text;
using CsvHelper;
using ControlPlane.Reports.Focus;
using ControlPlane.Reports.Rendering;

namespace ControlPlane.Reports.Delivery;

/// <summary>What one delivery step did.</summary>
public sealed record DeliverySummary(int Delivered, int AlreadyDelivered, int Failed, bool Configured);

/// <summary>Some emails of a report could not be sent; they are recorded as failed and the step is tried again.</summary>
public sealed class ReportDeliveryException(string reportId, IReadOnlyList<string> audiences, Exception last)
    : Exception($"Report {reportId}: {audiences.Count} email(s) not delivered ({string.Join(", ", audiences)}): {last.Message}", last);

/// <summary>
/// Emails a finished report: the report kind's recipients get the HTML report with its charts inline and the workbook
/// and FOCUS file attached; with a monthly report, each configured cost center's owners get their own chargeback and
/// their rows of the FOCUS file. Each email is one delivery on the report's record: a delivered one is never sent
/// again for the same issue (a retry sends only what failed), and every attempt and error is visible on the report.
/// </summary>
public sealed class ReportDeliverer(IReportStore store, ReportRunner runner, IReportMailer mailer, ReportEmailOptions options, TimeProvider time)
{
    public const string KindAudience = "recipients";
    public const string CostCenterPrefix = "cost-center:";

    public async Task<DeliverySummary> DeliverAsync(string reportId, string runId, CancellationToken cancellationToken = default)
    {
        if (!options.Configured)
        {
            return new(0, 0, 0, Configured: false);
        }

        var report = (await store.GetAsync(reportId, cancellationToken).ConfigureAwait(false))?.Report
            ?? throw new InvalidOperationException($"Report {reportId} does not exist.");
        if (report.RunId != runId)
        {
            // A newer run of the period replaced this issue; it delivers its own.
            return new(0, 0, 0, Configured: true);
        }

        if (report.Status != ReportStatus.Completed)
        {
            throw new InvalidOperationException($"Report {reportId} is {report.Status}; only a completed report is delivered.");
        }

        var content = ReportJson.Read((await File(report, ReportRunner.JsonFile, cancellationToken).ConfigureAwait(false)).Span);
        var audiences = Audiences(report, content);
        report = await runner.UpdateAsync(reportId, r => r with
        {
            Deliveries = [.. r.Deliveries, .. audiences.Where(a => r.Deliveries.All(d => d.Audience != a.Audience))
                .Select(a => new ReportDelivery(a.Audience, a.Recipients, DeliveryState.Pending, 0, null, null, null))],
        }, cancellationToken).ConfigureAwait(false);

        int delivered = 0, already = 0;
        var failed = new List<string>();
        Exception? lastError = null;
        foreach (var delivery in report.Deliveries)
        {
            if (delivery.State == DeliveryState.Delivered)
            {
                already++;
                continue;
            }

            var messageId = $"{report.Id}.{report.Issue}.{delivery.Audience.Replace(':', '.')}@controlplane";
            try
            {
                var email = await EmailAsync(report, content, delivery, messageId, cancellationToken).ConfigureAwait(false);
                await mailer.SendAsync(email, cancellationToken).ConfigureAwait(false);
                await Record(reportId, delivery.Audience, d => d with
                {
                    State = DeliveryState.Delivered, Attempts = d.Attempts + 1, DeliveredAt = time.GetUtcNow(), LastError = null, MessageId = messageId,
                }, cancellationToken).ConfigureAwait(false);
                delivered++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lastError = ex;
                failed.Add(delivery.Audience);
                await Record(reportId, delivery.Audience, d => d with { State = DeliveryState.Failed, Attempts = d.Attempts + 1, LastError = ex.Message },
                    cancellationToken).ConfigureAwait(false);
            }
        }

        return failed.Count > 0 ? throw new ReportDeliveryException(reportId, failed, lastError!) : new(delivered, already, 0, Configured: true);
    }

    private List<(string Audience, IReadOnlyList<string> Recipients)> Audiences(Report report, ReportContent content)
    {
        var audiences = new List<(string, IReadOnlyList<string>)>();
        var recipients = ReportEmailOptions.Addresses(report.Kind == ReportKind.Monthly ? options.Monthly : options.Weekly);
        if (recipients.Count > 0)
        {
            audiences.Add((KindAudience, recipients));
        }

        if (report.Kind == ReportKind.Monthly)
        {
            foreach (var center in content.Chargeback)
            {
                if (options.CostCenters.TryGetValue(center.CostCenter, out var owners) && ReportEmailOptions.Addresses(owners) is { Count: > 0 } to)
                {
                    audiences.Add((CostCenterPrefix + center.CostCenter, to));
                }
            }
        }

        return audiences;
    }

    private async Task<ReportEmail> EmailAsync(Report report, ReportContent content, ReportDelivery delivery, string messageId, CancellationToken cancellationToken)
    {
        var focus = await File(report, ReportRunner.FocusFile, cancellationToken).ConfigureAwait(false);
        if (delivery.Audience.StartsWith(CostCenterPrefix, StringComparison.Ordinal))
        {
            var center = delivery.Audience[CostCenterPrefix.Length..];
            var lines = content.Chargeback.Single(c => c.CostCenter == center);
            return new ReportEmail(messageId, delivery.Recipients, $"Chargeback {center} — {ReportHtml.Title(content)}",
                ReportHtml.RenderChargeback(content, lines), [],
                [($"focus-{Safe(center)}.csv", ReportRunner.ContentTypes[ReportRunner.FocusFile], RowsOf(focus.Span, center))]);
        }

        var charts = ReportCharts.Render(content);
        var workbook = await File(report, ReportRunner.WorkbookFile, cancellationToken).ConfigureAwait(false);
        return new ReportEmail(messageId, delivery.Recipients, ReportHtml.Title(content), ReportHtml.Render(content, charts, ReportHtml.ContentId),
            [.. charts.Select(c => (c.Name, c.Png))],
            [
                (ReportRunner.WorkbookFile, ReportRunner.ContentTypes[ReportRunner.WorkbookFile], workbook.ToArray()),
                (ReportRunner.FocusFile, ReportRunner.ContentTypes[ReportRunner.FocusFile], focus.ToArray()),
            ]);
    }

    /// <summary>The FOCUS file's rows of one cost center, under the same header.</summary>
    internal static byte[] RowsOf(ReadOnlySpan<byte> focus, string costCenter)
    {
        using var input = new MemoryStream(focus.ToArray());
        using var reader = CsvReader.Create(input, null, leaveOpen: true);
        using var output = new MemoryStream();
        using (var writer = CsvWriter.Create(output, CsvWriterOptions.Default, leaveOpen: true))
        {
            writer.WriteHeader([.. FocusCsv.Columns]);
            var column = -1;
            while (reader.Read())
            {
                column = column >= 0 ? column : reader.GetFieldIndex("x_CostCenter");
                if (reader.GetString(column) == costCenter)
                {
                    writer.WriteRecord([.. Enumerable.Range(0, FocusCsv.Columns.Count).Select(reader.GetString)]);
                }
            }

            writer.Flush();
        }

        return output.ToArray();
    }

    private static string Safe(string name) => new([.. name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_')]);

    private async Task<ReadOnlyMemory<byte>> File(Report report, string name, CancellationToken cancellationToken) =>
        await store.ReadFileAsync(report.Folder, name, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Report {report.Id} has no {name}.");

    private Task<Report> Record(string reportId, string audience, Func<ReportDelivery, ReportDelivery> change, CancellationToken cancellationToken) =>
        runner.UpdateAsync(reportId, r => r with { Deliveries = [.. r.Deliveries.Select(d => d.Audience == audience ? change(d) : d)] }, cancellationToken);
}

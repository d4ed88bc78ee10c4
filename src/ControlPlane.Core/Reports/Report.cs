using ControlPlane.Paging;

namespace ControlPlane.Reports;

public enum ReportStatus
{
    Running,
    Completed,
    Failed,
}

/// <summary>One artifact of a report: <c>focus.csv</c>, <c>manifest.json</c>, <c>report.xlsx</c>, <c>report.html</c>, <c>report.json</c>.</summary>
public sealed record ReportFile(string Name, string ContentType, long Bytes);

public enum DeliveryState
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>
/// One email a report is sent as: to an audience (the report kind's recipients, or one cost center's owners, who
/// receive their own chargeback), with its attempts. A delivered one is never sent again for the same issue.
/// </summary>
public sealed record ReportDelivery(
    string Audience, IReadOnlyList<string> Recipients, DeliveryState State, int Attempts, string? LastError, DateTimeOffset? DeliveredAt, string? MessageId);

/// <summary>The headline numbers of a report, kept on its record so the list answers without opening files.</summary>
public sealed record ReportTotalsSummary(
    decimal CostUsd, decimal TokenCostUsd, decimal GpuCostUsd, long Requests, decimal PreviousCostUsd, decimal SavingsRealizedUsd, decimal SavingsAvailableUsd,
    decimal ForecastMonthEndUsd, int OpenFindings, long FocusRows);

/// <summary>
/// A report of one period: its files, its totals and its deliveries. There is one per kind and period (id
/// <c>{kind}-{period}</c>); running the period again replaces its files and starts a new <see cref="Issue"/>.
/// </summary>
public sealed record Report(
    string Id,
    ReportKind Kind,
    string Period,
    DateTimeOffset Start,
    DateTimeOffset End,
    ReportStatus Status,
    int Issue,
    string RunId,
    bool OnDemand,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt,
    string Folder,
    IReadOnlyList<ReportFile> Files,
    ReportTotalsSummary? Totals,
    IReadOnlyList<ReportDelivery> Deliveries,
    string? Error = null)
{
    public static string IdFor(ReportKind kind, string period) => $"{kind.ToString().ToLowerInvariant()}-{period}";

    /// <summary>Where the files are: <c>reports/{kind}/{period}/</c> in Blob storage.</summary>
    public static string FolderFor(ReportKind kind, string period) => $"reports/{kind.ToString().ToLowerInvariant()}/{period}";
}

/// <summary>A report with its concurrency tag.</summary>
public sealed record StoredReport(Report Report, string ETag);

/// <summary>Report records (a table) and their files (blobs under <see cref="Report.FolderFor"/>).</summary>
public interface IReportStore
{
    Task<StoredReport?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Creates the record; false when one exists already.</summary>
    Task<bool> TryCreateAsync(Report report, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if it still has <paramref name="etag"/>.</summary>
    Task<bool> TryReplaceAsync(Report report, string etag, CancellationToken cancellationToken = default);

    /// <summary>Reports newest period first, of one kind or all.</summary>
    Task<ListPage<Report>> ListAsync(ReportKind? kind, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Writes (or overwrites) one file of the report's folder.</summary>
    Task SaveFileAsync(string folder, string name, string contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>One file's content, or null when there is no such file.</summary>
    Task<ReadOnlyMemory<byte>?> ReadFileAsync(string folder, string name, CancellationToken cancellationToken = default);
}

public static class ReportErrors
{
    public const string NotFound = "report_not_found";
    public const string FileNotFound = "report_file_not_found";
    public const string KindInvalid = "report_kind_invalid";
    public const string PeriodInvalid = "report_period_invalid";
    public const string PeriodInFuture = "report_period_in_future";
    public const string PeriodTooOld = "report_period_too_old";
    public const string Failed = "report_failed";
    public const string NotCompleted = "report_not_completed";
}

using System.ComponentModel;
using System.Text.Json.Serialization;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Reports;
using ControlPlane.Reports.Delivery;
using ControlPlane.Validation;
using Microsoft.DurableTask.Client;

namespace ControlPlane.Functions.Reports;

/// <summary>
/// Finance reports: list them, read one with its totals and deliveries, download its files, run any period by hand
/// (re-issuing last month replaces its files), and retry its undelivered emails.
/// </summary>
[Tags("Reports")]
public sealed class ReportsApi(IReportStore store, ReportStarter starter, ReportDeliverer deliverer, TimeProvider time)
{
    private const int MaxBodyBytes = 4 * 1024;
    private const string ListName = "reports";

    /// <summary>How long <c>POST /api/reports/run</c> waits for the report before answering 202 with where to find it.</summary>
    internal static TimeSpan RunWait { get; set; } = TimeSpan.FromSeconds(60);

    [Function(nameof(ListReports))]
    [ProblemResponse(StatusCodes.Status400BadRequest, ReportErrors.KindInvalid)]
    [Authorize(Policies.Finance)]
    [QueryParameter("kind", "Only weekly or monthly reports.", Enum = typeof(ReportKind))]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Reports, newest period first, with their status, files, totals and deliveries. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<ReportList>, ProblemHttpResult>> ListReports(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reports")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ListName, request);
        if (problem is not null)
        {
            return problem;
        }

        ReportKind? kind = null;
        if (request.Text("kind") is { } text)
        {
            if (!EnumNames.TryParse<ReportKind>(text, out var parsed))
            {
                return Problems.Validation([new(ReportErrors.KindInvalid, "kind", $"kind must be one of {EnumNames.Allowed<ReportKind>()}.")]);
            }

            kind = parsed;
        }

        var reports = await store.ListAsync(kind, page!, cancellationToken);
        return TypedResults.Ok(new ReportList(reports.Items, PageQuery.Token(ListName, reports.Next)));
    }

    [Function(nameof(GetReport))]
    [ProblemResponse(StatusCodes.Status404NotFound, ReportErrors.NotFound)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("One report (id {kind}-{period}, e.g. monthly-2026-11): status, issue, files, totals, deliveries.")]
    public async Task<Results<Ok<Report>, ProblemHttpResult>> GetReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reports/{id}")] HttpRequest request, [Description("The report's id, {kind}-{period}: monthly-2026-11, weekly-2026-W47.")] string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } stored ? TypedResults.Ok(stored.Report) : Problems.NotFoundOf(ReportErrors.NotFound, $"Report '{id}'");

    [Function(nameof(GetReportFile))]
    [ProblemResponse(StatusCodes.Status404NotFound, ReportErrors.NotFound, ReportErrors.FileNotFound)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("A report's file: focus.csv, manifest.json, report.xlsx, report.html or report.json.")]
    public async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetReportFile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reports/{id}/files/{name}")] HttpRequest request, [Description("The report's id, {kind}-{period}: monthly-2026-11, weekly-2026-W47.")] string id, [Description("The file's name: focus.csv, manifest.json, report.xlsx, report.html or report.json.")] string name,
        CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } stored)
        {
            return Problems.NotFoundOf(ReportErrors.NotFound, $"Report '{id}'");
        }

        if (!ReportRunner.ContentTypes.TryGetValue(name, out var contentType) || stored.Report.Files.All(f => f.Name != name)
            || await store.ReadFileAsync(stored.Report.Folder, name, cancellationToken) is not { } content)
        {
            return Problems.NotFoundOf(ReportErrors.FileNotFound, $"File '{name}' of report '{id}'");
        }

        return TypedResults.File(content.ToArray(), contentType, $"{id}-{name}");
    }

    [Function(nameof(RunReport))]
    [ProblemResponse(StatusCodes.Status400BadRequest, ReportErrors.KindInvalid, ReportErrors.PeriodInvalid, ReportErrors.PeriodInFuture)]
    [ProblemResponse(StatusCodes.Status500InternalServerError, ReportErrors.Failed)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.ReportRun))]
    [AcceptsJson(typeof(RunReportRequest))]
    [EndpointSummary("Make a report now: {\"kind\": \"weekly\" | \"monthly\", \"period\": \"2026-W47\" | \"2026-11\"} (period defaults to the last one that ended). Answers with the report once made (200), or 202 with its location if it takes longer than a minute. Running a period again replaces its files and emails it again as a new issue.")]
    public async Task<Results<Ok<Report>, Accepted<Report>, ProblemHttpResult>> RunReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/reports/run")] HttpRequest request, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<RunReportRequest>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!EnumNames.TryParse<ReportKind>(body!.Kind, out var kind))
        {
            return Problems.Validation([new(ReportErrors.KindInvalid, "kind", $"kind is required: one of {EnumNames.Allowed<ReportKind>()}.")]);
        }

        var now = time.GetUtcNow();
        var period = body.Period is null ? ReportPeriod.LastEnded(kind, now) : ReportPeriod.TryParse(kind, body.Period);
        if (period is null)
        {
            return Problems.Validation([new(ReportErrors.PeriodInvalid, "period",
                $"period must be a {kind.ToString().ToLowerInvariant()} period such as {(kind == ReportKind.Monthly ? "2026-11" : "2026-W47")}.")]);
        }

        if (period.Start > now)
        {
            return Problems.Validation([new(ReportErrors.PeriodInFuture, "period", $"{period.Name} has not begun yet.")]);
        }

        var caller = request.HttpContext.User.GetCaller();
        var input = starter.For(caller.KeyId, kind, period.Name, onDemand: true);
        var runId = $"report-{Report.IdFor(kind, period.Name)}-{now.UtcDateTime:yyyyMMdd'T'HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";
        await OrchestrationRuns.StartOnceAsync(client, nameof(ReportOrchestration.FinanceReport), runId, input, cancellationToken);

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(RunWait);
        try
        {
            var finished = await client.WaitForInstanceCompletionAsync(runId, getInputsAndOutputs: true, wait.Token);
            if (finished.RuntimeStatus == OrchestrationRuntimeStatus.Failed)
            {
                var error = finished.FailureDetails is { } failure ? RunError.From(failure).Message
                    : finished.SerializedOutput is { } output ? RunError.FromOutput(output).Message : "the run failed";
                return Problems.Of(StatusCodes.Status500InternalServerError, ReportErrors.Failed, $"Report {period.Name} could not be made.", error);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Still running: say where to look.
        }

        var id = Report.IdFor(kind, period.Name);
        var stored = await store.GetAsync(id, cancellationToken);
        return stored?.Report is { Status: ReportStatus.Completed } report && report.RunId == runId
            ? TypedResults.Ok(report)
            : TypedResults.Accepted($"/api/reports/{id}", stored?.Report ?? new Report(id, kind, period.Name, period.Start, period.End, ReportStatus.Running, 0, runId, true, now,
                null, Report.FolderFor(kind, period.Name), [], null, []));
    }

    [Function(nameof(DeliverReportAgain))]
    [ProblemResponse(StatusCodes.Status404NotFound, ReportErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, ReportErrors.NotCompleted)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.ReportDeliver))]
    [EndpointSummary("Send the report's emails that have not been delivered (failed or pending) for its current issue; delivered ones are never sent again. 409 report_not_completed while it is being made.")]
    public async Task<Results<Ok<Report>, ProblemHttpResult>> DeliverReportAgain(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/reports/{id}/deliver")] HttpRequest request, [Description("The report's id, {kind}-{period}: monthly-2026-11, weekly-2026-W47.")] string id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } stored)
        {
            return Problems.NotFoundOf(ReportErrors.NotFound, $"Report '{id}'");
        }

        if (stored.Report.Status != ReportStatus.Completed)
        {
            return Problems.Of(StatusCodes.Status409Conflict, ReportErrors.NotCompleted, "The report is not completed yet.");
        }

        try
        {
            await deliverer.DeliverAsync(id, stored.Report.RunId, cancellationToken);
        }
        catch (ReportDeliveryException)
        {
            // The failures are on the report's deliveries, which the answer shows.
        }

        return TypedResults.Ok((await store.GetAsync(id, cancellationToken))!.Report);
    }
}

/// <summary><c>POST /api/reports/run</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class RunReportRequest
{
    public string? Kind { get; set; }
    public string? Period { get; set; }
}

/// <summary>A page of reports; <c>next</c> is absent on the last page.</summary>
public sealed record ReportList(IReadOnlyList<Report> Reports, string? Next = null);

using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Reports;
using ControlPlane.Reports.Delivery;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Reports;

/// <summary>A report run's input: which period, whether an admin asked for it, and the retry policy in force when it started.</summary>
public sealed record ReportRunInput(string StartedBy, ReportKind Kind, string Period, bool OnDemand, ActivityRetry Retry) : IOrchestrationInput;

/// <summary>The build step's input: the period, and the run (the instance id) it is built under.</summary>
public sealed record ReportBuild(string RunId, ReportKind Kind, string Period, bool OnDemand);

/// <summary>One step's input: the report and the run that owns it.</summary>
public sealed record ReportStep(string ReportId, string RunId);

/// <summary>What a report run did.</summary>
public sealed record ReportRunSummary(string ReportId, int Issue, decimal CostUsd, int Files, DeliverySummary? Delivery, string? DeliveryError);

/// <summary>
/// A finance report as a Durable orchestration: build (compute, render, store the five files) → email → announce
/// (<c>ControlPlane.Report.Published</c>). Each step is an idempotent activity under the run id; an SMTP outage is
/// retried with backoff, and if it outlasts the retries the run still completes with the report stored and its
/// failed deliveries on the record (<c>POST /api/reports/{id}/deliver</c> tries them again).
/// </summary>
public static class ReportOrchestration
{
    public const string KindName = "report";

    [Function(nameof(FinanceReport))]
    [OrchestrationKind(KindName)]
    public static async Task<ReportRunSummary> FinanceReport([OrchestrationTrigger] TaskOrchestrationContext context, ReportRunInput input)
    {
        var retry = input.Retry.ToTaskOptions(MayPass);
        context.SetCustomStatus(new StepStatus("build", $"{input.Kind.ToString().ToLowerInvariant()} {input.Period}"));
        var report = await context.CallActivityAsync<Report>(nameof(ReportActivities.BuildReport),
            new ReportBuild(context.InstanceId, input.Kind, input.Period, input.OnDemand), retry);
        var step = new ReportStep(report.Id, report.RunId);

        context.SetCustomStatus(new StepStatus("deliver"));
        DeliverySummary? delivery = null;
        string? deliveryError = null;
        try
        {
            delivery = await context.CallActivityAsync<DeliverySummary>(nameof(ReportActivities.DeliverReport), step, retry);
        }
        catch (TaskFailedException ex)
        {
            deliveryError = ex.FailureDetails.ErrorMessage;
        }

        context.SetCustomStatus(new StepStatus("publish"));
        await context.CallActivityAsync(nameof(ReportActivities.PublishReport), step, retry);
        context.SetCustomStatus(new StepStatus("completed", deliveryError is null ? null : "delivery failed: " + deliveryError));
        return new ReportRunSummary(report.Id, report.Issue, report.Totals?.CostUsd ?? 0m, report.Files.Count, delivery, deliveryError);
    }

    /// <summary>Storage, Event Grid or the SMTP server unavailable: worth another attempt. Anything else fails at once.</summary>
    public static bool MayPass(TaskFailureDetails failure) => Passing.Contains(failure.ErrorType);

    private static readonly HashSet<string> Passing = new(StringComparer.Ordinal)
    {
        typeof(ReportDeliveryException).FullName!, typeof(global::Azure.RequestFailedException).FullName!, typeof(HttpRequestException).FullName!,
        typeof(TimeoutException).FullName!, typeof(AggregateException).FullName!,
    };
}

/// <summary>The report run's activities, thin over <see cref="ReportRunner"/> and <see cref="ReportDeliverer"/>.</summary>
public sealed class ReportActivities(ReportRunner runner, ReportDeliverer deliverer, IReportStore store, IEventPublisher events, TimeProvider time)
{
    public const string PublishedEventType = "ControlPlane.Report.Published";
    public const string EventSource = "/controlplane/reports";

    [Function(nameof(BuildReport))]
    public Task<Report> BuildReport([ActivityTrigger] ReportBuild build, CancellationToken cancellationToken) =>
        runner.RunAsync(ReportPeriod.TryParse(build.Kind, build.Period) ?? throw new ArgumentException($"'{build.Period}' is not a {build.Kind} period."),
            build.RunId, build.OnDemand, cancellationToken);

    [Function(nameof(DeliverReport))]
    public Task<DeliverySummary> DeliverReport([ActivityTrigger] ReportStep step, CancellationToken cancellationToken) =>
        deliverer.DeliverAsync(step.ReportId, step.RunId, cancellationToken);

    /// <summary>Announces the report with its files' locations; the event id is the report and its issue, so a re-delivery is the same event.</summary>
    [Function(nameof(PublishReport))]
    public async Task PublishReport([ActivityTrigger] ReportStep step, CancellationToken cancellationToken)
    {
        if (!events.IsConfigured || (await store.GetAsync(step.ReportId, cancellationToken).ConfigureAwait(false))?.Report is not { } report || report.RunId != step.RunId)
        {
            return;
        }

        await events.PublishAsync(new PlatformEvent($"{report.Id}-{report.Issue}-published", PublishedEventType, EventSource, $"reports/{report.Id}", time.GetUtcNow(),
            new
            {
                report.Id, Kind = report.Kind.ToString().ToLowerInvariant(), report.Period, report.Issue, report.Folder,
                Files = report.Files.Select(f => new { f.Name, f.ContentType, f.Bytes, Path = $"{report.Folder}/{f.Name}", Url = $"/api/reports/{report.Id}/files/{f.Name}" }),
                report.Totals,
                Deliveries = report.Deliveries.Select(d => new { d.Audience, State = d.State.ToString().ToLowerInvariant(), d.Attempts }),
            }), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Builds a report run's input; without input it reports the last finished month.</summary>
public sealed class ReportStarter(IOptions<OrchestrationOptions> orchestrations, TimeProvider time) : IOrchestrationStarter
{
    public string Kind => ReportOrchestration.KindName;

    public object CreateInput(string startedBy, JsonElement? input)
    {
        var kind = ReportKind.Monthly;
        string? period = null;
        if (input is { ValueKind: JsonValueKind.Object } body)
        {
            if (body.TryGetProperty("kind", out var k) && (k.ValueKind != JsonValueKind.String || !Validation.EnumNames.TryParse(k.GetString(), out kind)))
            {
                throw new OrchestrationInputException(ReportErrors.KindInvalid, "input.kind must be weekly or monthly.");
            }

            period = body.TryGetProperty("period", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        }

        return For(startedBy, kind, period, onDemand: startedBy != "schedule");
    }

    public ReportRunInput For(string startedBy, ReportKind kind, string? period, bool onDemand)
    {
        var resolved = period is null ? ReportPeriod.LastEnded(kind, time.GetUtcNow()) : ReportPeriod.TryParse(kind, period)
            ?? throw new OrchestrationInputException(ReportErrors.PeriodInvalid, $"input.period must be a {kind.ToString().ToLowerInvariant()} period such as {(kind == ReportKind.Monthly ? "2026-11" : "2026-W47")}.");
        return new ReportRunInput(startedBy, kind, resolved.Name, onDemand, ActivityRetry.From(orchestrations.Value));
    }
}

/// <summary>
/// Timers (defaults: weekly on Mondays 06:00 UTC, monthly on the 1st 06:00 UTC; app settings
/// <c>ControlPlane__Reports__WeeklySchedule</c> and <c>MonthlySchedule</c>): report the period just ended. The run id
/// is the report's and the scheduled occurrence's, so a timer that fires twice starts one run.
/// </summary>
public sealed class ReportTimers(ReportStarter starter, TimeProvider time, ILogger<ReportTimers> logger)
{
    [Function(nameof(StartWeeklyReport))]
    public Task<object> StartWeeklyReport([TimerTrigger("%ControlPlane__Reports__WeeklySchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) => StartAsync(ReportKind.Weekly, timer, client, nameof(StartWeeklyReport), cancellationToken);

    [Function(nameof(StartMonthlyReport))]
    public Task<object> StartMonthlyReport([TimerTrigger("%ControlPlane__Reports__MonthlySchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) => StartAsync(ReportKind.Monthly, timer, client, nameof(StartMonthlyReport), cancellationToken);

    private async Task<object> StartAsync(ReportKind kind, TimerInfo timer, DurableTaskClient client, string function, CancellationToken cancellationToken)
    {
        var occurrence = Hosting.ScheduledTimer.OccurrenceOrNow(timer, time);
        var input = starter.For("schedule", kind, ReportPeriod.LastEnded(kind, occurrence).Name, onDemand: false);
        var runId = $"report-{Report.IdFor(kind, input.Period)}-{occurrence.UtcDateTime:yyyyMMdd'T'HHmm}";
        var started = await OrchestrationRuns.StartOnceAsync(client, nameof(ReportOrchestration.FinanceReport), runId, input, cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(function, started ? $"Started {runId}." : $"{runId} already exists.");
        return new { runId, started };
    }
}

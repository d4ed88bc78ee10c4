using System.Text.Json;
using ControlPlane.Audits;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Usage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Audits;

/// <summary>
/// A usage audit run's input: who started it, the moment it audits up to (the scheduled occurrence, or when it was
/// started by hand: fixed at start, so the orchestrator is deterministic on replay) and its retry policy.
/// </summary>
public sealed record UsageAuditInput(string StartedBy, DateTimeOffset At, ActivityRetry Retry) : IOrchestrationInput;

/// <summary>What a usage audit run did: the window it judged, the candidates it found and how recording them went.</summary>
public sealed record UsageAuditSummary(
    string RunId, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, int Subjects, int Candidates, int Dropped,
    IReadOnlyDictionary<string, int> NotEnoughHistory, ObserveSummary Recorded);

/// <summary>
/// The usage audits as Durable orchestrations: evaluate (one activity that reads the window's rollups, session usage
/// and registry and runs the rules) → record (the shared <see cref="FindingActivities.RecordFindings"/>, in chunks so
/// no message grows with the number of findings). Messages carry a moment in, and the run's bounded candidates out.
/// </summary>
public static class UsageAuditOrchestrations
{
    public const string ZombieKind = "zombie-feature-audit";
    public const string AnomalyKind = "anomaly-scan";

    /// <summary>Candidates per <see cref="FindingActivities.RecordFindings"/> call.</summary>
    public const int RecordChunk = 50;

    /// <summary>Nightly: zombie features over the weeks ending at the start of the run's UTC day, and negative unit economics over the last week.</summary>
    [Function(nameof(ZombieFeatureAudit))]
    [OrchestrationKind(ZombieKind)]
    public static Task<UsageAuditSummary> ZombieFeatureAudit([OrchestrationTrigger] TaskOrchestrationContext context, UsageAuditInput input) =>
        RunAsync(context, input, nameof(UsageAuditActivities.EvaluateZombieFeatures), FeatureUsageHistory.DayOf(input.At));

    /// <summary>Hourly: the last whole UTC hour before the run's moment (and, after a day's last hour, that day).</summary>
    [Function(nameof(AnomalyScan))]
    [OrchestrationKind(AnomalyKind)]
    public static Task<UsageAuditSummary> AnomalyScan([OrchestrationTrigger] TaskOrchestrationContext context, UsageAuditInput input) =>
        RunAsync(context, input, nameof(UsageAuditActivities.EvaluateAnomalies), UsageRollup.HourOf(input.At).AddHours(-1));

    private static async Task<UsageAuditSummary> RunAsync(TaskOrchestrationContext context, UsageAuditInput input, string evaluate, DateTimeOffset window)
    {
        var runId = context.InstanceId;
        var retry = input.Retry.ToTaskOptions(MayPass);

        context.SetCustomStatus(new StepStatus("evaluate"));
        var evaluation = await context.CallActivityAsync<UsageAuditEvaluation>(evaluate, window, retry);

        var recorded = ObserveSummary.Empty;
        foreach (var chunk in evaluation.Candidates.Chunk(RecordChunk))
        {
            context.SetCustomStatus(new StepStatus("record", $"{evaluation.Candidates.Count} findings"));
            recorded = recorded.Add(await context.CallActivityAsync<ObserveSummary>(nameof(FindingActivities.RecordFindings), new RecordFindingsInput(runId, chunk), retry));
        }

        context.SetCustomStatus(new StepStatus("completed", $"{evaluation.Candidates.Count} findings, {recorded.Opened} opened"));
        return new UsageAuditSummary(runId, evaluation.WindowStart, evaluation.WindowEnd, evaluation.Subjects, evaluation.Candidates.Count,
            evaluation.Dropped, evaluation.NotEnoughHistory, recorded);
    }

    /// <summary>Storage unavailable or a finding changing under us may pass; anything else would fail the same way again.</summary>
    public static bool MayPass(TaskFailureDetails failure) => Passing.Contains(failure.ErrorType);

    private static readonly HashSet<string> Passing = new(StringComparer.Ordinal)
    {
        typeof(global::Azure.RequestFailedException).FullName!, typeof(FindingConflictException).FullName!, typeof(HttpRequestException).FullName!,
        typeof(TimeoutException).FullName!, typeof(AggregateException).FullName!,
    };
}

/// <summary>The usage audits' activities: thin, so what they do is <see cref="UsageAuditService"/>, tested on its own.</summary>
public sealed class UsageAuditActivities(UsageAuditService audits)
{
    [Function(nameof(EvaluateZombieFeatures))]
    public Task<UsageAuditEvaluation> EvaluateZombieFeatures([ActivityTrigger] DateTimeOffset windowEnd, CancellationToken cancellationToken) =>
        audits.EvaluateZombieAsync(windowEnd, cancellationToken);

    [Function(nameof(EvaluateAnomalies))]
    public Task<UsageAuditEvaluation> EvaluateAnomalies([ActivityTrigger] DateTimeOffset hour, CancellationToken cancellationToken) =>
        audits.EvaluateAnomaliesAsync(hour, cancellationToken);
}

/// <summary>Builds a usage audit run's input from the settings and the clock when it starts (by the API or a timer).</summary>
public sealed class UsageAuditStarter(string kind, TimeProvider time, IOptions<OrchestrationOptions> orchestrations) : IOrchestrationStarter
{
    public string Kind => kind;

    public object CreateInput(string startedBy, JsonElement? input) => CreateInput(startedBy, time.GetUtcNow());

    public UsageAuditInput CreateInput(string startedBy, DateTimeOffset at) => new(startedBy, at, ActivityRetry.From(orchestrations.Value));

    /// <summary>The run id of a scheduled occurrence: a timer that fires late, twice, or on two instances starts one run.</summary>
    public string RunIdFor(DateTimeOffset occurrence) => $"{kind}-{occurrence.UtcDateTime:yyyyMMdd'T'HHmm}";
}

/// <summary>
/// Timers: the zombie audit nightly (default 03:15 UTC, app setting <c>ControlPlane__Audits__Zombie__Schedule</c>) and
/// the anomaly scan hourly (default five past, <c>ControlPlane__Audits__Anomalies__Schedule</c>). The run id and the
/// moment audited come from the scheduled occurrence, as the nightly batch's do.
/// </summary>
public sealed class UsageAuditTimers(UsageAuditStarters starters, TimeProvider time, ILogger<UsageAuditTimers> logger)
{
    [Function(nameof(StartZombieFeatureAudit))]
    public Task<object> StartZombieFeatureAudit(
        [TimerTrigger("%ControlPlane__Audits__Zombie__Schedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        StartAsync(starters.Zombie, nameof(UsageAuditOrchestrations.ZombieFeatureAudit), timer, client, cancellationToken);

    [Function(nameof(StartAnomalyScan))]
    public Task<object> StartAnomalyScan(
        [TimerTrigger("%ControlPlane__Audits__Anomalies__Schedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        StartAsync(starters.Anomalies, nameof(UsageAuditOrchestrations.AnomalyScan), timer, client, cancellationToken);

    private async Task<object> StartAsync(UsageAuditStarter starter, string orchestrator, TimerInfo timer, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var occurrence = Hosting.ScheduledTimer.OccurrenceOrNow(timer, time);
        var runId = starter.RunIdFor(occurrence);
        var started = await OrchestrationRuns.StartOnceAsync(client, orchestrator, runId, starter.CreateInput("schedule", occurrence), cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(orchestrator, started ? $"Started {runId}." : $"{runId} already exists.");
        return new { runId, started };
    }
}

/// <summary>The two usage audit starters, for the timers.</summary>
public sealed record UsageAuditStarters(UsageAuditStarter Zombie, UsageAuditStarter Anomalies);

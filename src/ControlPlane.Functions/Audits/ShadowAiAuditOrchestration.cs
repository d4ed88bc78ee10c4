using System.Text.Json;
using ControlPlane.Audits;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Audits;

/// <summary>
/// A shadow-AI run's input: who started it, how its activities retry, and the end of its usage window (when it was
/// started, or the scheduled occurrence): fixed in the input, so a replay or a retried run looks at the same window.
/// </summary>
public sealed record ShadowAiAuditInput(string StartedBy, ActivityRetry Retry, DateTimeOffset AsOf) : IOrchestrationInput;

/// <summary>The evaluate step's input: the inventory read, and the end of the usage window.</summary>
public sealed record ShadowAiEvaluateInput(ShadowAiInventory Inventory, DateTimeOffset AsOf);

/// <summary>
/// What a shadow-AI run did: what it read (subscriptions read and not readable, resources, deployments, and notes
/// such as "Resource Manager not configured"), the usage window, the candidates by kind and what recording them did.
/// </summary>
public sealed record ShadowAiAuditResult(
    string RunId,
    int AiResources,
    int Deployments,
    IReadOnlyList<string> SubscriptionsRead,
    IReadOnlyList<UnreadableSubscription> SubscriptionsNotReadable,
    IReadOnlyList<string> Notes,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    IReadOnlyDictionary<string, int> Findings,
    ObserveSummary Recorded);

/// <summary>
/// The shadow-AI audit as a Durable orchestration: read the inventory (Resource Manager and the uploaded one) →
/// evaluate the rules against the registry and the ledger → record the findings. The orchestrator only sequences;
/// each step is an activity (reads only, until <see cref="FindingActivities.RecordFindings"/>, idempotent under the run id).
/// </summary>
public static class ShadowAiAuditOrchestration
{
    [Function(nameof(ShadowAiAuditRun))]
    [OrchestrationKind(ShadowAiAudit.KindName)]
    public static async Task<ShadowAiAuditResult> ShadowAiAuditRun([OrchestrationTrigger] TaskOrchestrationContext context, ShadowAiAuditInput input)
    {
        var runId = context.InstanceId;
        var retry = input.Retry.ToTaskOptions(MayPass);

        context.SetCustomStatus(new StepStatus("inventory"));
        var inventory = await context.CallActivityAsync<ShadowAiInventory>(nameof(ShadowAiAuditActivities.ShadowAiReadInventory), runId, retry);

        context.SetCustomStatus(new StepStatus("evaluate", $"{inventory.Resources.Count} AI resources, {inventory.Deployments.Count} deployments."));
        var evaluation = await context.CallActivityAsync<ShadowAiEvaluation>(
            nameof(ShadowAiAuditActivities.ShadowAiEvaluate), new ShadowAiEvaluateInput(inventory, input.AsOf), retry);

        context.SetCustomStatus(new StepStatus("record", $"{evaluation.Candidates.Count} findings."));
        var recorded = await context.CallActivityAsync<ObserveSummary>(
            nameof(FindingActivities.RecordFindings), new RecordFindingsInput(runId, evaluation.Candidates), retry);

        context.SetCustomStatus(new StepStatus("completed", $"{evaluation.Candidates.Count} findings; {recorded.Opened} opened."));
        return new ShadowAiAuditResult(runId, inventory.Resources.Count, inventory.Deployments.Count, inventory.SubscriptionsRead,
            inventory.UnreadableSubscriptions, inventory.Notes, evaluation.WindowStart, evaluation.WindowEnd, evaluation.CountsByKind(), recorded);
    }

    /// <summary>
    /// Resource Manager or storage unavailable or throttled past the SDK's own retries, a finding changed under us: worth
    /// another attempt. Anything else (a bug, a malformed stored upload) would fail the same way again.
    /// </summary>
    public static bool MayPass(TaskFailureDetails failure) => Passing.Contains(failure.ErrorType);

    private static readonly HashSet<string> Passing = new(StringComparer.Ordinal)
    {
        typeof(global::Azure.RequestFailedException).FullName!, typeof(HttpRequestException).FullName!, typeof(TimeoutException).FullName!,
        typeof(AggregateException).FullName!, typeof(FindingConflictException).FullName!, typeof(global::Azure.Identity.AuthenticationFailedException).FullName!,
    };
}

/// <summary>The shadow-AI run's activities: thin, so that what they do is <see cref="ShadowAiAudit"/>, tested on its own.</summary>
public sealed class ShadowAiAuditActivities(ShadowAiAudit audit)
{
    [Function(nameof(ShadowAiReadInventory))]
    public Task<ShadowAiInventory> ShadowAiReadInventory([ActivityTrigger] string runId, CancellationToken cancellationToken) =>
        audit.ReadInventoryAsync(cancellationToken);

    [Function(nameof(ShadowAiEvaluate))]
    public Task<ShadowAiEvaluation> ShadowAiEvaluate([ActivityTrigger] ShadowAiEvaluateInput input, CancellationToken cancellationToken) =>
        audit.EvaluateAsync(input.Inventory, input.AsOf, cancellationToken);
}

/// <summary>Builds a shadow-AI run's input from the settings in force when it starts.</summary>
public sealed class ShadowAiAuditStarter(IOptions<OrchestrationOptions> orchestrations, TimeProvider time) : IOrchestrationStarter
{
    public string Kind => ShadowAiAudit.KindName;

    /// <summary>A run started now (by the API): its usage window ends now.</summary>
    public object CreateInput(string startedBy, JsonElement? input) => CreateInput(startedBy, time.GetUtcNow());

    public ShadowAiAuditInput CreateInput(string startedBy, DateTimeOffset asOf) => new(startedBy, ActivityRetry.From(orchestrations.Value), asOf);
}

/// <summary>
/// Timer (default 03:30 UTC, app setting <c>ControlPlane__Audits__ShadowAi__Schedule</c>): starts tonight's shadow-AI
/// run, named after the scheduled occurrence, so a timer that fires late, twice, or on two instances starts one run.
/// </summary>
public sealed class ShadowAiAuditTimer(ShadowAiAuditStarter starter, TimeProvider time, ILogger<ShadowAiAuditTimer> logger)
{
    /// <returns>The run id and whether this call started it.</returns>
    [Function(nameof(StartShadowAiAudit))]
    public async Task<object> StartShadowAiAudit(
        [TimerTrigger("%ControlPlane__Audits__ShadowAi__Schedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var occurrence = Hosting.ScheduledTimer.OccurrenceOrNow(timer, time);
        var runId = ShadowAiAudit.RunIdFor(occurrence);
        var started = await OrchestrationRuns.StartOnceAsync(client, nameof(ShadowAiAuditOrchestration.ShadowAiAuditRun), runId,
            starter.CreateInput("schedule", occurrence), cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(StartShadowAiAudit), started ? $"Started {runId}." : $"{runId} already exists.");
        return new { runId, started };
    }
}

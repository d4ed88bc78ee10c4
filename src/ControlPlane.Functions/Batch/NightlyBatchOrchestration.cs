using System.Text.Json;
using ControlPlane.Batch;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Batch;

/// <summary>The nightly run's input: who started it and the waits it uses (settings, so tests and dev runs take seconds).</summary>
public sealed record NightlyBatchInput(string StartedBy, TimeSpan PollInterval, TimeSpan FileCheckInterval, ActivityRetry Retry) : IOrchestrationInput;

/// <summary>Step and state of one activity call.</summary>
public sealed record NightlyBatchStep(string RunId, NightlyBatchState State);

/// <summary>
/// The nightly batch as a Durable orchestration: collect → submit per deployment → poll with durable timers → settle →
/// report. The orchestrator only sequences; every side effect is an activity of <see cref="NightlyBatchSteps"/>, each
/// idempotent under the run id, and each saves the run's state so a retried run resumes at its last finished step.
/// </summary>
public static class NightlyBatchOrchestration
{
    [Function(nameof(NightlyBatch))]
    [OrchestrationKind(NightlyBatchSteps.KindName)]
    public static async Task<BatchRunSummary> NightlyBatch([OrchestrationTrigger] TaskOrchestrationContext context, NightlyBatchInput input)
    {
        var runId = context.InstanceId;
        var retry = input.Retry.ToTaskOptions(MayPass);

        context.SetCustomStatus(new StepStatus("collect"));
        var state = await context.CallActivityAsync<NightlyBatchState?>(nameof(NightlyBatchActivities.NightlyBatchResume), runId, retry)
            ?? await context.CallActivityAsync<NightlyBatchState>(nameof(NightlyBatchActivities.NightlyBatchCollect), runId, retry);
        if (state.Groups.Count == 0)
        {
            context.SetCustomStatus(new StepStatus("completed", "Nothing to send."));
            return NightlyBatchSteps.Summarize(runId, state);
        }

        while (state.NeedsSubmit())
        {
            context.SetCustomStatus(new StepStatus("submit", state.Detail));
            state = await context.CallActivityAsync<NightlyBatchState>(nameof(NightlyBatchActivities.NightlyBatchSubmit), new NightlyBatchStep(runId, state), retry);
            if (state.FilesProcessing > 0)
            {
                // Azure refuses a batch over a file it has not finished processing; look again shortly.
                await context.CreateTimer(context.CurrentUtcDateTime + input.FileCheckInterval, CancellationToken.None);
            }
        }

        while (state.NeedsPoll())
        {
            context.SetCustomStatus(new StepStatus("poll", state.Detail));
            await context.CreateTimer(context.CurrentUtcDateTime + input.PollInterval, CancellationToken.None);
            state = await context.CallActivityAsync<NightlyBatchState>(nameof(NightlyBatchActivities.NightlyBatchPoll), new NightlyBatchStep(runId, state), retry);
        }

        if (state.NeedsSettle())
        {
            context.SetCustomStatus(new StepStatus("settle", state.Detail));
            state = await context.CallActivityAsync<NightlyBatchState>(nameof(NightlyBatchActivities.NightlyBatchSettle), new NightlyBatchStep(runId, state), retry);
        }

        context.SetCustomStatus(new StepStatus("report", state.Detail));
        var summary = await context.CallActivityAsync<BatchRunSummary>(nameof(NightlyBatchActivities.NightlyBatchReport), new NightlyBatchStep(runId, state), retry);
        context.SetCustomStatus(new StepStatus("completed", state.Detail));
        return summary;
    }

    /// <summary>
    /// The provider unavailable or refusing (a wrong key or role an admin may fix meanwhile), storage or Event Grid
    /// unavailable: worth another attempt. A missing input file or a line that does not validate would fail the same
    /// way again, so it fails the run at once.
    /// </summary>
    public static bool MayPass(TaskFailureDetails failure) => Passing.Contains(failure.ErrorType);

    private static readonly HashSet<string> Passing = new(StringComparer.Ordinal)
    {
        typeof(BatchStepException).FullName!, typeof(global::Azure.RequestFailedException).FullName!, typeof(HttpRequestException).FullName!,
        typeof(TimeoutException).FullName!, typeof(AggregateException).FullName!,
    };
}

/// <summary>
/// The nightly run's activities: thin, so that what they do is <see cref="NightlyBatchSteps"/>, tested on its own. A
/// provider failure leaves as a <see cref="BatchStepException"/> whose code says which kind it was.
/// </summary>
public sealed class NightlyBatchActivities(NightlyBatchSteps steps)
{
    [Function(nameof(NightlyBatchResume))]
    public Task<NightlyBatchState?> NightlyBatchResume([ActivityTrigger] string runId, CancellationToken cancellationToken) =>
        steps.ResumeAsync(runId, cancellationToken);

    [Function(nameof(NightlyBatchCollect))]
    public Task<NightlyBatchState> NightlyBatchCollect([ActivityTrigger] string runId, CancellationToken cancellationToken) =>
        Provider(() => steps.CollectAsync(runId, cancellationToken));

    [Function(nameof(NightlyBatchSubmit))]
    public Task<NightlyBatchState> NightlyBatchSubmit([ActivityTrigger] NightlyBatchStep step, CancellationToken cancellationToken) =>
        Provider(() => steps.SubmitAsync(step.RunId, step.State, cancellationToken));

    [Function(nameof(NightlyBatchPoll))]
    public Task<NightlyBatchState> NightlyBatchPoll([ActivityTrigger] NightlyBatchStep step, CancellationToken cancellationToken) =>
        Provider(() => steps.PollAsync(step.RunId, step.State, cancellationToken));

    [Function(nameof(NightlyBatchSettle))]
    public Task<NightlyBatchState> NightlyBatchSettle([ActivityTrigger] NightlyBatchStep step, CancellationToken cancellationToken) =>
        Provider(() => steps.SettleAsync(step.RunId, step.State, cancellationToken));

    [Function(nameof(NightlyBatchReport))]
    public Task<BatchRunSummary> NightlyBatchReport([ActivityTrigger] NightlyBatchStep step, CancellationToken cancellationToken) =>
        steps.ReportAsync(step.RunId, step.State, cancellationToken);

    private static async Task<T> Provider<T>(Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (BatchGatewayException ex)
        {
            throw BatchStepException.From(ex);
        }
    }
}

/// <summary>Builds a nightly run's input from the settings in force when it starts.</summary>
public sealed class NightlyBatchStarter(IOptions<BatchOptions> batch, IOptions<OrchestrationOptions> orchestrations) : IOrchestrationStarter
{
    public string Kind => NightlyBatchSteps.KindName;

    public object CreateInput(string startedBy, JsonElement? input) =>
        new NightlyBatchInput(startedBy, batch.Value.PollInterval, batch.Value.FileCheckInterval, ActivityRetry.From(orchestrations.Value));
}

/// <summary>
/// Timer (default 02:00 UTC, app setting <c>ControlPlane__Batch__Schedule</c>): starts tonight's batch run. The run id
/// is derived from the scheduled occurrence (<see cref="ScheduledTimer.Occurrence"/>; the current minute when run by
/// hand), so a timer that fires late, twice, or on two instances starts one run with one name.
/// </summary>
public sealed class NightlyBatchTimer(NightlyBatchStarter starter, BatchAvailability availability, TimeProvider time, ILogger<NightlyBatchTimer> logger)
{
    /// <returns>The run id and whether this call started it.</returns>
    [Function(nameof(StartNightlyBatch))]
    public async Task<object> StartNightlyBatch(
        [TimerTrigger("%ControlPlane__Batch__Schedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!availability.Configured)
        {
            logger.FunctionRan(nameof(StartNightlyBatch), "Azure OpenAI is not configured (ControlPlane:AzureOpenAI:Endpoint); no batch run.");
            return new { runId = (string?)null, started = false };
        }

        var runId = NightlyBatchSteps.RunIdFor(ScheduledTimer.OccurrenceOrNow(timer, time));
        var started = await OrchestrationRuns.StartOnceAsync(client, nameof(NightlyBatchOrchestration.NightlyBatch), runId, starter.CreateInput("schedule", null), cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(StartNightlyBatch), started ? $"Started {runId}." : $"{runId} already exists.");
        return new { runId, started };
    }
}

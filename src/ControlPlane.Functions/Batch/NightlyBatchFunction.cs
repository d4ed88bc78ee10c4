using ControlPlane.Batch;
using ControlPlane.Functions.Hosting;
using ControlPlane.Orchestrations;

namespace ControlPlane.Functions.Batch;

/// <summary>
/// Timer (default 02:00 UTC, app setting <c>ControlPlane__Batch__Schedule</c>): starts tonight's batch run. The run id
/// is derived from the minute, so a timer that fires twice starts one run.
/// </summary>
public sealed class NightlyBatchFunction(OrchestrationEngine engine, BatchAvailability availability, TimeProvider time) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        if (!availability.Configured)
        {
            return FunctionResult.Completed(new { started = false }, "Azure OpenAI is not configured (ControlPlane:AzureOpenAI:Endpoint); no batch run.");
        }

        var runId = NightlyBatchOrchestration.RunIdFor(time.GetUtcNow());
        var started = await engine.StartAsync(NightlyBatchOrchestration.KindName, runId, null, "schedule", cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { runId, started = started.Created }, started.Created ? $"Started {runId}." : $"{runId} already exists.");
    }
}

using System.Text.Json;
using ControlPlane.Azure.Orchestrations;
using ControlPlane.Functions.Hosting;
using ControlPlane.Orchestrations;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>
/// Queue trigger on <c>orchestration-steps</c>: runs one step of one instance. A message that is stale, duplicated
/// or not yet due is acknowledged without doing anything; a failure inside the engine's checkpoint (storage down)
/// fails the invocation so the host retries the message.
/// </summary>
public sealed class AdvanceOrchestrationFunction(OrchestrationEngine engine) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var body = invocation.Data?.GetValueOrDefault(QueueTrigger.BindingName) is { } message
            ? message.ValueKind == JsonValueKind.String ? message.GetString() ?? string.Empty : message.GetRawText()
            : string.Empty;

        // The host hands a message that is not a work item to us five times and then to poison; say so at once.
        var item = QueueOrchestrationDispatcher.Parse(body)
            ?? throw new InvalidOperationException("The queue message is not an orchestration work item ({\"instanceId\", \"sequence\"}).");
        var result = await engine.AdvanceAsync(item, cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(
            new { item.InstanceId, item.Sequence, result.Ran, result.Outcome },
            result.Ran ? $"{item.InstanceId} #{item.Sequence}: {result.Outcome}" : $"{item.InstanceId} #{item.Sequence}: dropped ({result.Outcome})");
    }
}

/// <summary>Timer: sends a message for every instance that is due (a poll's time came, a retry's backoff ended, a message or a worker was lost).</summary>
public sealed class WakeOrchestrationsFunction(OrchestrationEngine engine) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var woken = await engine.WakeDueAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { woken }, $"Woke {woken} orchestration instances.");
    }
}

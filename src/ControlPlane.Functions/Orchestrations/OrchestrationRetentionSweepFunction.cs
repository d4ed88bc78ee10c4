using ControlPlane.Functions.Hosting;
using ControlPlane.Orchestrations;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>Daily: deletes finished orchestration instances and their history past their retention.</summary>
public sealed class OrchestrationRetentionSweepFunction(OrchestrationEngine engine) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var deleted = await engine.PurgeAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { deleted }, $"Deleted {deleted} finished orchestration instances past retention.");
    }
}

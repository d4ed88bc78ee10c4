using ControlPlane.Batch;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.Batch;

/// <summary>Daily: deletes finished deferrable requests (with their prompts and answers) and input files past their retention.</summary>
public sealed class BatchRetentionSweepFunction(BatchRequestService service) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var (requests, runFiles) = await service.PurgeAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { requests, runFiles }, $"Deleted {requests} finished batch requests and {runFiles} input files past retention.");
    }
}

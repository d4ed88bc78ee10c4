using ControlPlane.Batch;

namespace ControlPlane.Functions.Batch;

/// <summary>Daily: deletes finished deferrable requests (with their prompts and answers) and input files past their retention.</summary>
public sealed class BatchRetentionSweepFunction(BatchRequestService service, ILogger<BatchRetentionSweepFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/BatchRetentionSweep</c> answers with it).</returns>
    [Function(nameof(BatchRetentionSweep))]
    public async Task<object> BatchRetentionSweep([TimerTrigger("0 45 3 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var (requests, runFiles) = await service.PurgeAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(BatchRetentionSweep), $"Deleted {requests} finished batch requests and {runFiles} input files past retention.");
        return new { requests, runFiles };
    }
}

using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Retention;

/// <summary>
/// Daily timer: deletes ledger events (and the rollups that count them) older than the retention period, so the
/// ledger does not grow without bound and the rollups keep equalling it. Resumable: a stopped sweep is finished
/// by the next run.
/// </summary>
public sealed class LedgerRetentionSweepFunction(IUsageStore store, TimeProvider time, IOptions<UsageOptions> options, ILogger<LedgerRetentionSweepFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/LedgerRetentionSweep</c> answers with it).</returns>
    [Function(nameof(LedgerRetentionSweep))]
    public async Task<object> LedgerRetentionSweep([TimerTrigger("0 30 3 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var cutoff = UsageRollup.HourOf(time.GetUtcNow() - options.Value.Retention);
        var result = await store.DeleteBeforeAsync(cutoff, cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(LedgerRetentionSweep), $"Retention sweep before {cutoff:O}: {result.EventsDeleted} events, {result.RollupRowsDeleted} rollup rows deleted.");
        return new { cutoff, result.EventsDeleted, result.RollupRowsDeleted };
    }
}

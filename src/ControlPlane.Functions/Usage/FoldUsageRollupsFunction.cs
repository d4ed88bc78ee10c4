using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Usage;

/// <summary>
/// Every minute: folds the rollup rows ingest wrote since the last run into one row set per partition and day, so
/// <c>GET /api/costs</c> reads a bounded number of rows however many single-event posts a month brings. Totals are
/// the same before, during and after; a stopped run is carried on by the next.
/// </summary>
public sealed class FoldUsageRollupsFunction(IUsageStore store, IOptions<UsageOptions> options, ILogger<FoldUsageRollupsFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/FoldUsageRollups</c> answers with it).</returns>
    [Function(nameof(FoldUsageRollups))]
    public async Task<object> FoldUsageRollups([TimerTrigger("40 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await store.FoldRollupsAsync(options.Value.MaxFoldTransactionsPerRun, cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(FoldUsageRollups), $"Folded {result.DeltasFolded} rollup rows in {result.Transactions} transactions.");
        return result;
    }
}

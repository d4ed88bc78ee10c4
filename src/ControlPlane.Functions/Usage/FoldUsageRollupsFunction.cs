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
    [Function(nameof(FoldUsageRollups))]
    public async Task FoldUsageRollups([TimerTrigger("40 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await store.FoldRollupsAsync(options.Value.MaxFoldTransactionsPerRun, cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(FoldUsageRollups), $"Folded {result.DeltasFolded} rollup rows in {result.Transactions} transactions.");
    }
}

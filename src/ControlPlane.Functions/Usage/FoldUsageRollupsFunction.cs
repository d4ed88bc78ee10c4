using ControlPlane.Functions.Hosting;
using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Usage;

/// <summary>
/// Every minute: folds the rollup rows ingest wrote since the last run into one row set per partition and day, so
/// <c>GET /api/costs</c> reads a bounded number of rows however many single-event posts a month brings. Totals are
/// the same before, during and after; a stopped run is carried on by the next.
/// </summary>
public sealed class FoldUsageRollupsFunction(IUsageStore store, IOptions<UsageOptions> options) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var result = await store.FoldRollupsAsync(options.Value.MaxFoldTransactionsPerRun, cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(result, $"Folded {result.DeltasFolded} rollup rows in {result.Transactions} transactions.");
    }
}

using ControlPlane.Budgets;
using ControlPlane.Usage;

namespace ControlPlane.Functions.Budgets;

/// <summary>
/// Every minute: reservations past their TTL give their money back, so a crashed client never leaves phantom spend;
/// usage an instance recorded but stopped before charging to budgets is charged; old rows go by their retention.
/// </summary>
public sealed class ReservationExpirySweepFunction(BudgetService budgets, UsageIngestService usage, ILogger<ReservationExpirySweepFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/ReservationExpirySweep</c> answers with it).</returns>
    [Function(nameof(ReservationExpirySweep))]
    public async Task<object> ReservationExpirySweep([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var charged = await usage.ApplyPendingAsync(cancellationToken).ConfigureAwait(false);
        var expired = await budgets.ExpireAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(ReservationExpirySweep), $"Released {expired} expired reservations; charged {charged} events a stopped instance had left uncharged.");
        return new { expired, charged };
    }
}

using ControlPlane.Budgets;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.Budgets;

/// <summary>Every minute: reservations past their TTL give their money back, so a crashed client never leaves phantom spend.</summary>
public sealed class ReservationExpirySweepFunction(BudgetService budgets) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var expired = await budgets.ExpireAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { expired }, $"Released {expired} expired reservations.");
    }
}

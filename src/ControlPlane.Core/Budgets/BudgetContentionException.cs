namespace ControlPlane.Budgets;

/// <summary>
/// A budget's rows kept changing under every attempt to update them (precondition failures after all retries).
/// Not an outage: storage answered. Whatever a budget's <see cref="Budget.FailClosed"/> says, the call is neither
/// admitted unreserved nor charged: the client gets a 503 <c>budget_contention</c> and retries with the same ids.
/// </summary>
public sealed class BudgetContentionException(string budgetId, Exception? inner = null)
    : Exception($"Budget '{budgetId}' is too contended to update right now; retry with the same ids.", inner)
{
    public string BudgetId { get; } = budgetId;
}

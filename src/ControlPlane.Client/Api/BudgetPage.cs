namespace ControlPlane.Client.Api;

/// <summary>A page of budgets; pass <see cref="Next"/> for the following one (absent on the last page).</summary>
public sealed record BudgetPage(IReadOnlyList<BudgetStatus> Budgets, string? Next = null);

namespace ControlPlane.Budgets;

/// <summary>
/// The spend a budget period opened with: its scope's spend in the ledger for the period, as of
/// <paramref name="AsOf"/>, when the budget took effect mid-period. Charges after it add to it as usual.
/// </summary>
/// <param name="Basis">Which version of the budget opened the period (its <see cref="Budget.EffectiveFrom"/>): applying the same basis twice changes nothing.</param>
/// <param name="SpentUsd">The scope's ledger spend in the period, from the hourly rollups.</param>
/// <param name="AsOf">When the rollups were read.</param>
public sealed record BudgetOpening(string Basis, decimal SpentUsd, DateTimeOffset AsOf);

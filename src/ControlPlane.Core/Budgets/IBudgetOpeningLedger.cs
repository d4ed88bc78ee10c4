namespace ControlPlane.Budgets;

/// <summary>Opening spend per budget period, kept beside the period's money so both change in one atomic write.</summary>
public interface IBudgetOpeningLedger
{
    /// <summary>The opening of this budget period, or null when the budget covered the period from its start.</summary>
    Task<BudgetOpening?> GetOpeningAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default);

    /// <summary>
    /// Restates the period's spend to <paramref name="opening"/>'s, unless an opening of the same basis is already
    /// applied (then nothing changes and that one is returned). Crossing a threshold announces it and a hard
    /// budget's kill switch trips at block, as with any spend.
    /// </summary>
    Task<BudgetOpening> OpenAsync(Budget budget, PeriodWindow window, BudgetOpening opening, DateTimeOffset now, CancellationToken cancellationToken = default);
}

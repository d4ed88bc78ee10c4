namespace ControlPlane.Client.Api;

/// <summary>Allowed with a reservation, or denied naming the budget (a denial is an answer, not an error).</summary>
public sealed record AuthorizeResponse
{
    public required bool Allowed { get; init; }
    public string? ReservationId { get; init; }
    public decimal? CeilingUsd { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public long MaxAffordableOutputTokens { get; init; }
    public string? Reason { get; init; }
    public string? BudgetId { get; init; }
    public BudgetScope? Scope { get; init; }
    public decimal? RemainingUsd { get; init; }
}

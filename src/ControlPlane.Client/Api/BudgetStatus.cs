namespace ControlPlane.Client.Api;

/// <summary>A budget and its current period's numbers (<c>GET /api/budgets/{id}</c>).</summary>
public sealed record BudgetStatus
{
    public required string Id { get; init; }
    public required BudgetScope Scope { get; init; }
    public required string Period { get; init; }
    public decimal LimitUsd { get; init; }
    public required string Mode { get; init; }
    public decimal SpentUsd { get; init; }
    public decimal ReservedUsd { get; init; }
    public decimal RemainingUsd { get; init; }
    public required string State { get; init; }
    public required string KillSwitch { get; init; }
    public DateTimeOffset? PeriodStart { get; init; }
    public DateTimeOffset? PeriodEnd { get; init; }
}

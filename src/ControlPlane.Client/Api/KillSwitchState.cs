namespace ControlPlane.Client.Api;

/// <summary>One switch that blocks: its scope, state (<c>tripped</c>, <c>isolated</c>), budget and since when.</summary>
public sealed record KillSwitchState(BudgetScope Scope, string State, string? BudgetId, DateTimeOffset? Since);

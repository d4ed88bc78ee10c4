namespace ControlPlane.Budgets;

/// <summary>CloudEvents types ControlPlane publishes about budgets.</summary>
public static class BudgetEventTypes
{
    public const string ThresholdCrossed = "ControlPlane.Budget.ThresholdCrossed";
    public const string KillSwitchTripped = "ControlPlane.KillSwitch.Tripped";
    public const string KillSwitchReset = "ControlPlane.KillSwitch.Reset";
}

/// <summary>An outbox entry: written with the change that caused it, published to Event Grid afterwards.</summary>
public sealed record BudgetEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required string BudgetId { get; init; }
    public required BudgetScope Scope { get; init; }
    public required string PeriodKey { get; init; }
    public string? Threshold { get; init; }
    public decimal SpentUsd { get; init; }
    public decimal LimitUsd { get; init; }
    public DateTimeOffset Time { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>Storage address of the outbox row, to mark it published.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string PartitionKey { get; init; } = string.Empty;

    [System.Text.Json.Serialization.JsonIgnore]
    public string RowKey { get; init; } = string.Empty;
}

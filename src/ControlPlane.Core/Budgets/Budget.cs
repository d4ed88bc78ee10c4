namespace ControlPlane.Budgets;

/// <summary>What a budget covers: every call of the organisation, or those of one team, feature, user, ...</summary>
public enum BudgetScopeType
{
    Org,
    Team,
    Feature,
    User,
    Environment,
    Model,
    App,
}

/// <summary>UTC calendar periods; weeks start on Monday (ISO 8601). <c>Total</c> never rolls over.</summary>
public enum BudgetPeriod
{
    Daily,
    Weekly,
    Monthly,
    Total,
}

/// <summary><c>Hard</c>: a kill switch that denies calls; <c>Soft</c>: alerts only.</summary>
public enum BudgetMode
{
    Hard,
    Soft,
}

/// <summary>Where a budget's spend stands, by the thresholds it has crossed.</summary>
public enum BudgetState
{
    Ok,
    Warn,
    Review,
    Blocked,
}

/// <summary>A budget's scope. For <see cref="BudgetScopeType.Org"/> the value only names the organisation.</summary>
public sealed record BudgetScope(BudgetScopeType Type, string Value)
{
    /// <summary>True when a call with this attribution falls in the scope.</summary>
    public bool Covers(in CallAttribution call) => Type switch
    {
        BudgetScopeType.Org => true,
        BudgetScopeType.Team => call.Team == Value,
        BudgetScopeType.Feature => call.Feature == Value,
        BudgetScopeType.User => call.User == Value,
        BudgetScopeType.Environment => call.Environment == Value,
        BudgetScopeType.Model => string.Equals(call.Model, Value, StringComparison.OrdinalIgnoreCase),
        BudgetScopeType.App => call.App == Value,
        _ => false,
    };
}

/// <summary>Fractions of the limit. Defaults: warn 0.75, review 0.90, block 1.00.</summary>
public sealed record BudgetThresholds(decimal Warn = 0.75m, decimal Review = 0.90m, decimal Block = 1.00m);

/// <summary>A spending limit on a scope for a period.</summary>
public sealed record Budget
{
    public required string Id { get; init; }
    public required BudgetScope Scope { get; init; }
    public required BudgetPeriod Period { get; init; }
    public required decimal LimitUsd { get; init; }
    public BudgetMode Mode { get; init; } = BudgetMode.Hard;
    public BudgetThresholds Thresholds { get; init; } = new();

    /// <summary>When storage cannot be reached, deny (true) or allow without a reservation (false). Default: true for hard budgets.</summary>
    public bool FailClosed { get; init; } = true;

    /// <summary>Deny calls to models with no price (their cost cannot be bounded, so a hard budget could not keep its
    /// limit). Default true; an admin opts out with <c>denyUnpriced: false</c>.</summary>
    public bool DenyUnpriced { get; init; } = true;

    /// <summary>
    /// When the budget's scope and period took effect: its creation, or the last change of either. Set by the server,
    /// never by a client; a budget taking effect mid-period opens with its scope's spend in the ledger for that
    /// period (<see cref="BudgetOpeningService"/>). Null for budgets stored before openings existed.
    /// </summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>The spend at which the kill switch trips (hard) or the block alert fires (soft).</summary>
    public decimal BlockAtUsd => LimitUsd * Thresholds.Block;

    /// <summary>True when a call with this attribution is charged to this budget.</summary>
    public bool Covers(in CallAttribution call) => Scope.Covers(call);

    /// <summary>State for a given spend (reservations are not spend).</summary>
    public BudgetState StateFor(decimal spentUsd) =>
        LimitUsd <= 0 || spentUsd >= LimitUsd * Thresholds.Block ? BudgetState.Blocked
        : spentUsd >= LimitUsd * Thresholds.Review ? BudgetState.Review
        : spentUsd >= LimitUsd * Thresholds.Warn ? BudgetState.Warn
        : BudgetState.Ok;
}

/// <summary>Who a call is for: the fields budgets and kill switches match on.</summary>
public readonly record struct CallAttribution(string Team, string Feature, string? User, string Environment, string Model, string? App);

namespace ControlPlane.Reports.Focus;

/// <summary>What a charge is for: a kind of token a call is billed for (each a charge of its own), or a GPU pool's instance hours.</summary>
public enum ChargeKind
{
    /// <summary>Input tokens neither read from nor written to the prompt cache.</summary>
    Input,
    CachedInput,
    CacheWrite,

    /// <summary>Output tokens other than reasoning tokens.</summary>
    Output,
    Reasoning,

    /// <summary>A GPU scale set's running time (instances × hours), billed by the hour.</summary>
    GpuInstanceHours,

    /// <summary>Cost recorded before ControlPlane kept it split by token kind: the part of a row its kinds do not account for.</summary>
    Unsplit,
}

/// <summary>
/// One FOCUS row: the tokens of one kind a team's feature used on one model in one charge period (a UTC day), or a
/// GPU pool's instance hours, and what they cost. Built from rollups; the rows of a period add up to the ledger's
/// total for it. <paramref name="Quantity"/> is tokens, or instance hours for <see cref="ChargeKind.GpuInstanceHours"/>.
/// </summary>
public sealed record FocusCharge(
    DateTimeOffset ChargePeriodStart,
    DateTimeOffset ChargePeriodEnd,
    string? Provider,
    string Model,
    ChargeKind Kind,
    decimal Quantity,
    decimal CostUsd,
    string Team,
    string Feature,
    string Environment,
    string? App = null,
    string? CostCenter = null,
    bool Batch = false,
    bool Unpriced = false);

/// <summary>Who the costs are billed to, as FOCUS names it (settings: <c>ControlPlane:Reports:BillingAccountId</c> and <c>Name</c>).</summary>
public sealed record FocusBillingAccount(string Id, string Name);

using ControlPlane.Paging;

namespace ControlPlane.Budgets;

/// <summary>Budget definitions.</summary>
public interface IBudgetStore
{
    Task<Budget?> GetAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Budget>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>One page of budgets in id order, for the list endpoint.</summary>
    Task<ListPage<Budget>> ListPageAsync(PageRequest page, CancellationToken cancellationToken = default);

    Task UpsertAsync(Budget budget, CancellationToken cancellationToken = default);
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Kill-switch states. <c>Tripped</c> follows spend; <c>Isolated</c> is an admin's manual stop.</summary>
public enum KillSwitchState
{
    Armed,
    Tripped,
    Isolated,
}

/// <summary>A budget's money in one period.</summary>
public sealed record BudgetPeriodState(decimal SpentUsd, decimal ReservedUsd, KillSwitchState KillSwitch, DateTimeOffset? KillSwitchSince);

/// <summary>Why a reservation was not granted.</summary>
public enum ReserveDenial
{
    None,
    InsufficientHeadroom,
    KillSwitchTripped,
}

/// <summary>The outcome of holding money on one budget.</summary>
/// <param name="RemainingUsd">Headroom left after this hold (with leases in use, this instance's best estimate).</param>
/// <param name="HoldRef">Where the hold lives (which lease issued it); pass it back to settle or release.</param>
public sealed record ReserveResult(ReserveDenial Denial, decimal RemainingUsd, string? HoldRef = null)
{
    public bool Reserved => Denial == ReserveDenial.None;
}

/// <summary>The outcome of settling a reservation on one budget.</summary>
public enum SettleResult
{
    /// <summary>The hold was replaced by the actual cost.</summary>
    Settled,

    /// <summary>This same event already settled it (a retry); nothing changed.</summary>
    AlreadySettled,

    /// <summary>The hold had expired, been released or been settled by another event; the caller charges the cost post hoc instead.</summary>
    NotActive,
}

/// <summary>A post-hoc charge, idempotent by the usage event id.</summary>
/// <param name="ChargeTime">The recorded event's <c>ChargeTime</c>: fixed once recorded, so a retry finds the same marker.</param>
public readonly record struct BudgetCharge(string EventId, decimal CostUsd, DateTimeOffset ChargeTime);

/// <summary>
/// Money per budget per period, with reservations. Every operation is atomic and idempotent on storage shared by
/// any number of instances: for authorized traffic, spent + reserved never exceeds the limit.
/// </summary>
public interface IBudgetLedger
{
    Task<BudgetPeriodState> GetStateAsync(Budget budget, PeriodWindow window, CancellationToken cancellationToken = default);

    /// <summary>Holds <paramref name="ceilingUsd"/> if spent + reserved + ceiling stays within the block threshold.</summary>
    Task<ReserveResult> TryReserveAsync(Budget budget, PeriodWindow window, string reservationId, decimal ceilingUsd, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the hold by the actual cost, exactly once. An actual above the hold's ceiling reaches the budget's
    /// spend (and trips a hard budget's switch) in the same call, whether the hold lives in a lease or not.
    /// </summary>
    Task<SettleResult> SettleAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, string eventId, decimal actualUsd, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Returns an active hold's money; false when it was no longer active.</summary>
    Task<bool> ReleaseAsync(Budget budget, PeriodWindow window, string holdRef, string reservationId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns money nobody will claim: folds leases that stopped issuing into the budget's totals and releases
    /// holds past their expiry (also those whose reservation record was never written). Returns holds released.
    /// </summary>
    Task<int> SweepAsync(Budget budget, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds post-hoc spend, group-committed with other callers' charges; an event id already charged to this budget
    /// is skipped, whatever period it was charged to.
    /// </summary>
    Task ChargeAsync(Budget budget, PeriodWindow window, IReadOnlyList<BudgetCharge> charges, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Re-arms a tripped kill switch (admin).</summary>
    Task ResetAsync(Budget budget, PeriodWindow window, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>The record of one authorization, across every budget it holds money on.</summary>
public sealed record Reservation
{
    public required string Id { get; init; }
    public required decimal CeilingUsd { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required IReadOnlyList<ReservationHold> Holds { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public required string Model { get; init; }
    public string? User { get; init; }
    public string Environment { get; init; } = Usage.UsageDefaults.Environment;
    public string? App { get; init; }

    /// <summary>When set, only the usage event with this id may settle the reservation (server work such as a deferrable request), and clients cannot release it.</summary>
    public string? ReservedForEventId { get; init; }

    /// <summary>The one event that settled it.</summary>
    public string? SettledByEventId { get; init; }

    /// <summary>As stored; an <see cref="ReservationStatus.Active"/> reservation past <see cref="ExpiresAt"/> is expired (see <see cref="StatusAt"/>).</summary>
    public ReservationStatus Status { get; init; } = ReservationStatus.Active;

    /// <summary>The status at <paramref name="now"/>: expiry is a matter of time, not of a sweep having run.</summary>
    public ReservationStatus StatusAt(DateTimeOffset now) =>
        Status == ReservationStatus.Active && ExpiresAt <= now ? ReservationStatus.Expired : Status;

    /// <summary>True when a call with this attribution is the call this reservation was made for.</summary>
    public bool IsFor(in CallAttribution call) =>
        call.Team == Team && call.Feature == Feature && call.User == User && call.Environment == Environment && call.App == App
        && string.Equals(call.Model, Model, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Money held on one budget for one period.</summary>
public sealed record ReservationHold(string BudgetId, string PeriodKey, DateTimeOffset PeriodStart, DateTimeOffset? PeriodEnd, string HoldRef);

public enum ReservationStatus
{
    Active,
    Settled,
    Released,
    Expired,
}

/// <summary>Reservation records, so any instance can settle, release or expire one.</summary>
public interface IReservationStore
{
    Task CreateAsync(Reservation reservation, CancellationToken cancellationToken = default);
    Task<Reservation?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims an active, unexpired reservation for one event, atomically: of any number of events racing for it,
    /// exactly one wins; the same event claiming again wins again (a retry). Returns the reservation as it stands
    /// after the attempt (the winner's id in <see cref="Reservation.SettledByEventId"/>), or null when it does not exist.
    /// </summary>
    Task<Reservation?> ClaimAsync(string id, string eventId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Marks an active, unexpired, unclaimed reservation released, atomically against a racing claim. Returns it as it stands after the attempt.</summary>
    Task<Reservation?> MarkReleasedAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes records that expired before <paramref name="cutoff"/> (reading only those). Returns how many.</summary>
    Task<int> DeleteExpiredBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    /// <summary>A new reservation id expiring at <paramref name="expiresAt"/> (the store may encode where the record will live).</summary>
    string NewId(DateTimeOffset expiresAt);
}

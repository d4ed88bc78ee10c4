using System.Text.Json.Serialization;

namespace ControlPlane.Budgets;

/// <summary>What budgets made of one recorded event.</summary>
/// <param name="CeilingBreach">The event settled a reservation and cost more than its ceiling (the estimate was low); the excess was charged at once.</param>
/// <param name="Reservation">What became of the reservation the event named; null when it named none.</param>
public sealed record UsageCharge(bool CeilingBreach, ReservationOutcome? Reservation);

/// <summary>
/// What a usage event's <c>reservationId</c> did. Only <see cref="Settled"/> settles the reservation; every other
/// outcome leaves the reservation untouched and charges the event post hoc to the budgets of its own attribution.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReservationOutcome>))]
public enum ReservationOutcome
{
    /// <summary>This event settled the reservation (or, retried, had already settled it).</summary>
    Settled,

    /// <summary>No such reservation.</summary>
    Unknown,

    /// <summary>The reservation was made for another attribution (team, feature, user, environment, app or model).</summary>
    Foreign,

    /// <summary>Another event already settled it: one reservation, one call.</summary>
    Reused,

    /// <summary>Its lifetime ended before the event arrived; its money had gone back.</summary>
    Expired,

    /// <summary>Its call was released (never reached the provider).</summary>
    Released,

    /// <summary>The reservation belongs to server work (a deferrable request) and only that work's own event settles it.</summary>
    Owned,
}

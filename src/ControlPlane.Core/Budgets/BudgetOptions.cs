using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Budgets;

/// <summary>Section <c>ControlPlane:Budgets</c>.</summary>
public sealed record BudgetOptions
{
    public const string SectionName = "ControlPlane:Budgets";

    /// <summary>How long an unsettled reservation holds its money before it is released. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "7.00:00:00")]
    public TimeSpan ReservationTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an instance trusts its copy of the budget definitions. Default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DefinitionCacheDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a reservation record is kept after it expired (settled, released or not). Default 7 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "400.00:00:00")]
    public TimeSpan ReservationRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long a finished hold row is kept after its reservation expired. Default 2 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "400.00:00:00")]
    public TimeSpan HoldRetention { get; init; } = TimeSpan.FromDays(2);

    /// <summary>
    /// How long a budget keeps the marker that an event was charged to it. Only a crashed request being finished
    /// needs it (a duplicate of a fully charged event charges nothing anyway). Default 7 days.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "400.00:00:00")]
    public TimeSpan ChargeMarkerRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long published budget events stay in the outbox (<c>GET /api/events</c>). Default 90 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan OutboxRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Largest <c>maxOutputTokens</c> an authorization may ask for. Default 10^6.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxOutputTokens { get; init; } = 1_000_000;
}

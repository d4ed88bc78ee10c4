using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>
/// One validated LLM call as ControlPlane records it. Built only by <see cref="UsageEventValidator"/>, so every
/// instance already satisfies the bounds and token partition rules.
/// </summary>
public sealed record UsageEvent
{
    /// <summary>Client-chosen idempotency key (≤ 128 characters), per team. The same id of a team is never charged twice.</summary>
    public required string Id { get; init; }

    /// <summary>When the call happened (UTC); defaults to the time ControlPlane received it.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public required string Team { get; init; }
    public required string Feature { get; init; }
    public string? User { get; init; }
    public string? App { get; init; }

    /// <summary>Deployment environment; defaults to <c>prod</c>.</summary>
    public string Environment { get; init; } = UsageDefaults.Environment;

    public string? PromptTemplate { get; init; }
    public string? Provider { get; init; }
    public required string Model { get; init; }
    public string? Deployment { get; init; }

    /// <summary><c>global|datazone|regional|batch|provisioned</c>, lower case, or null when not given.</summary>
    public string? DeploymentType { get; init; }

    /// <summary>True when the call ran through a batch API (priced at batch rates).</summary>
    public bool Batch { get; init; }

    public required UsageTokens Tokens { get; init; }
    public string? ReservationId { get; init; }

    /// <summary>The conversation or agent run the call belongs to (≤ 128 characters): the session rules count calls per session.</summary>
    public string? Session { get; init; }

    /// <summary>
    /// A hash of the prompt or tool call (never the prompt itself), 8–128 characters of <c>[A-Za-z0-9+/=_:-]</c>: the
    /// same hash repeated within a session is an agent loop's signature.
    /// </summary>
    public string? RequestHash { get; init; }

    /// <summary>Business units the call produced (documents summarised, tickets closed) for unit economics.</summary>
    public decimal? Units { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public long? LatencyMs { get; init; }
    public string? Status { get; init; }

    /// <summary>When ControlPlane recorded the event (set at ingest, never by the client); null on events recorded before it was kept.</summary>
    public DateTimeOffset? RecordedAt { get; init; }

    /// <summary>
    /// True when the event arrived later than the grace window after its <see cref="Timestamp"/>: accounting and
    /// reports keep its own time, but budgets are charged in the period it arrived in (enforcement on arrival).
    /// </summary>
    public bool Late { get; init; }

    /// <summary>The moment whose budget period this event is charged to: its arrival when late, else its own time.</summary>
    public DateTimeOffset ChargeTime => Late && RecordedAt is { } arrived ? arrived : Timestamp;

    /// <summary>
    /// The event's identity: its team and id (ids are per team, so two teams' ids never collide nor reveal each
    /// other). Length-prefixed, so no (team, id) pair can spell another's.
    /// </summary>
    public string Key => $"{Team.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{Team}:{Id}";

    /// <summary>Who a budget or kill switch sees this call as.</summary>
    public Budgets.CallAttribution Attribution => new(Team, Feature, User, Environment, Model, App);

    /// <summary>The context the price sheet needs to price this call.</summary>
    public PricingContext PricingContext => new(Provider, Model, DeploymentType, Batch, Timestamp);
}

/// <summary>Defaults that apply when an event leaves a field out.</summary>
public static class UsageDefaults
{
    public const string Environment = "prod";
}

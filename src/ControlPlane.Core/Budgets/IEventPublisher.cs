namespace ControlPlane.Budgets;

/// <summary>Delivers events to subscribers (Event Grid in Azure). Throws when delivery failed, so the caller can try again.</summary>
public interface IEventPublisher
{
    /// <summary>False when no destination is configured (the outbox is the only record).</summary>
    bool IsConfigured { get; }

    Task PublishAsync(IReadOnlyList<BudgetEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes one event about something other than a budget (a finished batch run, a report). The id is
    /// deterministic, so a re-delivery after a crash is recognisable to subscribers as the same event.
    /// </summary>
    Task PublishAsync(PlatformEvent platformEvent, CancellationToken cancellationToken = default);
}

/// <summary>A CloudEvent: <paramref name="Source"/> like <c>/controlplane/batch</c>, <paramref name="Data"/> serialised as JSON.</summary>
public sealed record PlatformEvent(string Id, string Type, string Source, string Subject, DateTimeOffset Time, object Data);

namespace ControlPlane.Budgets;

/// <summary>Delivers outbox events to subscribers (Event Grid in Azure). Throws when delivery failed, so the events stay queued.</summary>
public interface IEventPublisher
{
    /// <summary>False when no destination is configured (the outbox is the only record).</summary>
    bool IsConfigured { get; }

    Task PublishAsync(IReadOnlyList<BudgetEvent> events, CancellationToken cancellationToken = default);
}

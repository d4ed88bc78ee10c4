using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;

namespace ControlPlane.Functions.Budgets;

/// <summary>
/// Every 30 seconds: sends outbox events that have not reached Event Grid yet, then marks them published. An
/// unreachable topic fails the invocation and the events wait for the next run; nothing is lost. Events of a budget
/// deleted before they were delivered stay in the outbox (<c>GET /api/events</c>) undelivered.
/// </summary>
public sealed class PublishBudgetEventsFunction(TableBudgetLedger outbox, BudgetService budgets, IEventPublisher publisher, TimeProvider time, ILogger<PublishBudgetEventsFunction> logger)
{
    private const int MaxPerSend = 100;

    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/PublishBudgetEvents</c> answers with it).</returns>
    [Function(nameof(PublishBudgetEvents))]
    public async Task<object> PublishBudgetEvents([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (!publisher.IsConfigured)
        {
            logger.FunctionRan(nameof(PublishBudgetEvents), "No Event Grid topic configured; events stay in the outbox (GET /api/events).");
            return new { published = 0 };
        }

        // One read of each budget's publish index: what is waiting, not the whole outbox.
        var (all, _) = await budgets.GetDefinitionsAsync(cancellationToken).ConfigureAwait(false);
        var pending = await outbox.ListUnpublishedAsync(all.Select(b => b.Id), cancellationToken).ConfigureAwait(false);
        foreach (var batch in pending.Chunk(MaxPerSend))
        {
            await publisher.PublishAsync(batch, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            foreach (var e in batch)
            {
                await outbox.MarkPublishedAsync(e, now, cancellationToken).ConfigureAwait(false);
            }
        }

        logger.FunctionRan(nameof(PublishBudgetEvents), $"Published {pending.Count} budget events.");
        return new { published = pending.Count };
    }
}

using ControlPlane.Azure.Budgets;
using ControlPlane.Budgets;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.Budgets;

/// <summary>
/// Every 30 seconds: sends outbox events that have not reached Event Grid yet, then marks them published. An
/// unreachable topic fails the invocation and the events wait for the next run; nothing is lost. Events of a budget
/// deleted before they were delivered stay in the outbox (<c>GET /api/events</c>) undelivered.
/// </summary>
public sealed class PublishBudgetEventsFunction(TableBudgetLedger outbox, BudgetService budgets, IEventPublisher publisher, TimeProvider time) : IFunctionHandler
{
    private const int MaxPerSend = 100;

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        if (!publisher.IsConfigured)
        {
            return FunctionResult.Completed(new { published = 0 }, "No Event Grid topic configured; events stay in the outbox (GET /api/events).");
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

        return FunctionResult.Completed(new { published = pending.Count }, $"Published {pending.Count} budget events.");
    }
}

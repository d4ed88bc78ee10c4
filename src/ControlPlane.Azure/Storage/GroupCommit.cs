using System.Collections.Concurrent;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Group commit: callers queue their item; whoever gets the gate writes everything queued (up to
/// <c>maxBatch</c>) in one storage round trip and completes every waiting caller. Under load, batches form by
/// themselves; alone, a caller writes its own item at once. Each caller still returns only after its item is
/// durable (or with the error that stopped it).
/// <para>
/// A commit belongs to every caller in its batch, not to the one who happens to run it: it runs without that
/// caller's cancellation token, so one client hanging up can never fail the writes of the others. A caller that
/// cancels stops waiting; an item already queued may still be written (a hold then expires with its TTL, a
/// charge stays charged: both are safe, neither is lost).
/// </para>
/// </summary>
/// <typeparam name="TItem">What a caller asks to write.</typeparam>
/// <typeparam name="TResult">What each caller gets back.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gate's wait handle is never created, so the semaphore holds nothing to dispose; committers live as long as the app.")]
public sealed class GroupCommit<TItem, TResult>(int maxBatch, Func<IReadOnlyList<GroupCommit<TItem, TResult>.Entry>, CancellationToken, Task> commit)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentQueue<Entry> _queue = new();

    /// <summary>One queued item and the caller waiting for it.</summary>
    public sealed class Entry(TItem item)
    {
        public TItem Item { get; } = item;
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async Task<TResult> SubmitAsync(TItem item, CancellationToken cancellationToken)
    {
        var entry = new Entry(item);
        _queue.Enqueue(entry);
        while (!entry.Done.Task.IsCompleted)
        {
            // Wait for the gate or for someone else to complete our entry, whichever comes first.
            var gate = _gate.WaitAsync(cancellationToken);
            if (await Task.WhenAny(gate, entry.Done.Task).ConfigureAwait(false) != gate)
            {
                ReleaseWhenAcquired(gate);
                break;
            }

            await gate.ConfigureAwait(false);
            var batch = new List<Entry>(maxBatch);
            try
            {
                while (!entry.Done.Task.IsCompleted && batch.Count < maxBatch && _queue.TryDequeue(out var next))
                {
                    batch.Add(next);
                }

                if (batch.Count > 0)
                {
                    await commit(batch, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // The whole batch failed (storage down): every caller in it learns why; none is left waiting.
                foreach (var failed in batch)
                {
                    failed.Done.TrySetException(ex);
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return await entry.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A gate wait that lost the race to our completion must not keep the gate once it gets it.</summary>
    private void ReleaseWhenAcquired(Task gate) =>
        gate.ContinueWith(t =>
        {
            if (t.Status == TaskStatus.RanToCompletion)
            {
                _gate.Release();
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

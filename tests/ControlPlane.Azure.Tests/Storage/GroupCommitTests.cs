using ControlPlane.Azure.Storage;

namespace ControlPlane.Azure.Storage;

/// <summary>One caller hanging up must not fail the writes of the others in its batch (issue 9, hole 10).</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Submit_CommittingCallerCancelsMidCommit_EveryOtherCallerStillGetsItsWrite()
    {
        var firstCommitMayEnd = new TaskCompletionSource();
        var secondCommitStarted = new TaskCompletionSource();
        var secondCommitMayEnd = new TaskCompletionSource();
        var written = new List<int>();
        var commitCount = 0;
        var commits = new GroupCommit<int, int>(100, async (batch, ct) =>
        {
            if (Interlocked.Increment(ref commitCount) == 1)
            {
                await firstCommitMayEnd.Task;
            }
            else
            {
                secondCommitStarted.TrySetResult();
                await secondCommitMayEnd.Task;
            }

            // Storage calls fail when the token they were given is cancelled.
            ct.ThrowIfCancellationRequested();
            lock (written)
            {
                written.AddRange(batch.Select(e => e.Item));
            }

            foreach (var entry in batch)
            {
                entry.Done.TrySetResult(entry.Item * 10);
            }
        });

        // A blocker holds the gate; the hanging-up caller queues first, so it takes the gate next and commits the
        // 88 callers queued behind it in one batch.
        var blocker = commits.SubmitAsync(-1, CancellationToken.None);
        using var hangUp = new CancellationTokenSource();
        var committer = commits.SubmitAsync(0, hangUp.Token);
        var others = Enumerable.Range(1, 88).Select(i => commits.SubmitAsync(i, CancellationToken.None)).ToList();
        firstCommitMayEnd.SetResult();
        await blocker;
        await secondCommitStarted.Task;
        await hangUp.CancelAsync();
        secondCommitMayEnd.SetResult();

        Assert.Equal(Enumerable.Range(1, 88).Select(i => i * 10), await Task.WhenAll(others));
        Assert.Contains(0, written);
        _ = await Record.ExceptionAsync(() => committer);
    }

    [Fact]
    public async Task Submit_CallerCancelsWhileWaitingForTheGate_StopsWaitingAtOnce()
    {
        var release = new TaskCompletionSource();
        var commits = new GroupCommit<int, int>(1, async (batch, ct) =>
        {
            await release.Task;
            foreach (var entry in batch)
            {
                entry.Done.TrySetResult(entry.Item);
            }
        });
        var busy = commits.SubmitAsync(1, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = commits.SubmitAsync(2, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        release.SetResult();
        Assert.Equal(1, await busy);
    }
}

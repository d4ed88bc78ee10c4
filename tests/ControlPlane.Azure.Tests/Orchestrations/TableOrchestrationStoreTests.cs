using ControlPlane.Azure.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Testing;

namespace ControlPlane.Azure.Tests.Orchestrations;

/// <summary>Checkpoints are conditional and carry their history line in the same transaction.</summary>
public sealed class TableOrchestrationStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TableOrchestrationStore _store = new(new TestStorage().Tables);

    private static OrchestrationInstance Instance(string id, OrchestrationStatus status = OrchestrationStatus.Running, DateTimeOffset? wakeAt = null) => new()
    {
        Id = id, Kind = "test", Status = status, Step = "one", Sequence = 1, State = """{"n":1}""", CreatedAt = Now, UpdatedAt = Now, WakeAt = wakeAt ?? Now,
    };

    [Fact]
    public async Task TryCreate_SameIdTwice_SecondReturnsFalseAndKeepsTheFirst()
    {
        Assert.True(await _store.TryCreateAsync(Instance("run/1"), new(1, "one", "started", Now, null)));
        Assert.False(await _store.TryCreateAsync(Instance("run/1") with { Step = "other" }, new(1, "other", "started", Now, null)));

        var stored = await _store.GetAsync("run/1");
        Assert.Equal("one", stored!.Step);
        Assert.Equal("""{"n":1}""", stored.State);
    }

    [Fact]
    public async Task TryReplace_StaleETag_ReturnsNullAndWritesNoHistory()
    {
        await _store.TryCreateAsync(Instance("a"), new(1, "one", "started", Now, null));
        var read = (await _store.GetAsync("a"))!;
        var won = await _store.TryReplaceAsync(read, read with { Sequence = 2, Step = "two" }, new(2, "one", "next", Now, "-> two"));

        var lost = await _store.TryReplaceAsync(read, read with { Sequence = 2, Step = "three" }, new(3, "one", "next", Now, "-> three"));

        Assert.NotNull(won);
        Assert.Null(lost);
        Assert.Equal("two", (await _store.GetAsync("a"))!.Step);
        Assert.Equal(["started", "next"], (await _store.GetHistoryAsync("a")).Select(h => h.Outcome));
        Assert.NotNull(await _store.TryReplaceAsync(won!, won! with { Sequence = 3 }, null));
    }

    [Fact]
    public async Task ListDue_ReturnsOnlyUnfinishedInstancesWhoseTimeCame()
    {
        await _store.TryCreateAsync(Instance("due"), new(1, "one", "started", Now, null));
        await _store.TryCreateAsync(Instance("later", OrchestrationStatus.Waiting, Now.AddMinutes(5)), new(1, "one", "started", Now, null));
        await _store.TryCreateAsync(Instance("done", OrchestrationStatus.Completed, Now.AddMinutes(-5)), new(1, "one", "started", Now, null));

        var due = await _store.ListDueAsync(Now.AddMinutes(1));

        Assert.Equal(["due"], due.Select(i => i.Id));
        Assert.Equal(["done"], (await _store.ListAsync(null, OrchestrationStatus.Completed, new ControlPlane.Paging.PageRequest(10))).Items.Select(i => i.Id));
    }

    [Fact]
    public async Task Replace_StateLargerThanATableProperty_IsRefusedWithAClearMessage()
    {
        await _store.TryCreateAsync(Instance("big"), new(1, "one", "started", Now, null));
        var read = (await _store.GetAsync("big"))!;

        var ex = await Assert.ThrowsAsync<OrchestrationStateTooLargeException>(() =>
            _store.TryReplaceAsync(read, read with { State = new string('x', 40_000) }, null));

        Assert.Contains("blobs", ex.Message);
    }
}

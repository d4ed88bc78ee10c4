using System.Diagnostics;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// The request deadline on real storage clients against an Azurite of the test's own, frozen with SIGSTOP. Time
/// bounds are generous: without a deadline the same call waits the SDK's 30 s network timeout times its retries.
/// </summary>
public sealed class StorageDeadlineTests : IDisposable
{
    private readonly AzuriteProcess _storage = Azurite.StartProcess();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly StorageHealth _health;
    private readonly TableProvider _tables;

    public StorageDeadlineTests()
    {
        _health = new StorageHealth(_clock);
        _tables = new TableProvider(new StorageOptions { ConnectionString = _storage.ConnectionString, TablePrefix = Azurite.NewTablePrefix() }, _health);
    }

    public void Dispose() => _storage.Dispose();

    [Fact]
    public async Task Write_StorageFrozen_GivesUpAtTheDeadlineAndIsCountedAsMissed()
    {
        var table = await _tables.GetTableAsync("Deadline");
        _storage.Freeze();
        var watch = Stopwatch.StartNew();
        try
        {
            using var deadline = StorageDeadline.Begin(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAsync<StorageDeadlineExceededException>(() => table.AddEntityAsync(new TableEntity("p", "r")));
        }
        finally
        {
            _storage.Thaw();
        }

        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(1, _health.Recent(TimeSpan.FromMinutes(1)).DeadlinesMissed);

        // The abandoned write may have landed once storage answered; writing it again is the caller's idempotent retry.
        await table.UpsertEntityAsync(new TableEntity("p", "r"));
        Assert.Single(table.Query<TableEntity>(e => e.PartitionKey == "p").ToList());
    }

    [Fact]
    public async Task Call_DeadlineAlreadyPassed_FailsAtOnceWithoutTouchingStorage()
    {
        var table = await _tables.GetTableAsync("Deadline");
        using var deadline = StorageDeadline.Begin(TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);

        await Assert.ThrowsAsync<StorageDeadlineExceededException>(() => table.AddEntityAsync(new TableEntity("late", "r")));

        deadline.Dispose();
        Assert.Empty(table.Query<TableEntity>(e => e.PartitionKey == "late").ToList());
    }

    [Fact]
    public async Task Work_OutlivingItsRequest_IsNotBoundByTheEndedDeadline()
    {
        var table = await _tables.GetTableAsync("Deadline");
        Task background;
        using (StorageDeadline.Begin(TimeSpan.FromMilliseconds(200)))
        {
            // Started inside the request, so it inherits the request's async context, deadline included.
            background = Task.Run(async () =>
            {
                await Task.Delay(500);
                await table.AddEntityAsync(new TableEntity("later", "r"));
            });
        }

        await background;
        Assert.Single(table.Query<TableEntity>(e => e.PartitionKey == "later").ToList());
    }

    [Fact]
    public void Remaining_InnerDeadline_NeverExtendsTheOuterOne()
    {
        using var outer = StorageDeadline.Begin(TimeSpan.FromSeconds(1));
        using var inner = StorageDeadline.Begin(TimeSpan.FromMinutes(10));

        Assert.Same(inner, StorageDeadline.Current);
        Assert.InRange(inner.Remaining, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        inner.Dispose();
        Assert.Same(outer, StorageDeadline.Current);
    }

    [Fact]
    public async Task Call_StorageRefusingConnections_IsCountedAsAnOutage()
    {
        var table = await _tables.GetTableAsync("Deadline");
        _storage.Dispose();

        using var deadline = StorageDeadline.Begin(TimeSpan.FromSeconds(20));
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => table.AddEntityAsync(new TableEntity("p", "gone")));

        // Refused at once, retried by the SDK with backoff, then given up: an outage, well within the deadline.
        Assert.IsNotType<StorageDeadlineExceededException>(failed);
        var recent = _health.Recent(TimeSpan.FromMinutes(1));
        Assert.Equal((0, 1), (recent.DeadlinesMissed, recent.Outages));
    }
}

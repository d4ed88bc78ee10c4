using ControlPlane.Azure.Batch;
using ControlPlane.Azure.Storage;
using ControlPlane.Batch;
using ControlPlane.Pricing;
using ControlPlane.Testing;

namespace ControlPlane.Azure.Tests.Batch;

public sealed class TableBatchRequestStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TestStorage _storage = new();
    private readonly TableBatchRequestStore _store;

    public TableBatchRequestStoreTests() => _store = new TableBatchRequestStore(_storage.Tables);

    private static BatchRequest Request(string id, BatchRequestStatus status = BatchRequestStatus.Pending, string? runId = null) => new()
    {
        Id = id, Team = "search", Feature = "f", Environment = "prod", Model = "gpt-4o-mini", Deployment = "gpt-4o-mini", MaxOutputTokens = 10,
        Status = status, RunId = runId, ReceivedAt = Now, UpdatedAt = Now, EstimatedInputTokens = 9, EstimatedBatchCostUsd = 0.0000036m,
        EstimatedRealtimeCostUsd = 0.0000072m, Metadata = new Dictionary<string, string> { ["ticket"] = "42" },
    };

    [Fact]
    public async Task Create_ThenGet_RoundTripsMoneyTokensAndMetadataExactly()
    {
        var completed = Request("a") with { Tokens = new UsageTokens(120, 100, 0, 40, 30), CostUsd = 0.00001234m };
        Assert.True(await _store.TryCreateAsync(completed));
        Assert.False(await _store.TryCreateAsync(completed));

        var read = await _store.GetAsync("a", "search");

        Assert.Equal(completed with { ETag = read!.ETag, Metadata = read.Metadata }, read);
        Assert.Equal("42", read.Metadata!["ticket"]);
        Assert.Equal(new UsageTokens(120, 100, 0, 40, 30), read.Tokens);
    }

    [Fact]
    public async Task ListClaimable_PendingAndThisRunsQueuedOnly()
    {
        await _store.TryCreateAsync(Request("pending"));
        await _store.TryCreateAsync(Request("mine", BatchRequestStatus.Queued, "run-1"));
        await _store.TryCreateAsync(Request("theirs", BatchRequestStatus.Queued, "run-0"));
        await _store.TryCreateAsync(Request("cancelled", BatchRequestStatus.Cancelled));

        var claimable = await _store.ListClaimableAsync("run-1");

        Assert.Equal(["mine", "pending"], claimable.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TryReplace_AfterSomeoneElseChangedIt_ReturnsNull()
    {
        await _store.TryCreateAsync(Request("a"));
        var read = (await _store.GetAsync("a", "search"))!;
        Assert.NotNull(await _store.TryReplaceAsync(read, read with { Status = BatchRequestStatus.Cancelled }));

        Assert.Null(await _store.TryReplaceAsync(read, read with { Status = BatchRequestStatus.Queued, RunId = "run-1" }));
        Assert.Equal(BatchRequestStatus.Cancelled, (await _store.GetAsync("a", "search"))!.Status);
    }

    [Fact]
    public async Task Payloads_RoundTripAndMissingIsNull()
    {
        var payloads = new BlobBatchPayloadStore(new BlobProvider(_storage.Options));
        await payloads.SaveRequestBodyAsync("a/b", "{\"x\":1}"u8.ToArray());
        await payloads.SaveInputFileAsync("run-1", 0, "line\n"u8.ToArray());

        Assert.Equal("{\"x\":1}"u8.ToArray(), (await payloads.GetRequestBodyAsync("a/b"))!.Value.ToArray());
        Assert.Equal("line\n"u8.ToArray(), (await payloads.GetInputFileAsync("run-1", 0))!.Value.ToArray());
        Assert.Null(await payloads.GetResultAsync("a/b"));
    }
}

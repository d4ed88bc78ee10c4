using System.Text.Json.Nodes;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.AuditLog;

public sealed class AdminAuditServiceTests
{
    private static readonly AuditActor Alice = new("0123456789abcdef", "alice", ApiRole.Admin, Bootstrap: false);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryAuditLog _log = new();

    private AdminAuditService Service(TimeSpan? retention = null) => new(_log, _clock, new AuditLogOptions { Retention = retention ?? TimeSpan.FromDays(400) });

    [Fact]
    public async Task Begin_WritesAPendingEntryStampedByTheClockBeforeAnyChange()
    {
        var entry = await Service().BeginAsync(AdminActionKind.BudgetUpsert, "team-search", Alice, JsonNode.Parse("""{"limitUsd":100}"""), "req-1");

        var stored = Assert.Single(_log.Entries.Values);
        Assert.Equal(AdminAuditOutcome.Pending, stored.Outcome);
        Assert.Equal(_clock.GetUtcNow(), stored.At);
        Assert.Equal("team-search", stored.Target);
        Assert.Equal("""{"limitUsd":100}""", stored.Before!.Json);
        Assert.Null(stored.Changed);
        Assert.True(AdminAuditService.IsEntryId(entry.Id));
    }

    [Fact]
    public async Task Begin_SeveralInOneClockTick_StampsStrictlyIncreasingTimes()
    {
        var service = Service();

        var first = await service.BeginAsync(AdminActionKind.BudgetUpsert, "a", Alice, null, null);
        var second = await service.BeginAsync(AdminActionKind.BudgetDelete, "a", Alice, null, null);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var later = await service.BeginAsync(AdminActionKind.KeyIssue, null, Alice, null, null);

        Assert.Equal(_clock.GetUtcNow().AddSeconds(-1), first.At);
        Assert.Equal(first.At.AddTicks(1), second.At);
        Assert.Equal(_clock.GetUtcNow(), later.At);
    }

    [Fact]
    public async Task Begin_StoreRefuses_Throws()
    {
        _log.FailAppends = true;

        await Assert.ThrowsAsync<IOException>(() => Service().BeginAsync(AdminActionKind.KeyIssue, null, Alice, null, null));
    }

    [Fact]
    public async Task Complete_StateChanged_RecordsAfterOutcomeAndChanged()
    {
        var service = Service();
        var pending = await service.BeginAsync(AdminActionKind.BudgetUpsert, "b", Alice, JsonNode.Parse("""{"limitUsd":100}"""), null);
        _clock.Advance(TimeSpan.FromMilliseconds(40));

        var done = await service.CompleteAsync(pending, AdminAuditOutcome.Succeeded, 200, null, null, JsonNode.Parse("""{"limitUsd":200}"""));

        Assert.Equal(done, _log.Entries[pending.Id]);
        Assert.True(done.Changed);
        Assert.Equal("""{"limitUsd":200}""", done.After!.Json);
        Assert.Equal(_clock.GetUtcNow(), done.CompletedAt);
        Assert.Equal(pending.At, done.At);
    }

    [Fact]
    public async Task Complete_RepeatedRequestThatChangedNothing_IsChangedFalse()
    {
        var service = Service();
        var pending = await service.BeginAsync(AdminActionKind.KeyRevoke, "k", Alice, JsonNode.Parse("""{"id":"k","revoked":true}"""), null);

        var done = await service.CompleteAsync(pending, AdminAuditOutcome.Succeeded, 204, null, null, JsonNode.Parse("""{"id":"k","revoked":true}"""));

        Assert.False(done.Changed);
    }

    [Fact]
    public async Task Complete_TargetRevealedByTheChange_ReplacesTheUnknownTarget()
    {
        var service = Service();
        var pending = await service.BeginAsync(AdminActionKind.KeyIssue, null, Alice, null, null);

        var done = await service.CompleteAsync(pending, AdminAuditOutcome.Succeeded, 201, null, "feedbeef00000000", JsonNode.Parse("""{"id":"feedbeef00000000"}"""));

        Assert.Equal("feedbeef00000000", done.Target);
        Assert.True(done.Changed);
        Assert.Null(done.Before);
    }

    [Fact]
    public async Task Snapshots_SecretProperties_AreRedactedAtAnyDepth()
    {
        var before = JsonNode.Parse("""{"id":"k","secretHash":"c2VjcmV0","nested":[{"key":"cpk_k_s3cr3t","apiKey":"abc","name":"ok"}]}""");

        var entry = await Service().BeginAsync(AdminActionKind.KeyIssue, "k", Alice, before, null);

        Assert.DoesNotContain("c2VjcmV0", entry.Before!.Json);
        Assert.DoesNotContain("s3cr3t", entry.Before.Json);
        Assert.DoesNotContain("abc", entry.Before.Json);
        Assert.Contains("\"name\":\"ok\"", entry.Before.Json);
        Assert.Equal("c2VjcmV0", before!["secretHash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Begin_VeryLongTarget_IsBounded()
    {
        var entry = await Service().BeginAsync(AdminActionKind.PriceUpsert, new string('p', 5000), Alice, null, null);

        Assert.Equal(AdminAuditService.MaxTargetLength, entry.Target!.Length);
    }

    [Fact]
    public async Task Purge_DeletesBeforeNowMinusRetention()
    {
        var (cutoff, _) = await Service(TimeSpan.FromDays(30)).PurgeAsync();

        Assert.Equal(_clock.GetUtcNow().AddDays(-30), cutoff);
        Assert.Equal(cutoff, _log.DeletedBefore);
    }

    private sealed class InMemoryAuditLog : IAdminAuditLog
    {
        public Dictionary<string, AdminAuditEntry> Entries { get; } = [];
        public bool FailAppends { get; set; }
        public DateTimeOffset? DeletedBefore { get; private set; }

        public Task AppendAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default)
        {
            if (FailAppends)
            {
                throw new IOException("storage is down");
            }

            Entries.Add(entry.Id, entry);
            return Task.CompletedTask;
        }

        public Task CompleteAsync(AdminAuditEntry entry, CancellationToken cancellationToken = default)
        {
            Entries[entry.Id] = entry;
            return Task.CompletedTask;
        }

        public Task<AdminAuditPage> ListAsync(AdminAuditQuery query, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AdminAuditPage([.. Entries.Values], null));

        public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
        {
            DeletedBefore = cutoff;
            return Task.FromResult(0);
        }
    }
}

using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Azure.AuditLog;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Tests.AuditLog;

/// <summary>Newest first by key, paged by cursor, filtered by time and kind with range reads, bounded like real Table storage.</summary>
public sealed class TableAdminAuditLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly AuditActor Alice = new("0123456789abcdef", "alice", ApiRole.Admin, Bootstrap: false);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly TestStorage _storage = new();
    private readonly TableAdminAuditLog _log;
    private int _next;

    public TableAdminAuditLogTests() => _log = new TableAdminAuditLog(_storage.Tables, _clock);

    private AdminAuditEntry Entry(DateTimeOffset at, AdminActionKind? kind = null, string? before = null, string? after = null) => new()
    {
        Id = (++_next).ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
        At = at,
        Kind = kind ?? AdminActionKind.BudgetUpsert,
        Target = $"target-{_next}",
        Actor = Alice,
        Outcome = AdminAuditOutcome.Succeeded,
        Changed = true,
        Before = before is null ? null : AuditSnapshot.Of(before),
        After = after is null ? null : AuditSnapshot.Of(after),
        StatusCode = 200,
        CompletedAt = at,
    };

    private static AdminAuditQuery Query(int limit = 100, string? kind = null, DateTimeOffset? from = null, DateTimeOffset? to = null, AdminAuditCursor? after = null) =>
        new(kind, from, to, limit, after);

    private async Task<List<AdminAuditEntry>> AppendAsync(params AdminAuditEntry[] entries)
    {
        foreach (var entry in entries)
        {
            await _log.AppendAsync(entry);
        }

        return [.. entries];
    }

    [Fact]
    public async Task List_EntriesAcrossMonths_NewestFirst()
    {
        var written = await AppendAsync(
            Entry(Now.AddMonths(-2)), Entry(Now.AddMinutes(-1)), Entry(Now), Entry(Now.AddMonths(-1).AddDays(3)), Entry(Now.AddSeconds(-1)));

        var page = await _log.ListAsync(Query());

        Assert.Equal(written.OrderByDescending(e => e.At).Select(e => e.Id), page.Entries.Select(e => e.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task List_Paged_EveryEntryOnceInOrderAndTheLastPageHasNoNext()
    {
        var written = new List<AdminAuditEntry>();
        for (var i = 0; i < 23; i++)
        {
            // Several in the same tick, and some across a month boundary.
            written.AddRange(await AppendAsync(Entry(Now.AddDays(-i * 2).AddTicks(-(i % 3)))));
        }

        var seen = new List<string>();
        AdminAuditCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await _log.ListAsync(Query(limit: 5, after: cursor));
            Assert.True(page.Entries.Count <= 5);
            seen.AddRange(page.Entries.Select(e => e.Id));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(written.OrderByDescending(e => e.At).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id), seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task List_NewEntriesWrittenBetweenPages_DoNotShiftTheNextPage()
    {
        await AppendAsync(Entry(Now.AddMinutes(-3)), Entry(Now.AddMinutes(-2)), Entry(Now.AddMinutes(-1)));
        var first = await _log.ListAsync(Query(limit: 2));

        await AppendAsync(Entry(Now));
        var second = await _log.ListAsync(Query(limit: 2, after: first.Next));

        Assert.Equal(Now.AddMinutes(-3), Assert.Single(second.Entries).At);
    }

    [Fact]
    public async Task List_TimeRange_FromInclusiveToExclusive()
    {
        var from = Now.AddDays(-40);
        var to = Now.AddDays(-10);
        await AppendAsync(Entry(from.AddTicks(-1)), Entry(from), Entry(Now.AddDays(-20)), Entry(to.AddTicks(-1)), Entry(to), Entry(Now));

        var page = await _log.ListAsync(Query(from: from, to: to));

        Assert.Equal([to.AddTicks(-1), Now.AddDays(-20), from], page.Entries.Select(e => e.At));
    }

    [Fact]
    public async Task List_KindExactOrFamily_FiltersServerSide()
    {
        await AppendAsync(
            Entry(Now.AddMinutes(-4), AdminActionKind.BudgetUpsert), Entry(Now.AddMinutes(-3), AdminActionKind.KeyIssue),
            Entry(Now.AddMinutes(-2), AdminActionKind.BudgetDelete), Entry(Now.AddMinutes(-1), new AdminActionKind("budgets_other.thing")));

        var family = await _log.ListAsync(Query(kind: "budget."));
        var exact = await _log.ListAsync(Query(kind: "key.issue"));

        Assert.Equal(["budget.delete", "budget.upsert"], family.Entries.Select(e => e.Kind.ToString()));
        Assert.Equal(["key.issue"], exact.Entries.Select(e => e.Kind.ToString()));
    }

    [Fact]
    public async Task List_EmptyLog_IsAnEmptyLastPage()
    {
        var page = await _log.ListAsync(Query());

        Assert.Empty(page.Entries);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Complete_ReplacesThePendingEntryInPlace()
    {
        var pending = Entry(Now, before: """{"limitUsd":1}""") with { Outcome = AdminAuditOutcome.Pending, Changed = null, CompletedAt = null, StatusCode = null };
        await _log.AppendAsync(pending);

        await _log.CompleteAsync(pending with { Outcome = AdminAuditOutcome.Rejected, Changed = false, StatusCode = 404, ErrorCode = "budget_not_found" });

        var stored = Assert.Single((await _log.ListAsync(Query())).Entries);
        Assert.Equal(AdminAuditOutcome.Rejected, stored.Outcome);
        Assert.Equal("budget_not_found", stored.ErrorCode);
        Assert.Equal("""{"limitUsd":1}""", stored.Before!.Json);
        Assert.Equal(Alice, stored.Actor);
    }

    [Fact]
    public async Task Snapshot_LargerThanOneStringProperty_IsSplitAndReadBackWhole()
    {
        // 100,000 characters: four properties (the limit is 64 KiB each), with a surrogate pair straddling the first split
        // (the opening quote puts its high half last in the first chunk).
        var text = new string('a', TableAdminAuditLog.ChunkChars - 2) + "\U0001F600" + new string('b', 100_000 - TableAdminAuditLog.ChunkChars);
        var json = $"\"{text}\"";

        await AppendAsync(Entry(Now, before: json, after: json));

        var stored = Assert.Single((await _log.ListAsync(Query())).Entries);
        Assert.Equal(json, stored.Before!.Json);
        Assert.False(stored.Before.Truncated);
        Assert.Equal(json, stored.After!.Json);
        var entity = TableAdminAuditLog.ToEntity(stored);
        Assert.All(entity.Where(p => p.Value is string), p => Assert.True(((string)p.Value).Length <= 32_768, $"{p.Key} is over 64 KiB."));
    }

    [Fact]
    public async Task Snapshot_LargerThanAnEntityAllows_IsTruncatedMarkedAndTheEntityStaysUnder1MiB()
    {
        var huge = $"\"{new string('x', 600_000)}\"";

        await AppendAsync(Entry(Now, before: huge, after: huge));

        var stored = Assert.Single((await _log.ListAsync(Query())).Entries);
        Assert.True(stored.Before!.Truncated);
        Assert.Equal(huge.Length, stored.Before.OriginalLength);
        Assert.Equal(TableAdminAuditLog.MaxSnapshotChars, stored.Before.Json.Length);
        Assert.StartsWith(stored.Before.Json, huge, StringComparison.Ordinal);
        Assert.True(stored.After!.Truncated);
        Assert.True(TableAdminAuditLog.EstimateBytes(TableAdminAuditLog.ToEntity(Entry(Now, before: huge, after: huge))) <= TableAdminAuditLog.MaxEntityBytes);
    }

    [Fact]
    public async Task DeleteBefore_RemovesOlderMonthsAndTheOlderPartOfTheCutoffMonthOnly()
    {
        var cutoff = new DateTimeOffset(2026, 10, 15, 0, 0, 0, TimeSpan.Zero);
        await AppendAsync(
            Entry(cutoff.AddMonths(-13)), Entry(cutoff.AddMonths(-1)), Entry(cutoff.AddDays(-3)), Entry(cutoff.AddTicks(-1)),
            Entry(cutoff), Entry(cutoff.AddDays(1)), Entry(Now));

        var deleted = await _log.DeleteBeforeAsync(cutoff);

        Assert.Equal(4, deleted);
        Assert.Equal([Now, cutoff.AddDays(1), cutoff], (await _log.ListAsync(Query())).Entries.Select(e => e.At));
        Assert.Equal(0, await _log.DeleteBeforeAsync(cutoff));
    }

    [Fact]
    public async Task DeleteBefore_MoreThanOneTransaction_DeletesThemAll()
    {
        for (var i = 0; i < 130; i++)
        {
            await _log.AppendAsync(Entry(Now.AddMonths(-14).AddMinutes(i)));
        }

        Assert.Equal(130, await _log.DeleteBeforeAsync(Now.AddMonths(-13)));
        Assert.Empty((await _log.ListAsync(Query())).Entries);
    }
}

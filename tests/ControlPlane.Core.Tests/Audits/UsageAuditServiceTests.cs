using ControlPlane.Paging;
using ControlPlane.Registry;
using ControlPlane.Usage;
using static ControlPlane.Audits.History;

namespace ControlPlane.Audits;

public sealed class UsageAuditServiceTests
{
    /// <summary>Rollups and session usage in memory, answering range reads as the table store does, and remembering the ranges asked for.</summary>
    private sealed class Usage(IReadOnlyList<UsageRollup> rows, IReadOnlyList<SessionUsage>? sessions = null) : IUsageStore
    {
        public List<(DateTimeOffset From, DateTimeOffset To)> Reads { get; } = [];

        public Task<IReadOnlyList<UsageRollup>> GetRollupsAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default)
        {
            Reads.Add((fromHour, toHour));
            return Task.FromResult<IReadOnlyList<UsageRollup>>([.. rows.Where(r => r.Hour >= fromHour && r.Hour < toHour)]);
        }

        public Task<IReadOnlyList<SessionUsage>> GetSessionUsageAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default) =>
            Task.FromResult(SessionUsage.Merge((sessions ?? []).Where(s => s.Hour >= fromHour && s.Hour < toHour)));

        public Task<IReadOnlyList<RecordOutcome>> RecordAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> ListBudgetsPendingAsync(DateTimeOffset recordedBefore, int max, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<PricedUsageEvent>> ReadBudgetsPendingAsync(string pendingWrite, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CompleteBudgetsPendingAsync(IEnumerable<string> pendingWrites, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<PricedUsageEvent>> FindAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<RollupFoldResult> FoldRollupsAsync(int maxTransactions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<PricedUsageEvent> ReadLedgerAsync(DateTimeOffset fromInclusive, DateTimeOffset toExclusive, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<RetentionSweepResult> DeleteBeforeAsync(DateTimeOffset cutoffHour, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class Registry(params FeatureProfile[] features) : IRegistryStore
    {
        public Task<ListPage<FeatureProfile>> ListFeaturesAsync(PageRequest page, CancellationToken cancellationToken = default) =>
            Task.FromResult(page.Slice(features, f => f.Feature));

        public Task UpsertTeamAsync(TeamProfile team, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<TeamProfile?> GetTeamAsync(string team, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListPage<TeamProfile>> ListTeamsAsync(PageRequest page, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task UpsertFeatureAsync(FeatureProfile feature, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<FeatureProfile?> GetFeatureAsync(string feature, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private static UsageAuditService Service(Usage usage, params FeatureProfile[] profiles) =>
        new(usage, new Registry(profiles), new ZombieAuditOptions(), new AnomalyScanOptions());

    /// <summary>$10 a day at noon for the week before <see cref="History.End"/>'s day, and <paramref name="cost"/> at noon on it (the hour-of-week baseline: $10 four weeks running).</summary>
    private static List<UsageRollup> Days(decimal cost) =>
        [.. Enumerable.Range(1, 28).Select(d => Row(End.AddDays(-d).AddHours(12), "u", 10m)), Row(End.AddHours(12), "u", cost)];

    [Fact]
    public async Task EvaluateAnomalies_LastHourOfTheDay_JudgesTheDayReadingEachHourOnce()
    {
        // $14 is under 1.5× the $10 average; read twice, it would be $28 and a false anomaly.
        var usage = new Usage(Days(14m));

        var evaluation = await Service(usage).EvaluateAnomaliesAsync(End.AddHours(23));

        Assert.Empty(evaluation.Candidates);
        Assert.All(usage.Reads, a => Assert.DoesNotContain(usage.Reads, b => a != b && a.From < b.To && b.From < a.To));
        Assert.Contains(usage.Reads, r => r.From <= End.AddDays(-7) && r.To >= End.AddDays(1));
    }

    [Fact]
    public async Task EvaluateAnomalies_LastHourOfADayThatSpiked_FindsTheDay()
    {
        var evaluation = await Service(new Usage(Days(15m))).EvaluateAnomaliesAsync(End.AddHours(23));

        Assert.Equal([FindingKinds.SpendAnomalyDay], evaluation.Candidates.Select(c => c.Kind));
    }

    [Fact]
    public async Task EvaluateAnomalies_TheSpikingHour_FindsTheHourButLeavesTheDayForItsEnd()
    {
        var evaluation = await Service(new Usage(Days(30m))).EvaluateAnomaliesAsync(End.AddHours(12));

        Assert.Equal([FindingKinds.SpendAnomalyHour], evaluation.Candidates.Select(c => c.Kind));
        Assert.Equal(30m, evaluation.Candidates[0].Evidence.Observed["costUsd"]);
    }

    [Fact]
    public async Task EvaluateAnomalies_SessionsOfTheWindow_AreJudgedAgainstTheirFeature()
    {
        var loop = new SessionUsage
        {
            Hour = End.AddHours(11), Team = "docs", Feature = "summarize", Session = "run-1", User = "ana", Calls = 30,
            RequestHashes = new Dictionary<string, long>(StringComparer.Ordinal) { ["sha256:aaaa0001"] = 30 },
        };
        var old = loop with { Hour = End.AddHours(8), Session = "run-0" };

        var evaluation = await Service(new Usage([], [loop, old]), Profile(callsPerSession: 5)).EvaluateAnomaliesAsync(End.AddHours(12));

        Assert.Equal([(FindingKinds.AgentLoop, "run-1"), (FindingKinds.CallsPerSession, "run-1")],
            evaluation.Candidates.Select(c => (c.Kind, c.Subject.Name)).Order());
        Assert.Equal((End.AddHours(11), End.AddHours(13)), (evaluation.Candidates[0].Evidence.WindowStart, evaluation.Candidates[0].Evidence.WindowEnd));
    }

    [Fact]
    public async Task EvaluateZombie_CapsTheFindingsLargestFirstAndCountsWhatItLeftOut()
    {
        var rows = new List<UsageRollup>();
        for (var f = 0; f < 3; f++)
        {
            // Three features on the cost floor with one user a day, $60, $70 and $80 a week.
            rows.AddRange(Enumerable.Range(1, 28).Select(d => Row(End.AddDays(-d).AddHours(9), "u", (60m + (10 * f)) / 7, feature: $"f{f}")));
        }

        var service = new UsageAuditService(new Usage(rows), new Registry(), new ZombieAuditOptions { MaxFindingsPerRun = 2 }, new AnomalyScanOptions());

        var evaluation = await service.EvaluateZombieAsync(End.AddHours(3));

        Assert.Equal(["f2", "f1"], evaluation.Candidates.Select(c => c.Subject.Name));
        Assert.Equal((1, End.AddDays(-28), End), (evaluation.Dropped, evaluation.WindowStart, evaluation.WindowEnd));
    }
}

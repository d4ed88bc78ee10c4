using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using ControlPlane.Audits;
using ControlPlane.Paging;
using ControlPlane.Registry;
using ControlPlane.Usage;

namespace ControlPlane.Benchmarks.Audits;

/// <summary>
/// The nightly zombie-feature audit's evaluation over 1,000 features × 90 days of rollups: what its activity does
/// after the storage read (active-user sketches per feature and day, weekly merges, the zombie and unit-economics
/// rules, the registry join). Baseline: one plain pass over the same rows adding up cost per feature — the least any
/// audit over these rollups must do. Rows are generated once in <see cref="Setup"/>, outside the timing.
/// <para>
/// The data: each feature is used 4 hours a day by 2 users an hour drawn from its own pool of 10 users (every 50th
/// feature also has 300 new users a day, so its weeks leave the sketch's exact mode), about 1.26 million rollup rows in all; a tenth of the
/// features lose users over the window, so the rules do find zombies.
/// </para>
/// <para>
/// Run: <c>dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --filter '*ZombieAuditBenchmarks*' --job short --inProcess</c>.
/// In process, because building BenchmarkDotNet's generated project (which runs the Functions SDK's generators)
/// takes longer than its two-minute build timeout on a busy 2-core machine.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class ZombieAuditBenchmarks
{
    public const int Features = 1_000;
    public const int Days = 90;
    private static readonly DateTimeOffset End = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private List<UsageRollup> _rows = null!;
    private UsageAuditService _audit = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rows = new List<UsageRollup>(Features * Days * 8);
        var start = End.AddDays(-Days);
        for (var f = 0; f < Features; f++)
        {
            var feature = "feature-" + f.ToString("D4", CultureInfo.InvariantCulture);
            const int pool = 10;
            var fading = f % 10 == 0;
            for (var d = 0; d < Days; d++)
            {
                var activeUsers = fading && d >= Days - 7 ? pool / 4 : pool;
                for (var h = 0; h < 4; h++)
                {
                    for (var u = 0; u < 2; u++)
                    {
                        var user = ((h * 2) + u) % activeUsers;
                        _rows.Add(new UsageRollup
                        {
                            Hour = start.AddDays(d).AddHours(9 + h), Team = "team-" + (f % 40).ToString(CultureInfo.InvariantCulture), Feature = feature,
                            Model = "gpt-4o", User = "user-" + user.ToString(CultureInfo.InvariantCulture), Environment = "prod",
                            Requests = 20, InputTokens = 40_000, OutputTokens = 4_000, CostUsd = 0.14m, Units = f % 3 == 0 ? 2m : 0m,
                        });
                    }
                }
            }
        }

        // Every 50th feature: 300 more distinct users a day as single-request rows, so a week (2,100+) leaves the exact mode.
        for (var f = 0; f < Features; f += 50)
        {
            for (var d = 0; d < Days; d++)
            {
                for (var u = 0; u < 300; u++)
                {
                    _rows.Add(new UsageRollup
                    {
                        Hour = start.AddDays(d).AddHours(15), Team = "team-" + (f % 40).ToString(CultureInfo.InvariantCulture),
                        Feature = "feature-" + f.ToString("D4", CultureInfo.InvariantCulture), Model = "gpt-4o",
                        User = "user-" + ((d * 300) + u).ToString(CultureInfo.InvariantCulture), Environment = "prod", Requests = 1, InputTokens = 2_000, CostUsd = 0.007m,
                    });
                }
            }
        }

        var profiles = Enumerable.Range(0, Features)
            .Select(f => new FeatureProfile("feature-" + f.ToString("D4", CultureInfo.InvariantCulture), "team", 2_000, 5m, "ticket", f % 3 == 0 ? 0.1m : null, End))
            .ToList();
        _audit = new UsageAuditService(new InMemoryRollups(_rows), new InMemoryRegistry(profiles), new ZombieAuditOptions { Weeks = 12 }, new AnomalyScanOptions());
    }

    /// <summary>One pass over the rows, adding up cost per team and feature.</summary>
    [Benchmark(Baseline = true)]
    public int SumCostPerFeature()
    {
        var sums = new Dictionary<(string, string), decimal>();
        foreach (var row in _rows)
        {
            ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(sums, (row.Team, row.Feature), out _);
            sum += row.CostUsd;
        }

        return sums.Count;
    }

    /// <summary>The nightly audit's evaluation, as its activity runs it (over 12 weeks of the 90 days, plus the unit-economics week).</summary>
    [Benchmark]
    public async Task<int> EvaluateZombieAudit() => (await _audit.EvaluateZombieAsync(End).ConfigureAwait(false)).Candidates.Count;

    /// <summary>Rollups already in memory: the storage read is not part of this measurement.</summary>
    private sealed class InMemoryRollups(List<UsageRollup> rows) : IUsageStore
    {
        public Task<IReadOnlyList<UsageRollup>> GetRollupsAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<UsageRollup>>(rows);

        public Task<IReadOnlyList<RecordOutcome>> RecordAsync(IReadOnlyList<PricedUsageEvent> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> ListBudgetsPendingAsync(DateTimeOffset recordedBefore, int max, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<PricedUsageEvent>> ReadBudgetsPendingAsync(string pendingWrite, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CompleteBudgetsPendingAsync(IEnumerable<string> pendingWrites, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<PricedUsageEvent>> FindAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<SessionUsage>> GetSessionUsageAsync(DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<RollupFoldResult> FoldRollupsAsync(int maxTransactions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<PricedUsageEvent> ReadLedgerAsync(DateTimeOffset fromInclusive, DateTimeOffset toExclusive, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<RetentionSweepResult> DeleteBeforeAsync(DateTimeOffset cutoffHour, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class InMemoryRegistry(List<FeatureProfile> features) : IRegistryStore
    {
        public Task<ListPage<FeatureProfile>> ListFeaturesAsync(PageRequest page, CancellationToken cancellationToken = default) =>
            Task.FromResult(page.Slice(features, f => f.Feature));

        public Task UpsertTeamAsync(TeamProfile team, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<TeamProfile?> GetTeamAsync(string team, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ListPage<TeamProfile>> ListTeamsAsync(PageRequest page, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task UpsertFeatureAsync(FeatureProfile feature, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<FeatureProfile?> GetFeatureAsync(string feature, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

using ControlPlane.Audits;
using ControlPlane.Azure.Audits;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Audits;

/// <summary>Findings on Azurite: one per fingerprint under parallel audit runs, large evidence intact, each opening owed once.</summary>
public sealed class TableFindingStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TableFindingStore _store = new(new TestStorage().Tables);

    private FindingService Service() => new(_store, new NoTopic(), new FakeTimeProvider(Now), new AuditOptions());

    private static FindingCandidate Loop(string session, int repeats, int seriesPoints = 0) => new(
        FindingKinds.AgentLoop,
        new FindingSubject(SubjectTypes.Session, session, "search"),
        FindingSeverity.High,
        new FindingEvidence("the same request hash 10 or more times in one session", Now.AddHours(-1), Now,
            new Dictionary<string, decimal> { ["repeats"] = repeats },
            Series: [.. Enumerable.Range(0, seriesPoints).Select(i => new EvidencePoint(Now.AddMinutes(-i), new Dictionary<string, decimal> { ["calls"] = i, ["costUsd"] = i * 0.0001m }))]),
        "Stop the agent's retry loop.",
        repeats,
        Discriminator: "hash-abc");

    [Fact]
    public async Task TenRunsRecordingTheSameFindingAtOnce_LeaveOneFindingSeenTenTimes_OwingOneEvent()
    {
        var services = Enumerable.Range(0, 10).Select(_ => Service()).ToList();

        var summaries = await Task.WhenAll(services.Select((s, i) => Task.Run(() => s.ObserveAsync($"run-{i}", [Loop("s-1", 12)]))));

        Assert.Equal(1, summaries.Sum(s => s.Opened));
        Assert.Equal(9, summaries.Sum(s => s.Updated));
        var page = await _store.ListAsync(new FindingFilter(), new Paging.PageRequest(100));
        var finding = Assert.Single(page.Items);
        Assert.Equal(10, finding.TimesSeen);
        Assert.Single(await _store.ListEventPendingAsync(100));
    }

    [Fact]
    public async Task EvidenceLargerThanOneStringProperty_RoundTripsWhole()
    {
        await Service().ObserveAsync("run-1", [Loop("s-1", 12, seriesPoints: 1500)]);

        var stored = await _store.GetAsync(Findings.IdFor(Loop("s-1", 12).Fingerprint));

        Assert.Equal(1500, stored!.Finding.Evidence.Series!.Count);
        Assert.Equal(1499 * 0.0001m, stored.Finding.Evidence.Series[^1].Values["costUsd"]);
    }

    [Fact]
    public async Task ClearingTheEvent_WithAStaleTag_LeavesItOwed()
    {
        await Service().ObserveAsync("run-1", [Loop("s-1", 12)]);
        var pending = Assert.Single(await _store.ListEventPendingAsync(10));
        await Service().ObserveAsync("run-2", [Loop("s-1", 14)]); // changed since it was read

        Assert.False(await _store.TryClearEventPendingAsync(pending.Finding.Id, pending.ETag));
        Assert.Single(await _store.ListEventPendingAsync(10));
    }

    private sealed class NoTopic : IEventPublisher
    {
        public bool IsConfigured => false;

        public Task PublishAsync(IReadOnlyList<BudgetEvent> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task PublishAsync(PlatformEvent platformEvent, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

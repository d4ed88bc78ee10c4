using ControlPlane.Pricing;

namespace ControlPlane.Usage;

public sealed class SessionUsageTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 10, 15, 0, TimeSpan.Zero);

    private static PricedUsageEvent Call(string id, string? session, string? hash, DateTimeOffset? at = null, string? user = "u1") => new(
        new UsageEvent
        {
            Id = id, Timestamp = at ?? At, Team = "t", Feature = "agent", Model = "m", User = user, Session = session, RequestHash = hash,
            Tokens = new UsageTokens(100, 0, 0, 10, 0), Units = 1m,
        },
        new UsageCost(0.25m, 0, 0, 0, 0, 0, false, false, null, null));

    [Fact]
    public void Aggregate_EventsOfOneSession_CountsCallsTokensCostAndRepeats()
    {
        var rows = SessionUsage.Aggregate([Call("1", "s1", "h1"), Call("2", "s1", "h1"), Call("3", "s1", "h2"), Call("4", null, "h1")]);

        var row = Assert.Single(rows);
        Assert.Equal(("s1", 3L, 300L, 30L, 0.75m, 3m), (row.Session, row.Calls, row.InputTokens, row.OutputTokens, row.CostUsd, row.Units));
        Assert.Equal(("h1", 2L), row.MostRepeated());
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), row.Hour);
    }

    [Fact]
    public void Merge_RowsOfSeveralWritesAndHours_AddsUpPerSession()
    {
        var rows = SessionUsage.Aggregate([Call("1", "s1", "h1"), Call("2", "s1", "h1", At.AddHours(1), user: null)])
            .Concat(SessionUsage.Aggregate([Call("3", "s1", "h1"), Call("4", "s2", null)]));

        var merged = SessionUsage.Merge(rows);

        Assert.Equal(2, merged.Count);
        Assert.Equal((3L, ("h1", 3L), "u1"), (merged[0].Calls, merged[0].MostRepeated()!.Value, merged[0].User));
        Assert.Null(merged[1].MostRepeated());
    }
}

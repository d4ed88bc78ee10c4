using ControlPlane.Usage;

namespace ControlPlane.Usage;

public sealed class CostQueryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 34, 0, TimeSpan.Zero);

    private static UsageRollup Row(int hoursAgo, string team, string feature, string? user, decimal cost, long requests = 1) => new()
    {
        Hour = UsageRollup.HourOf(Now).AddHours(-hoursAgo), Team = team, Feature = feature, Model = "gpt-4o", User = user,
        Environment = "prod", Requests = requests, InputTokens = 10 * requests, OutputTokens = 5 * requests, CostUsd = cost,
    };

    [Fact]
    public void Parse_Defaults_LastSevenDaysToEndOfCurrentHourByFeature()
    {
        var query = CostQuery.Parse(null, null, null, null, null, Now).Value!;

        Assert.Equal(CostGrouping.Feature, query.GroupBy);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 13, 0, 0, TimeSpan.Zero), query.To);
        Assert.Equal(query.To.AddDays(-7), query.From);
    }

    [Fact]
    public void Parse_PartialHours_WidenToWholeHours()
    {
        var query = CostQuery.Parse("day", "2026-11-20T10:15:00Z", "2026-11-21T08:01:00Z", null, null, Now).Value!;

        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), query.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero), query.To);
    }

    [Theory]
    [InlineData("1", CostErrors.GroupByInvalid)]
    [InlineData("cost", CostErrors.GroupByInvalid)]
    public void Parse_NumericOrUnknownGroupBy_IsRejected(string groupBy, string code)
    {
        Assert.Equal(code, Assert.Single(CostQuery.Parse(groupBy, null, null, null, null, Now).Errors).Code);
    }

    [Fact]
    public void Summarize_FiltersAndGroups_SumsExactlyAndOrdersByCost()
    {
        var query = CostQuery.Parse("user", null, null, "search", null, Now).Value!;
        var rows = new[]
        {
            Row(1, "search", "answers", "ann", 0.1m), Row(2, "search", "answers", "ann", 0.2m),
            Row(1, "search", "summaries", null, 0.7m, requests: 3), Row(1, "billing", "answers", "ann", 5m),
            Row(24 * 8, "search", "answers", "ann", 9m),
        };

        var summary = query.Summarize(rows);

        Assert.Equal(1.0m, summary.TotalCostUsd);
        Assert.Equal(5, summary.Requests);
        Assert.Equal([("(none)", 0.7m), ("ann", 0.3m)], summary.Groups.Select(g => (g.Key, g.CostUsd)));
    }
}

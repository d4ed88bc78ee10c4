using ControlPlane.Usage;

namespace ControlPlane.Usage;

public sealed class CostQueryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 34, 0, TimeSpan.Zero);
    private static readonly KeyValuePair<string, IReadOnlyList<string>>[] NoFilters = [];

    private static UsageRollup Row(int hoursAgo, string team, string feature, string? user, decimal cost, long requests = 1,
        string model = "gpt-4o", string? template = null, IReadOnlyDictionary<string, string>? tags = null) => new()
    {
        Hour = UsageRollup.HourOf(Now).AddHours(-hoursAgo), Team = team, Feature = feature, Model = model, User = user,
        Environment = "prod", Requests = requests, InputTokens = 10 * requests, OutputTokens = 5 * requests, CostUsd = cost,
        PromptTemplate = template, Tags = tags,
    };

    private static CostQuery Parse(string? groupBy, string? from = null, string? to = null, params (string Name, string[] Values)[] filters) =>
        CostQuery.Parse(groupBy, from, to, filters.Select(f => KeyValuePair.Create(f.Name, (IReadOnlyList<string>)f.Values)), Now) is { IsValid: true } ok
            ? ok.Value!
            : throw new InvalidOperationException("The query did not parse.");

    private static IReadOnlyList<string> Errors(string? groupBy, string? from = null, string? to = null, params (string Name, string[] Values)[] filters) =>
        [.. CostQuery.Parse(groupBy, from, to, filters.Select(f => KeyValuePair.Create(f.Name, (IReadOnlyList<string>)f.Values)), Now).Errors.Select(e => e.Code)];

    [Fact]
    public void Parse_Defaults_LastSevenDaysToEndOfCurrentHourByFeature()
    {
        var query = CostQuery.Parse(null, null, null, NoFilters, Now).Value!;

        Assert.Equal("feature", query.GroupByName);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 13, 0, 0, TimeSpan.Zero), query.To);
        Assert.Equal(query.To.AddDays(-7), query.From);
    }

    [Fact]
    public void Parse_PartialHours_WidenToWholeHours()
    {
        var query = Parse("day", "2026-11-20T10:15:00Z", "2026-11-21T08:01:00Z");

        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), query.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero), query.To);
    }

    [Theory]
    [InlineData("team,day", "team,day")]
    [InlineData("DAY,Feature", "day,feature")]
    [InlineData("promptTemplate,costCenter", "promptTemplate,costCenter")]
    [InlineData("tag:project,month", "tag:project,month")]
    [InlineData("week", "week")]
    public void Parse_OneOrTwoDimensions_AreKeptInOrder(string groupBy, string expected)
    {
        Assert.Equal(expected, Parse(groupBy).GroupByName);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("cost")]
    [InlineData("team,day,model")]
    [InlineData("day,hour")]
    [InlineData("team,team")]
    [InlineData("team,")]
    [InlineData(" team")]
    [InlineData("tag:")]
    public void Parse_UnknownRepeatedOrTooManyDimensions_AreRejected(string groupBy)
    {
        Assert.Equal([CostErrors.GroupByInvalid], Errors(groupBy));
    }

    [Fact]
    public void Parse_UnknownFilterOrTimeFilter_IsRejectedNamingIt()
    {
        Assert.Equal([CostErrors.FilterInvalid], Errors("team", filters: ("day", ["2026-11-20"])));
        Assert.Equal([CostErrors.FilterInvalid], Errors("team", filters: ("tag:", ["x"])));
    }

    [Fact]
    public void Summarize_FiltersAndGroups_SumsExactlyAndOrdersByCost()
    {
        var query = Parse("user", filters: ("team", ["search"]));
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

    [Fact]
    public void Summarize_TeamByDay_IsDenseWholeSeriesOrderedByTheirCost()
    {
        var query = Parse("team,day", "2026-11-20", "2026-11-24");
        var rows = new[]
        {
            Row(1, "search", "answers", null, 1m),          // 2026-11-23
            Row(24 * 2, "search", "answers", null, 2m),     // 2026-11-21
            Row(24 * 2 + 1, "billing", "answers", null, 4m), // 2026-11-21
        };

        var summary = query.Summarize(rows);

        string[] days = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"];
        Assert.Equal([.. days.Select(d => $"billing|{d}"), .. days.Select(d => $"search|{d}")], summary.Groups.Select(g => g.Key));
        Assert.Equal([0m, 4m, 0m, 0m, 0m, 2m, 0m, 1m], summary.Groups.Select(g => g.CostUsd));
        Assert.Equal(["search", "2026-11-23"], summary.Groups[^1].Keys);
        Assert.Equal(7m, summary.TotalCostUsd);
        Assert.Equal(4 * 3, query.GroupsPerPage(3));
    }

    [Fact]
    public void Summarize_DayThenTeam_KeepsTheAskedOrderOfKeys()
    {
        var summary = Parse("day,team", "2026-11-22", "2026-11-24").Summarize([Row(1, "search", "answers", null, 1m)]);

        Assert.Equal(["2026-11-22|search", "2026-11-23|search"], summary.Groups.Select(g => g.Key));
    }

    [Fact]
    public void Summarize_TimeOnlyWithNothingRecorded_IsEveryBucketAtZero()
    {
        var summary = Parse("hour", "2026-11-23T00:00:00Z", "2026-11-23T06:00:00Z").Summarize([]);

        Assert.Equal(6, summary.Groups.Count);
        Assert.Equal("2026-11-23T00:00:00Z", summary.Groups[0].Key);
        Assert.All(summary.Groups, g => Assert.Equal(0m, g.CostUsd));
    }

    [Theory]
    [InlineData("week", "2026-11-01", "2026-12-01", "2026-W44,2026-W45,2026-W46,2026-W47,2026-W48,2026-W49")]
    [InlineData("month", "2026-10-15", "2027-01-02", "2026-10,2026-11,2026-12,2027-01")]
    [InlineData("week", "2026-12-28", "2027-01-05", "2026-W53,2027-W01")]
    public void Buckets_WeeksAreIsoAndMonthsCalendar_TouchingTheRange(string bucket, string from, string to, string expected)
    {
        var query = Parse(bucket, from, to);

        Assert.Equal(expected.Split(','), query.Buckets(query.TimeAxis!.Dimension));
    }

    [Fact]
    public void Summarize_RepeatedFilterValues_AreAnyOfThem_AndNoneMatchesTheUnnamed()
    {
        var rows = new[]
        {
            Row(1, "search", "a", null, 1m, model: "gpt-4o"), Row(1, "search", "a", null, 2m, model: "o3"),
            Row(1, "search", "a", null, 4m, model: "gpt-4o-mini"), Row(1, "search", "a", "bob", 8m),
        };

        Assert.Equal(3m, Parse("model", filters: ("model", ["gpt-4o", "o3"])).Summarize(rows.Take(3)).TotalCostUsd);
        Assert.Equal(7m, Parse("model", filters: ("user", [CostQuery.Unattributed])).Summarize(rows).TotalCostUsd);
    }

    [Fact]
    public void Summarize_ByTagTemplateAndCostCenter_NamesWhatCallsDidNotSayAsNone()
    {
        var tagged = new Dictionary<string, string> { ["project"] = "apollo", ["tier"] = "gold" };
        var rows = new[]
        {
            Row(1, "search", "a", null, 1m, template: "summarize-v2", tags: tagged),
            Row(1, "billing", "a", null, 2m),
        };
        var centers = new Dictionary<string, string> { ["search"] = "CC-1042" };

        Assert.Equal([("(none)", 2m), ("apollo", 1m)], Parse("tag:project").Summarize(rows).Groups.Select(g => (g.Key, g.CostUsd)));
        Assert.Equal([("(none)", 2m), ("summarize-v2", 1m)], Parse("promptTemplate").Summarize(rows).Groups.Select(g => (g.Key, g.CostUsd)));
        Assert.Equal([("(none)", 2m), ("CC-1042", 1m)], Parse("costCenter").Summarize(rows, centers).Groups.Select(g => (g.Key, g.CostUsd)));
        Assert.Equal(1m, Parse("team", filters: ("tag:tier", ["gold"])).Summarize(rows).TotalCostUsd);
        Assert.Equal(1m, Parse("team", filters: ("costCenter", ["CC-1042"])).Summarize(rows, centers).TotalCostUsd);
    }

    [Fact]
    public void Summarize_VisibleTeams_HideEveryOtherTeamFromGroupsAndTotals()
    {
        var query = Parse("feature") with { VisibleTeams = new HashSet<string> { "search" } };

        var summary = query.Summarize([Row(1, "search", "a", null, 1m), Row(1, "billing", "b", null, 2m)]);

        Assert.Equal(1m, summary.TotalCostUsd);
        Assert.Equal(["a"], summary.Groups.Select(g => g.Key));
    }

    [Fact]
    public void Summarize_CostByKind_AddsUpAndOlderRowsCountAsUnsplit()
    {
        var split = Row(1, "search", "a", null, 0.6m) with { UncachedInputUsd = 0.1m, OutputUsd = 0.5m, CachedInputTokens = 7 };
        var older = Row(1, "search", "a", null, 0.4m);

        var summary = Parse("team").Summarize([split, older]);

        Assert.Equal(1.0m, summary.TotalCostUsd);
        Assert.Equal(0.4m, summary.Totals.UnsplitUsd);
        Assert.Equal(0.5m, summary.Groups[0].OutputUsd);
        Assert.Equal(7, summary.Groups[0].CachedInputTokens);
    }

    [Fact]
    public void Rollups_OfCallsWithDifferentTemplatesOrTags_StayApartThroughTheFold()
    {
        var a = Row(1, "search", "a", null, 1m, template: "t1", tags: new Dictionary<string, string> { ["p"] = "x" });
        var b = a with { Tags = new Dictionary<string, string> { ["p"] = "y" } };
        var c = a with { PromptTemplate = "t2" };
        var aAgain = a with { Tags = new Dictionary<string, string> { ["p"] = "x" }, CostUsd = 2m };

        var folded = UsageRollup.Fold([a, b, c, aAgain]);

        Assert.Equal(3, folded.Count);
        Assert.Equal(3m, folded.Single(r => r.PromptTemplate == "t1" && r.Tags!["p"] == "x").CostUsd);
    }
}

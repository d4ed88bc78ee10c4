using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ControlPlane.Usage;

/// <summary>
/// <c>GET /api/costs</c>, <c>/api/costs/savings</c> and <c>GET /api/usage</c> on real Azurite: two-way grouping,
/// dense time buckets, filters, paging, CSV, and what a key of one team may see.
/// </summary>
public sealed class CostsApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;
    private decimal _total;

    // Calls on 2026-11-20 and 2026-11-22 (none on 11-21), three teams, two models, tags and templates.
    private static readonly string[] Events =
    [
        Event("c1", "search", "answers", "gpt-4o", "2026-11-20T09:10:00Z", user: "ann", tags: """{"project":"apollo"}""", template: "qa-v1"),
        Event("c2", "search", "answers", "gpt-4o-mini", "2026-11-20T10:10:00Z", user: "bob"),
        Event("c3", "search", "summaries", "gpt-4o", "2026-11-22T08:00:00Z", tags: """{"project":"apollo","tier":"gold"}"""),
        Event("c4", "billing", "invoices", "gpt-4o", "2026-11-22T09:00:00Z", user: "cid", tags: """{"project":"zeus"}"""),
        Event("c5", "billing", "invoices", "gpt-4o-mini", "2026-11-22T23:59:00Z"),
        Event("c6", "legal", "review", "gpt-4o", "2026-11-20T00:00:00Z", template: "qa-v1"),
    ];

    private static string Event(string id, string team, string feature, string model, string at, string? user = null, string? tags = null, string? template = null) =>
        $$"""{"id":"{{id}}","team":"{{team}}","feature":"{{feature}}","model":"{{model}}","provider":"azure-openai","timestamp":"{{at}}","inputTokens":12000,"cachedInputTokens":10000,"outputTokens":300{{(user is null ? "" : $",\"user\":\"{user}\"")}}{{(tags is null ? "" : $",\"tags\":{tags}")}}{{(template is null ? "" : $",\"promptTemplate\":\"{template}\"")}}}""";

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        var recorded = await (await _admin.PostJsonAsync("/api/usage", $"{{\"events\":[{string.Join(",", Events)}]}}")).JsonAsync();
        Assert.Equal(Events.Length, recorded.GetProperty("recorded").GetInt32());
        _total = recorded.GetProperty("costUsd").GetDecimal();
        (await _admin.PutAsync("/api/teams/search", Json("""{"costCenter":"CC-1042"}"""))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private async Task<JsonElement> CostsAsync(string query, HttpClient? client = null)
    {
        var response = await (client ?? _admin).GetAsync($"/api/costs?from=2026-11-20&to=2026-11-23&{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement;
    }

    private static decimal Sum(JsonElement answer) => answer.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("costUsd").GetDecimal());

    private static IReadOnlyList<string> Keys(JsonElement answer) => [.. answer.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()!)];

    [Fact]
    public async Task TeamByDay_IsEveryTeamTimesEveryDay_WithTheEmptyDayAsZeros()
    {
        var answer = await CostsAsync("groupBy=team,day");

        Assert.Equal("team,day", answer.GetProperty("groupBy").GetString());
        Assert.Equal(9, answer.GetProperty("groups").GetArrayLength());
        Assert.All(answer.GetProperty("groups").EnumerateArray().Where(g => g.GetProperty("keys")[1].GetString() == "2026-11-21"),
            g => Assert.Equal(0m, g.GetProperty("costUsd").GetDecimal()));
        Assert.Equal(_total, answer.GetProperty("totalCostUsd").GetDecimal());
        Assert.Equal(_total, Sum(answer));
        // Each team's series together, in time order.
        Assert.Equal(["2026-11-20", "2026-11-21", "2026-11-22"], answer.GetProperty("groups").EnumerateArray().Take(3).Select(g => g.GetProperty("keys")[1].GetString()));
    }

    [Theory]
    [InlineData("week", "2026-W47")]
    [InlineData("month", "2026-11")]
    [InlineData("hour", "2026-11-20T00:00:00Z")]
    public async Task TimeBuckets_LabelTheirBucketsAndAddUpToTheTotal(string bucket, string first)
    {
        var answer = await CostsAsync($"groupBy={bucket}&limit=1000");

        Assert.Equal(first, Keys(answer)[0]);
        Assert.Equal(_total, Sum(answer));
        if (bucket == "hour")
        {
            Assert.Equal(72, answer.GetProperty("groups").GetArrayLength());
        }
    }

    [Fact]
    public async Task Filters_RepeatedValuesTagsTemplatesCostCentersAndNone_SelectExactlyTheirCalls()
    {
        var one = await CostsAsync("groupBy=team&team=legal");
        var each = one.GetProperty("totalCostUsd").GetDecimal();   // every call has the same tokens; the models differ

        var models = await CostsAsync("groupBy=model&model=gpt-4o&model=gpt-4o-mini&team=search&team=billing");
        Assert.Equal(5, models.GetProperty("requests").GetInt64());
        var apollo = await CostsAsync("groupBy=feature&tag:project=apollo");
        Assert.Equal(["answers", "summaries"], Keys(apollo).Order());
        var gold = await CostsAsync("groupBy=tag:tier");
        Assert.Equal(["(none)", "gold"], Keys(gold).Order());
        var template = await CostsAsync("groupBy=team&promptTemplate=qa-v1");
        Assert.Equal(["legal", "search"], Keys(template).Order());
        var centers = await CostsAsync("groupBy=costCenter");
        Assert.Equal(["(none)", "CC-1042"], Keys(centers).Order(StringComparer.Ordinal));
        var byCenter = await CostsAsync("groupBy=team&costCenter=CC-1042");
        Assert.Equal(["search"], Keys(byCenter));
        var noUser = await CostsAsync("groupBy=feature&user=(none)");
        Assert.Equal(3, noUser.GetProperty("requests").GetInt64());
        Assert.Equal(each, (await CostsAsync("groupBy=user&user=(none)&team=legal")).GetProperty("totalCostUsd").GetDecimal());
    }

    [Theory]
    [InlineData("groupBy=team&colour=red", "costs_filter_invalid")]
    [InlineData("groupBy=team&day=2026-11-20", "costs_filter_invalid")]
    [InlineData("groupBy=team&format=xml", "costs_format_invalid")]
    [InlineData("groupBy=team,hour&from=2025-11-01&to=2026-11-01&limit=1000", "costs_answer_too_large")]
    [InlineData("groupBy=team&next=bm90LWEtdG9rZW4", "page_next_invalid")]
    public async Task BadQuery_Is400WithItsCode(string query, string code)
    {
        var response = await _admin.GetAsync($"/api/costs?{query}");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Paging_WalksEveryGroupOnce_AndTwoWayTimePagesHoldWholeSeries()
    {
        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await CostsAsync($"groupBy=feature,model&limit=2{(next is null ? "" : $"&next={next}")}");
            Assert.True(page.GetProperty("groups").GetArrayLength() <= 2);
            Assert.Equal(_total, page.GetProperty("totalCostUsd").GetDecimal());
            seen.AddRange(Keys(page));
            next = page.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        }
        while (next is not null);

        Assert.Equal(6, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        var series = await CostsAsync("groupBy=team,day&limit=1");
        Assert.Equal(3, series.GetProperty("groups").GetArrayLength());
        Assert.Single(series.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("keys")[0].GetString()).Distinct());
        Assert.Equal(9, series.GetProperty("totalGroups").GetInt32());
    }

    [Fact]
    public async Task Csv_ByAcceptOrFormat_IsTheWholeViewWithExactAmounts()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/costs?from=2026-11-20&to=2026-11-23&groupBy=team,day");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var byAccept = await _admin.SendAsync(request);
        var byFormat = await _admin.GetAsync("/api/costs?from=2026-11-20&to=2026-11-23&groupBy=team,day&format=csv");

        Assert.Equal("text/csv", byAccept.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", byFormat.Content.Headers.ContentDisposition?.ToString());
        var lines = (await byFormat.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(await byAccept.Content.ReadAsStringAsync(), await byFormat.Content.ReadAsStringAsync());
        Assert.StartsWith("team,day,costUsd,requests,", lines[0]);
        Assert.Equal(10, lines.Length);
        Assert.Equal(_total, lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task IngestKey_SeesOnlyItsTeams_AndNamingAnotherTeamIs403()
    {
        var search = _app.Client(await _app.IssueKeyAsync("ingest", "search"));

        var own = await CostsAsync("groupBy=team", search);
        Assert.Equal(["search"], Keys(own));
        Assert.Equal(own.GetProperty("totalCostUsd").GetDecimal(), Sum(own));
        Assert.Equal(["2026-11-20", "2026-11-21", "2026-11-22"], Keys(await CostsAsync("groupBy=day", search)));
        await (await search.GetAsync("/api/costs?groupBy=team&team=billing")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        await (await search.GetAsync("/api/costs?groupBy=team&team=search&team=billing")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        await (await search.GetAsync("/api/usage?team=billing&from=2026-11-20&to=2026-11-23")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        var calls = await (await search.GetAsync("/api/usage?from=2026-11-20&to=2026-11-23")).JsonAsync();
        Assert.All(calls.GetProperty("items").EnumerateArray(), e => Assert.Equal("search", e.GetProperty("team").GetString()));
        await (await search.GetAsync("/api/costs/savings?from=2026-11-20&to=2026-11-23&team=billing")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        var me = await (await search.GetAsync("/api/me")).JsonAsync();
        Assert.Equal("ingest", me.GetProperty("role").GetString());
        Assert.Equal(["search"], me.GetProperty("teams").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task IngestKey_ReplayingAnotherKeysPageToken_StillSeesOnlyItsTeam()
    {
        var search = _app.Client(await _app.IssueKeyAsync("ingest", "search"));
        var adminPage = await CostsAsync("groupBy=team,feature&limit=1");
        var token = adminPage.GetProperty("next").GetString();

        var replayed = await CostsAsync($"groupBy=team,feature&limit=10&next={token}", search);

        // The token is only a position: the key's own teams are applied again, and the totals never grow.
        Assert.All(replayed.GetProperty("groups").EnumerateArray(), g => Assert.Equal("search", g.GetProperty("keys")[0].GetString()));
        Assert.Equal((await CostsAsync("groupBy=team", search)).GetProperty("totalCostUsd").GetDecimal(), replayed.GetProperty("totalCostUsd").GetDecimal());
        await (await search.GetAsync("/api/costs?groupBy=team&next=OTk5OTk5OTk5OTk5")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_next_invalid");
    }

    [Fact]
    public async Task Calls_OfAGroup_AreNewestFirstAndPageWithoutRepeats()
    {
        var first = await (await _admin.GetAsync("/api/usage?from=2026-11-20&to=2026-11-23&feature=answers&feature=invoices&limit=3")).JsonAsync();
        var items = first.GetProperty("items").EnumerateArray().ToList();
        var second = await (await _admin.GetAsync($"/api/usage?from=2026-11-20&to=2026-11-23&feature=answers&feature=invoices&limit=3&next={first.GetProperty("next").GetString()}")).JsonAsync();
        items.AddRange(second.GetProperty("items").EnumerateArray());

        Assert.Equal(["c5", "c4", "c2", "c1"], items.Select(e => e.GetProperty("id").GetString()));
        Assert.False(second.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String);
        Assert.Equal(_total, (await (await _admin.GetAsync("/api/usage?from=2026-11-20&to=2026-11-23&limit=100")).JsonAsync())
            .GetProperty("items").EnumerateArray().Sum(e => e.GetProperty("costUsd").GetDecimal()));
        await (await _admin.GetAsync("/api/usage?from=2026-10-01&to=2026-11-23")).AssertProblemAsync(HttpStatusCode.BadRequest, "costs_range_too_long");
    }

    [Fact]
    public async Task Savings_OfCachedTokens_AreRealized()
    {
        var savings = await (await _admin.GetAsync("/api/costs/savings?from=2026-11-20&to=2026-11-23")).JsonAsync();

        Assert.True(savings.GetProperty("realizedUsd").GetDecimal() > 0);
        Assert.Contains(savings.GetProperty("realized").EnumerateArray(), l => l.GetProperty("kind").GetString() == "cache");
    }
}

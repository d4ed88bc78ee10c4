using System.Net;

namespace ControlPlane.Budgets;

/// <summary>The outbox pages like every list (issue 9, item 14): nothing repeated, nothing lost, bad tokens refused.</summary>
public sealed class EventsApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        await _admin.PutBudgetAsync("small", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, mode = "soft" });
        await _admin.PutBudgetAsync("other", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1.6m, mode = "soft" });

        // $1.25 crosses warn, review and block on "small" ($1) and only warn on "other" ($1.20 of $1.60).
        await _admin.PostUsageAsync("big", 500_000, 0);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ListEvents_OneAPage_WalksEveryEventOnce()
    {
        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await (await _admin.GetAsync("/api/events?limit=1" + (next is null ? "" : "&next=" + Uri.EscapeDataString(next)))).JsonAsync();
            seen.AddRange(page.GetProperty("events").EnumerateArray().Select(e => $"{e.GetProperty("budgetId").GetString()}:{e.GetProperty("threshold").GetString()}"));
            next = page.TryGetProperty("next", out var n) ? n.GetString() : null;
        }
        while (next is not null);

        Assert.Equal(["other:warn", "small:block", "small:review", "small:warn"], seen.Order(StringComparer.Ordinal));
        var one = await (await _admin.GetAsync("/api/events?budgetId=other")).JsonAsync();
        Assert.Single(one.GetProperty("events").EnumerateArray());
        Assert.False(one.TryGetProperty("next", out _));
    }

    [Theory]
    [InlineData("limit=0", "page_limit_invalid")]
    [InlineData("limit=1001", "page_limit_invalid")]
    [InlineData("next=not-a-token", "page_next_invalid")]
    public async Task ListEvents_BadPaging_Is400(string query, string code) =>
        await (await _admin.GetAsync("/api/events?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest, code);
}

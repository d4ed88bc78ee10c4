using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Batch;
using ControlPlane.Budgets;
using ControlPlane.Capacity;
using ControlPlane.Orchestrations;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Paging;

/// <summary>
/// Every list endpoint pages: ?limit= (default 100, at most 1,000) and ?next=, a stable order, no next on the last
/// page, and a bad token or limit is a 400. Each test walks every page and checks nothing is lost or repeated.
/// </summary>
public sealed class ListPagingTests : IAsyncLifetime
{
    private const string ScaleSet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/";
    private BatchHarness _h = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _h = await BatchHarness.StartAsync();
        _admin = _h.Admin;
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    /// <summary>Follows <c>next</c> to the end; returns every page's items (by <paramref name="idOf"/>) in order.</summary>
    private static async Task<List<List<string>>> WalkAsync(HttpClient client, string path, string property, int limit, Func<JsonElement, string> idOf)
    {
        var pages = new List<List<string>>();
        string? next = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var url = $"{path}{separator}limit={limit}" + (next is null ? string.Empty : $"&next={Uri.EscapeDataString(next)}");
            var response = await client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {await response.Content.ReadAsStringAsync()}");
            var body = await response.JsonAsync();
            var items = body.GetProperty(property).EnumerateArray().Select(idOf).ToList();
            Assert.InRange(items.Count, 0, limit);
            next = body.TryGetProperty("next", out var n) ? n.GetString() : null;
            Assert.True(next is null || items.Count == limit, "Only the last page may be short.");
            pages.Add(items);
            Assert.True(pages.Count < 1000, "The walk does not end.");
        }
        while (next is not null);

        return pages;
    }

    private static void AssertWalk(List<List<string>> pages, IReadOnlyList<string> expected, int expectedPages)
    {
        var all = pages.SelectMany(p => p).ToList();
        Assert.Equal(expected, all);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(expectedPages, pages.Count);
    }

    [Fact]
    public async Task Budgets_WalkedThreeAtATime_EveryBudgetOnceInIdOrder()
    {
        var ids = Enumerable.Range(0, 7).Select(i => $"b-{i}").Reverse().ToList();
        foreach (var id in ids)
        {
            await _admin.PutBudgetAsync(id, new { scope = new { type = "team", value = id }, period = "daily", limitUsd = 1m });
        }

        var pages = await WalkAsync(_admin, "/api/budgets", "budgets", 3, b => b.GetProperty("id").GetString()!);

        AssertWalk(pages, [.. ids.Order(StringComparer.Ordinal)], 3);
    }

    [Fact]
    public async Task Keys_WalkedTwoAtATime_EveryKeyOnce()
    {
        for (var i = 0; i < 5; i++)
        {
            await _h.App.IssueKeyAsync("finance");
        }

        var whole = await WalkAsync(_admin, "/api/keys", "keys", 1000, k => k.GetProperty("id").GetString()!);
        var pages = await WalkAsync(_admin, "/api/keys", "keys", 2, k => k.GetProperty("id").GetString()!);

        Assert.Equal(5, whole[0].Count);
        AssertWalk(pages, whole[0], 3);
    }

    [Fact]
    public async Task Prices_WalkedSevenAtATime_TheWholeSheetOnce()
    {
        static string Id(JsonElement p) => $"{p.GetProperty("provider").GetString()}|{p.GetProperty("model").GetString()}|{p.GetProperty("origin").GetString()}|" +
            $"{(p.TryGetProperty("deploymentType", out var d) ? d.GetString() : null)}|{(p.TryGetProperty("effectiveFrom", out var e) ? e.GetString() : null)}";

        var whole = await WalkAsync(_admin, "/api/prices", "prices", 1000, Id);
        var pages = await WalkAsync(_admin, "/api/prices", "prices", 7, Id);

        Assert.True(whole[0].Count > 14, "The shipped sheet has more than two pages of seven.");
        AssertWalk(pages, whole[0], (whole[0].Count + 6) / 7);
        var defaultPage = await (await _admin.GetAsync("/api/prices")).JsonAsync();
        Assert.Equal(Math.Min(100, whole[0].Count), defaultPage.GetProperty("prices").GetArrayLength());
    }

    [Fact]
    public async Task KillSwitches_WalkedThreeAtATime_BudgetsThenIsolationsOnce()
    {
        for (var i = 0; i < 5; i++)
        {
            await _admin.PutBudgetAsync($"hard-{i}", new { scope = new { type = "team", value = $"t{i}" }, period = "daily", limitUsd = 1m });
        }

        await _admin.PutBudgetAsync("soft-0", new { scope = new { type = "team", value = "t0" }, period = "daily", limitUsd = 1m, mode = "soft" });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "team", value = "t9" } });
        await _admin.PostAsJsonAsync("/api/killswitches/isolate", new { scope = new { type = "feature", value = "f9" } });

        var pages = await WalkAsync(_admin, "/api/killswitches", "killSwitches", 3,
            s => s.TryGetProperty("budgetId", out var b) ? b.GetString()! : $"{s.GetProperty("scope").GetProperty("type").GetString()}:{s.GetProperty("scope").GetProperty("value").GetString()}");

        AssertWalk(pages, ["hard-0", "hard-1", "hard-2", "hard-3", "hard-4", "feature:f9", "team:t9"], 3);
    }

    [Fact]
    public async Task GpuPools_WalkedTwoAtATime_EveryPoolOnceAndAnIngestKeyOnlyItsOwnAcrossPages()
    {
        for (var i = 0; i < 6; i++)
        {
            var response = await _admin.PutAsJsonAsync($"/api/gpu/pools/pool-{i}", new { scaleSetId = ScaleSet + i, minCapacity = 0, maxCapacity = 2, team = i % 3 == 0 ? "search" : "other" });
            response.EnsureSuccessStatusCode();
        }

        var search = _h.App.Client(await _h.App.IssueKeyAsync("ingest", "search"));
        var all = await WalkAsync(_admin, "/api/gpu/pools", "pools", 2, p => p.GetProperty("pool").GetProperty("name").GetString()!);
        var own = await WalkAsync(search, "/api/gpu/pools", "pools", 1, p => p.GetProperty("pool").GetProperty("name").GetString()!);

        AssertWalk(all, ["pool-0", "pool-1", "pool-2", "pool-3", "pool-4", "pool-5"], 3);
        AssertWalk(own, ["pool-0", "pool-3"], 2);
    }

    [Fact]
    public async Task GpuDecisions_WalkedTwoAtATime_NewestFirstOnce()
    {
        (await _admin.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId = ScaleSet + "infer", minCapacity = 0, maxCapacity = 2, team = "search" })).EnsureSuccessStatusCode();
        var store = _h.App.Services.GetRequiredService<IGpuPoolStore>();
        for (var i = 0; i < 5; i++)
        {
            await store.AddDecisionAsync(new CapacityDecision
            {
                Pool = "infer", Timestamp = ControlPlaneApp.Start.AddMinutes(5 * i), CurrentCapacity = i, DesiredCapacity = i + 1, Mode = PoolMode.Recommend, Reasons = [$"run {i}"],
            });
        }

        var pages = await WalkAsync(_admin, "/api/gpu/pools/infer/decisions", "decisions", 2, d => d.GetProperty("reasons")[0].GetString()!);

        AssertWalk(pages, ["run 4", "run 3", "run 2", "run 1", "run 0"], 3);
    }

    [Fact]
    public async Task BatchRequests_WalkedThreeAtATime_NewestFirstOnceEvenWithEqualTimes()
    {
        var expected = new List<string>();
        for (var minute = 0; minute < 3; minute++)
        {
            var same = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                same.Add(await _h.SubmitOkAsync($"m{minute}-r{i}"));
            }

            // Equal times are ordered by key, which the test does not know: newest minute first, any order within it.
            expected.InsertRange(0, same);
            _h.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var pages = await WalkAsync(_admin, "/api/batch/requests", "requests", 2, r => r.GetProperty("id").GetString()!);
        var all = pages.SelectMany(p => p).ToList();

        Assert.Equal(expected.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(5, pages.Count);
        Assert.Equal(["m2", "m2", "m2", "m1", "m1", "m1", "m0", "m0", "m0"], all.Select(id => id[..2]));
        var whole = await WalkAsync(_admin, "/api/batch/requests", "requests", 1000, r => r.GetProperty("id").GetString()!);
        Assert.Equal(whole[0], all);
    }

    [Fact]
    public async Task BatchRequests_RequestsAddedWhileWalking_NothingSeenIsRepeatedOrLost()
    {
        for (var i = 0; i < 4; i++)
        {
            await _h.SubmitOkAsync($"old-{i}");
            _h.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await (await _admin.GetAsync("/api/batch/requests?limit=2")).JsonAsync();
        await _h.SubmitOkAsync("newer");
        var second = await (await _admin.GetAsync($"/api/batch/requests?limit=2&next={Uri.EscapeDataString(first.GetProperty("next").GetString()!)}")).JsonAsync();

        var seen = first.GetProperty("requests").EnumerateArray().Concat(second.GetProperty("requests").EnumerateArray()).Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(["old-3", "old-2", "old-1", "old-0"], seen);
        Assert.False(second.TryGetProperty("next", out _));
    }

    [Fact]
    public async Task Orchestrations_WalkedTwoAtATime_NewestFirstOnce()
    {
        // Instances of an orchestrator nobody registered: scheduled in order, each a moment after the last (they fail
        // at once, which is fine: only the listing is under test).
        var client = _h.App.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        var ids = new[] { "run-a", "run-b", "run-c", "run-d", "run-e" };
        foreach (var id in ids)
        {
            await client.ScheduleNewOrchestrationInstanceAsync("test", input: null, new Microsoft.DurableTask.StartOrchestrationOptions(id));
            await Task.Delay(30);
        }

        var pages = await WalkAsync(_admin, "/api/orchestrations?kind=test", "instances", 2, o => o.GetProperty("id").GetString()!);

        AssertWalk(pages, ["run-e", "run-d", "run-c", "run-b", "run-a"], 3);
    }

    [Theory]
    [InlineData("/api/budgets")]
    [InlineData("/api/keys")]
    [InlineData("/api/prices")]
    [InlineData("/api/killswitches")]
    [InlineData("/api/gpu/pools")]
    [InlineData("/api/batch/requests")]
    [InlineData("/api/orchestrations")]
    public async Task List_BadNextOrLimit_Is400WithAStableCode(string path)
    {
        await (await _admin.GetAsync($"{path}?next=not-a-token")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_next_invalid");
        await (await _admin.GetAsync($"{path}?next=eyJMIjoib3RoZXIiLCJBIjpbIngiXX0")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_next_invalid");
        await (await _admin.GetAsync($"{path}?limit=0")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_limit_invalid");
        await (await _admin.GetAsync($"{path}?limit=1001")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_limit_invalid");
    }

    [Fact]
    public async Task List_TokenOfAnotherList_Is400()
    {
        for (var i = 0; i < 2; i++)
        {
            await _admin.PutBudgetAsync($"b-{i}", new { scope = new { type = "team", value = "t" }, period = "daily", limitUsd = 1m });
        }

        var next = (await (await _admin.GetAsync("/api/budgets?limit=1")).JsonAsync()).GetProperty("next").GetString()!;

        await (await _admin.GetAsync($"/api/keys?next={Uri.EscapeDataString(next)}")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_next_invalid");
        await (await _admin.GetAsync($"/api/batch/requests?next={Uri.EscapeDataString(next)}")).AssertProblemAsync(HttpStatusCode.BadRequest, "page_next_invalid");
    }

    [Fact]
    public async Task OpenApi_EveryList_DescribesLimitAndNext()
    {
        var document = await (await _h.App.Client(apiKey: null).GetAsync("/api/openapi.json")).JsonAsync();

        foreach (var path in new[] { "/api/budgets", "/api/keys", "/api/prices", "/api/killswitches", "/api/gpu/pools", "/api/gpu/pools/{pool}/decisions", "/api/batch/requests", "/api/orchestrations", "/api/events" })
        {
            var parameters = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray().ToList();
            foreach (var name in new[] { "limit", "next" })
            {
                var parameter = parameters.SingleOrDefault(p => p.GetProperty("name").GetString() == name);
                Assert.True(parameter.ValueKind == JsonValueKind.Object, $"{path} does not declare ?{name}=.");
                Assert.False(string.IsNullOrEmpty(parameter.GetProperty("description").GetString()), $"{path} ?{name}= has no description.");
            }
        }
    }
}

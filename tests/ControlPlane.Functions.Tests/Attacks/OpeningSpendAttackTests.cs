using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;

namespace ControlPlane.Attacks;

/// <summary>
/// Hole 12: a budget created mid-period must not start at zero while its scope has already spent — otherwise an
/// admin "capping" a runaway team at $40 when it has spent $50 would grant it another $40.
/// </summary>
public sealed class OpeningSpendAttackTests : IAsyncLifetime
{
    // gpt-4o on azure-openai: 1,000 in + 1,000 out = $0.0125 per call.
    private const decimal Call = 0.0125m;
    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static object Monthly(decimal limitUsd, string team = "search") =>
        new { scope = new { type = "team", value = team }, period = "monthly", limitUsd };

    private async Task SpendAsync(string prefix, int calls, string team = "search")
    {
        for (var i = 0; i < calls; i++)
        {
            await _admin.PostUsageAsync($"{prefix}-{i}", 1000, 1000, team: team);
        }
    }

    [Fact]
    public async Task Budget_CreatedMidPeriod_StartsFromLedgerSpend()
    {
        await SpendAsync("before", 4);
        await SpendAsync("elsewhere", 3, team: "billing");

        var created = await _admin.PutBudgetAsync("search-cap", Monthly(0.04m));

        Assert.Equal(4 * Call, created.Money("spentUsd"));
        Assert.Equal(4 * Call, created.Money("openingSpendUsd"));
        Assert.Equal(_app.Clock.GetUtcNow(), created.GetProperty("openingSpendAsOf").GetDateTimeOffset());
        Assert.Equal("blocked", created.GetProperty("state").GetString());
        Assert.Equal("tripped", created.GetProperty("killSwitch").GetString());
        var denied = await _admin.AuthorizeAsync(maxOutputTokens: 1);
        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("kill_switch_tripped", denied.GetProperty("reason").GetString());
        var read = await _admin.GetBudgetAsync("search-cap");
        Assert.Equal(4 * Call, read.Money("openingSpendUsd"));
        Assert.Equal(4 * Call, read.Money("spentUsd"));
    }

    [Fact]
    public async Task Budget_CreatedAfterHalfSpend_AllowsOnlyTheRest()
    {
        await SpendAsync("first-half", 4);

        var created = await _admin.PutBudgetAsync("search-cap", Monthly(8 * Call));

        Assert.Equal(4 * Call, created.Money("remainingUsd"));
        var allowed = 0;
        for (var i = 0; i < 8; i++)
        {
            var answer = await _admin.AuthorizeAsync();
            if (!answer.GetProperty("allowed").GetBoolean())
            {
                Assert.Equal("budget_exceeded", answer.GetProperty("reason").GetString());
                break;
            }

            allowed++;
        }

        Assert.Equal(4, allowed);
    }

    [Fact]
    public async Task Budget_UpsertedAgainUnchanged_DoesNotChargeTwice()
    {
        await SpendAsync("before", 2);
        var created = await _admin.PutBudgetAsync("search-cap", Monthly(1m));
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        await SpendAsync("after", 1);

        var again = await _admin.PutBudgetAsync("search-cap", Monthly(1m));
        var raised = await _admin.PutBudgetAsync("search-cap", Monthly(2m));

        Assert.Equal(2 * Call, created.Money("spentUsd"));
        Assert.Equal(3 * Call, again.Money("spentUsd"));
        Assert.Equal(3 * Call, raised.Money("spentUsd"));
        Assert.Equal(2 * Call, raised.Money("openingSpendUsd"));
        Assert.Equal(created.GetProperty("openingSpendAsOf").GetDateTimeOffset(), raised.GetProperty("openingSpendAsOf").GetDateTimeOffset());
    }

    [Fact]
    public async Task Budget_ScopeChangedMidPeriod_RestatesToTheNewScopesSpend()
    {
        await SpendAsync("search", 3);
        await SpendAsync("billing", 1, team: "billing");
        await _admin.PutBudgetAsync("cap", Monthly(1m, team: "search"));
        _app.Clock.Advance(TimeSpan.FromMinutes(5));

        var moved = await _admin.PutBudgetAsync("cap", Monthly(1m, team: "billing"));
        await SpendAsync("billing-after", 1, team: "billing");
        await SpendAsync("search-after", 1);

        Assert.Equal(1 * Call, moved.Money("spentUsd"));
        Assert.Equal(1 * Call, moved.Money("openingSpendUsd"));
        Assert.Equal(_app.Clock.GetUtcNow(), moved.GetProperty("openingSpendAsOf").GetDateTimeOffset());
        Assert.Equal(2 * Call, (await _admin.GetBudgetAsync("cap")).Money("spentUsd"));
    }

    [Fact]
    public async Task Budget_EveryScopeType_OpensWithItsScopesLedgerSpend()
    {
        var web = await PostAsync(new { id = "web-1", team = "search", feature = "answers", user = "alice", app = "web", environment = "prod", provider = "azure-openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 1000 });
        var mobile = await PostAsync(new { id = "mobile-1", team = "billing", feature = "invoices", user = "bob", app = "mobile", environment = "dev", provider = "azure-openai", model = "gpt-4o-mini", inputTokens = 4000, outputTokens = 2000 });
        Assert.True(mobile > 0);

        foreach (var (type, value, expected) in new[]
        {
            ("org", "contoso", web + mobile), ("team", "search", web), ("feature", "invoices", mobile), ("user", "alice", web),
            ("environment", "dev", mobile), ("model", "GPT-4O", web), ("app", "mobile", mobile),
        })
        {
            var budget = await _admin.PutBudgetAsync($"{type}-cap", new { scope = new { type, value }, period = "daily", limitUsd = 10m, mode = "soft" });
            Assert.True(expected == budget.Money("openingSpendUsd"), $"{type}={value}: expected {expected}, opened with {budget.Money("openingSpendUsd")}");
            Assert.Equal(expected, budget.Money("spentUsd"));
        }
    }

    private async Task<decimal> PostAsync(object usage)
    {
        var response = await _admin.PostAsJsonAsync("/api/usage", usage);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).Money("costUsd");
    }
}

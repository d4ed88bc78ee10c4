using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ControlPlane.Dashboard;

/// <summary>
/// The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright against ControlPlane on a real
/// port (Kestrel) and real Azurite. scripts/test.sh installs Chromium when it is missing; <c>CHROMIUM</c> names another
/// binary. Screenshots of the main views go to <c>screenshots/</c> in the test output folder.
/// </summary>
public sealed class DashboardBrowserTests(DashboardBrowserTests.Site site) : IClassFixture<DashboardBrowserTests.Site>
{
    /// <summary>The browser's clock: the dashboard computes "today" and "this month" from it, as a user's browser would.</summary>
    private static readonly DateTimeOffset BrowserNow = new(2026, 11, 23, 12, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task Admin_SignsIn_ChangesRangeAndGrouping_DrillsDown_AndExportsCsv()
    {
        var page = await site.OpenAsync();
        await SignInAsync(page, ControlPlaneApp.AdminKey);

        // Overview: this month's spend is every call this month, as the API totals it.
        Assert.Equal(Usd(site.MonthTotal), await page.Locator("#spend-month").TextContentAsync());
        Assert.Equal(Usd(site.TodayTotal), await page.Locator("#spend-today").TextContentAsync());
        await Assertions.Expect(page.Locator("#chart-svg rect.seg").First).ToBeVisibleAsync();
        await Site.ScreenshotAsync(page, "overview");

        await page.SelectOptionAsync("#group-by", "model");
        await Assertions.Expect(page.Locator("#chart-title")).ToContainTextAsync("by model");
        await Assertions.Expect(page.Locator("#breakdown tr.pick")).ToHaveCountAsync(2);
        await page.SelectOptionAsync("#range", "7d");
        await page.SelectOptionAsync("#bucket", "hour");
        await Assertions.Expect(page.Locator("#chart-title")).ToContainTextAsync("per hour, by model");

        // Drill down from the first model to its calls.
        var first = page.Locator("#breakdown tr.pick").First;
        var model = (await first.Locator("td").First.TextContentAsync())!;
        await first.ClickAsync();
        await Assertions.Expect(page.Locator("#calls-card")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#calls tr:has(td)")).ToHaveCountAsync(site.CallsOf(model));
        await Site.ScreenshotAsync(page, "drill-down");

        // CSV of the view: every (model, hour) cell, adding up to what the API says for the range.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("model,hour,costUsd,", lines[0]);
        Assert.Equal(site.WeekTotal, lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)));
        // Dense: two models × every hour from 2026-11-17 00:00 to the end of the browser's current hour (13:00).
        Assert.Equal(2 * (6 * 24 + 13), lines.Length - 1);
        Assert.EndsWith(".csv", download.SuggestedFilename);
    }

    [Fact]
    public async Task ASlowAnswerToTheOldGrouping_IsAbandoned_NotDrawnOverTheNewOne()
    {
        var page = await site.OpenAsync();
        // The breakdown by feature (the grouping the page opens with) is held at the network until the test lets it go,
        // the way a slow rollup query looks to the browser.
        var held = new TaskCompletionSource<IRoute>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(
            url => url.Contains("/api/costs?", StringComparison.Ordinal) && url.Contains("groupBy=feature&limit=25", StringComparison.Ordinal),
            route => { held.TrySetResult(route); return Task.CompletedTask; });
        var abandoned = new TaskCompletionSource<IRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.RequestFailed += (_, request) =>
        {
            if (request.Url.Contains("groupBy=feature&limit=25", StringComparison.Ordinal))
            {
                abandoned.TrySetResult(request);
            }
        };

        await SignInAsync(page, ControlPlaneApp.AdminKey);
        var oldQuestion = await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await page.SelectOptionAsync("#group-by", "model");
        await Assertions.Expect(page.Locator("#breakdown tr.pick")).ToHaveCountAsync(2);

        // The page gave up on the old question when the grouping changed; letting its answer through changes nothing.
        await abandoned.Task.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            await oldQuestion.ContinueAsync();
        }
        catch (PlaywrightException)
        {
            // Expected: the browser has already cancelled the request, so there is nothing left to continue.
        }

        Assert.Equal(["gpt-4o", "gpt-4o-mini"], (await page.Locator("#breakdown tr.pick td:first-child").AllTextContentsAsync()).Order());
    }

    [Fact]
    public async Task Admin_IsolatesATeam_AndResetsIt_FromTheBudgetsPanel()
    {
        var page = await site.OpenAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await SignInAsync(page, ControlPlaneApp.AdminKey);
        await Assertions.Expect(page.Locator("#budgets tr[data-budget='search-monthly']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#budgets tr[data-budget='search-monthly'] svg.spark")).ToBeVisibleAsync();

        await page.SelectOptionAsync("#isolate-type", "team");
        await page.FillAsync("#isolate-value", "legal");
        await page.ClickAsync("#isolate");
        var row = page.Locator("#switches tr[data-scope='team:legal']");
        await Assertions.Expect(row).ToContainTextAsync("isolated");
        Assert.True(await site.BlockedAsync("legal"));
        await Site.ScreenshotAsync(page, "budgets-isolated");

        await row.Locator("button", new() { HasText = "Reset" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.False(await site.BlockedAsync("legal"));
    }

    [Fact]
    public async Task IngestKey_SeesOnlyItsTeam_AndIsRefusedAnotherTeam()
    {
        var page = await site.OpenAsync();
        await SignInAsync(page, site.BillingKey);

        Assert.Contains("billing", await page.Locator("#who").TextContentAsync());
        Assert.Equal(Usd(site.BillingMonthTotal), await page.Locator("#spend-month").TextContentAsync());
        await page.SelectOptionAsync("#group-by", "team");
        await Assertions.Expect(page.Locator("#breakdown tr.pick")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#breakdown tr.pick td").First).ToHaveTextAsync("billing");
        Assert.Equal(0, await page.Locator("#isolate-form:visible").CountAsync());

        await page.SelectOptionAsync("#filter-dim", "team");
        await page.FillAsync("#filter-value", "search");
        await page.ClickAsync("#filter-form button[type=submit]");
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("auth_team_forbidden");
        await Site.ScreenshotAsync(page, "ingest-refused");
    }

    [Fact]
    public async Task UnknownKey_IsRefusedAtSignIn_AndNothingIsShown()
    {
        var page = await site.OpenAsync();
        await page.FillAsync("#key", "not-a-key");
        await page.ClickAsync("#sign-in");

        await Assertions.Expect(page.Locator("#sign-in-error")).ToContainTextAsync("refused");
        Assert.False(await page.Locator("#app").IsVisibleAsync());
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('controlplane.key')"));
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.FillAsync("#key", key);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#app")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#spend-month")).Not.ToHaveTextAsync("…");
    }

    /// <summary>As the page writes an amount (Intl.NumberFormat, en-US, USD): cents, or up to six decimals below a cent.</summary>
    private static string Usd(decimal value) => "$" + (value is > 0m and < 0.01m
        ? Math.Round(value, 6, MidpointRounding.AwayFromZero).ToString("0.00####", CultureInfo.InvariantCulture)
        : Math.Round(value, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", CultureInfo.InvariantCulture));

    /// <summary>ControlPlane on a real port with a month of calls, one Chromium for the class.</summary>
    public sealed class Site : IAsyncLifetime
    {
        private readonly ControlPlaneApp _app = new();
        private IPlaywright? _playwright;
        private IBrowser? _browser;
        private readonly List<(string Model, string Team, DateTimeOffset At, decimal Cost)> _calls = [];
        private Uri _base = null!;

        public string BillingKey { get; private set; } = "";
        public decimal MonthTotal => _calls.Sum(c => c.Cost);
        public decimal TodayTotal => _calls.Where(c => c.At >= BrowserNow.Date).Sum(c => c.Cost);
        public decimal BillingMonthTotal => _calls.Where(c => c.Team == "billing").Sum(c => c.Cost);

        public decimal WeekTotal => _calls.Where(c => c.At >= BrowserNow.Date.AddDays(-6)).Sum(c => c.Cost);

        public int CallsOf(string model) => _calls.Count(c => c.Model == model && c.At >= BrowserNow.Date.AddDays(-6));

        public async Task InitializeAsync()
        {
            _app.UseKestrel(0);
            _app.StartServer();
            _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var admin = _app.Client();

            // Calls over the month so far, on both models and three teams; today's among them.
            var events = new List<string>();
            var sent = new List<(string Model, string Team, DateTimeOffset At)>();
            string[] teams = ["search", "billing", "legal"];
            string[] models = ["gpt-4o", "gpt-4o-mini"];
            for (var i = 0; i < 30; i++)
            {
                var at = new DateTimeOffset(2026, 11, 1 + (i * 7 % 23), 8 + (i % 4), 5, 0, TimeSpan.Zero);
                sent.Add((models[i % 2], teams[i % 3], at));
                events.Add($$"""{"id":"d{{i}}","team":"{{teams[i % 3]}}","feature":"f{{i % 4}}","model":"{{models[i % 2]}}","provider":"azure-openai","timestamp":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","inputTokens":{{1000 * (i + 1)}},"outputTokens":{{100 * (i + 1)}},"user":"u{{i % 5}}"}""");
            }

            var recorded = await (await admin.PostJsonAsync("/api/usage", $"{{\"events\":[{string.Join(",", events)}]}}")).JsonAsync();
            foreach (var (e, (model, team, at)) in recorded.GetProperty("events").EnumerateArray().Zip(sent))
            {
                _calls.Add((model, team, at, e.GetProperty("costUsd").GetDecimal()));
            }

            var budget = await admin.PutAsync("/api/budgets/search-monthly", new StringContent(
                """{"scope":{"type":"team","value":"search"},"period":"monthly","limitUsd":5,"mode":"hard"}""", Encoding.UTF8, "application/json"));
            Assert.True(budget.IsSuccessStatusCode, await budget.Content.ReadAsStringAsync());
            BillingKey = await _app.IssueKeyAsync("ingest", "billing");

            var chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
            Assert.True(File.Exists(chromium), $"Chromium is not installed at {chromium}: scripts/test.sh installs Debian's chromium, or set CHROMIUM.");
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        }

        public async Task<IPage> OpenAsync()
        {
            var context = await _browser!.NewContextAsync(new() { ViewportSize = new() { Width = 1360, Height = 1100 }, AcceptDownloads = true });
            var page = await context.NewPageAsync();
            await page.Clock.SetFixedTimeAsync(BrowserNow.UtcDateTime);
            await page.GotoAsync(_base.ToString());
            return page;
        }

        public static async Task ScreenshotAsync(IPage page, string name)
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"dashboard-{name}.png"), FullPage = true });
        }

        public async Task<bool> BlockedAsync(string team)
        {
            var check = await _app.Client().GetAsync($"/api/killswitches/check?team={team}&feature=f0&model=gpt-4o&environment=prod");
            Assert.Equal(HttpStatusCode.OK, check.StatusCode);
            return (await check.JsonAsync()).GetProperty("blocked").GetBoolean();
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }

            _playwright?.Dispose();
            await _app.DisposeAsync();
        }
    }
}

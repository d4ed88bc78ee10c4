using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Testing;
using ControlPlane.Testing.Fakes;
using CsvHelper;

namespace ControlPlane.Reports;

/// <summary>
/// The monthly report end to end: usage through the API, the report run through the API, its five files stored and
/// reconciled with the ledger, emailed to a real SMTP server (finance, and each cost center its own chargeback),
/// announced once, re-issued in place, and delivered once after an SMTP outage.
/// </summary>
public sealed class ReportsApiTests : IAsyncLifetime
{
    private readonly MailDev _mail = new();
    private readonly FakeEventGridTopic _topic = new();
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _mail.StartAsync();
        await _topic.StartAsync();
        _app = new ControlPlaneApp(new()
        {
            ["ControlPlane:Reports:Email:Host"] = "127.0.0.1",
            ["ControlPlane:Reports:Email:Port"] = _mail.SmtpPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane:Reports:Email:Security"] = "None",
            ["ControlPlane:Reports:Email:From"] = "finops@contoso.example",
            ["ControlPlane:Reports:Email:Monthly"] = "cfo@contoso.example; controller@contoso.example",
            ["ControlPlane:Reports:Email:CostCenters:CC-1042"] = "search-owner@contoso.example",
            ["ControlPlane:Reports:Email:Timeout"] = "00:00:05",
            ["ControlPlane:Orchestrations:MaxActivityAttempts"] = "30",
            ["ControlPlane:Events:TopicEndpoint"] = _topic.Endpoint,
            ["ControlPlane:Events:TopicKey"] = FakeEventGridTopic.DefaultKey,
        });
        _admin = _app.Client();
        (await _admin.PutAsJsonAsync("/api/teams/search", new { costCenter = "CC-1042", owner = "Dana" })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/teams/support", new { costCenter = "CC-2001" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _mail.DisposeAsync();
        await _topic.DisposeAsync();
    }

    /// <summary>Posts November's calls: cached prompts, cache writes and reasoning tokens across three teams; returns what the ledger charged.</summary>
    private async Task<decimal> PostNovemberAsync(string suffix = "")
    {
        var total = 0m;
        object[] events =
        [
            new { id = "s1" + suffix, timestamp = "2026-11-03T10:00:00Z", team = "search", feature = "answers", user = "u1", provider = "azure-openai", model = "gpt-4o-mini", inputTokens = 120_000, cachedInputTokens = 80_000, outputTokens = 9_000 },
            new { id = "s2" + suffix, timestamp = "2026-11-10T15:30:00Z", team = "search", feature = "answers", user = "u2", provider = "azure-openai", model = "gpt-4o", inputTokens = 50_000, outputTokens = 4_000 },
            new { id = "t1" + suffix, timestamp = "2026-11-12T08:00:00Z", team = "support", feature = "triage", user = "u3", provider = "anthropic", model = "claude-sonnet-4-5", inputTokens = 30_000, cacheWriteTokens = 10_000, outputTokens = 2_000 },
            new { id = "r1" + suffix, timestamp = "2026-11-20T22:00:00Z", team = "labs", feature = "prototype", provider = "openai", model = "o4-mini", inputTokens = 5_000, outputTokens = 6_000, reasoningTokens = 4_000 },
        ];
        foreach (var e in events)
        {
            var response = await _admin.PostAsJsonAsync("/api/usage", e);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            total += (await response.JsonAsync()).GetProperty("costUsd").GetDecimal();
        }

        return total;
    }

    private async Task<JsonElement> RunAsync(string kind = "monthly", string period = "2026-11")
    {
        var response = await _admin.PostAsJsonAsync("/api/reports/run", new { kind, period });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    [Fact]
    public async Task MonthlyRun_StoresFiveFiles_WhoseTotalsReconcileWithTheLedger()
    {
        var charged = await PostNovemberAsync();

        var report = await RunAsync();

        Assert.Equal("monthly-2026-11", report.GetProperty("id").GetString());
        Assert.Equal(("monthly", "2026-11", "completed"), (report.GetProperty("kind").GetString(), report.GetProperty("period").GetString(), report.GetProperty("status").GetString()));
        Assert.Equal(["focus.csv", "manifest.json", "report.xlsx", "report.html", "report.json"],
            report.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(charged, report.GetProperty("totals").GetProperty("costUsd").GetDecimal());
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=team&from=2026-11-01&to=2026-12-01")).JsonAsync();
        Assert.Equal(costs.GetProperty("totalCostUsd").GetDecimal(), charged);

        var focus = await _admin.GetAsync("/api/reports/monthly-2026-11/files/focus.csv");
        Assert.Equal("text/csv", focus.Content.Headers.ContentType!.MediaType);
        var rows = ReadCsv(await focus.Content.ReadAsByteArrayAsync());
        Assert.Equal(charged, rows.Sum(r => decimal.Parse(r["BilledCost"], CultureInfo.InvariantCulture)));
        Assert.Contains(rows, r => r["x_ChargeKind"] == "cached-input" && r["ConsumedQuantity"] == "80000" && r["x_CostCenter"] == "CC-1042");
        Assert.Contains(rows, r => r["x_ChargeKind"] == "cache-write" && r["ConsumedQuantity"] == "10000" && r["PublisherName"] == "Anthropic");
        Assert.Contains(rows, r => r["x_ChargeKind"] == "reasoning" && r["ConsumedQuantity"] == "4000");
        var manifest = await (await _admin.GetAsync("/api/reports/monthly-2026-11/files/manifest.json")).JsonAsync();
        Assert.Equal(rows.Count, manifest.GetProperty("dataRowCount").GetInt32());
        Assert.Equal("reports/monthly/2026-11/focus.csv", manifest.GetProperty("blobs")[0].GetProperty("blobName").GetString());
        var json = await (await _admin.GetAsync("/api/reports/monthly-2026-11/files/report.json")).JsonAsync();
        Assert.Equal(charged, json.GetProperty("totals").GetProperty("costUsd").GetDecimal());
        Assert.Equal(charged - json.GetProperty("totals").GetProperty("unattributedCostUsd").GetDecimal(),
            json.GetProperty("chargeback").EnumerateArray().Where(c => c.GetProperty("costCenter").GetString() != "(unassigned)").Sum(c => c.GetProperty("costUsd").GetDecimal()));
        var html = await (await _admin.GetAsync("/api/reports/monthly-2026-11/files/report.html")).Content.ReadAsStringAsync();
        Assert.Contains("data:image/png;base64,", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonthlyRun_EmailsFinanceTheReport_AndEachCostCenterItsOwnChargeback_AndAnnouncesItOnce()
    {
        await PostNovemberAsync();

        var report = await RunAsync();

        var messages = await _mail.MessagesAsync();
        Assert.Equal(2, messages.Count);
        var finance = messages.Single(m => m.GetProperty("to").EnumerateArray().Any(t => t.GetProperty("address").GetString() == "cfo@contoso.example"));
        Assert.Equal("AI spend monthly report 2026-11", finance.GetProperty("subject").GetString());
        var attachments = finance.GetProperty("attachments").EnumerateArray().ToList();
        Assert.Contains(attachments, a => a.GetProperty("filename").GetString() == "report.xlsx");
        Assert.Contains(attachments, a => a.GetProperty("filename").GetString() == "focus.csv");
        Assert.Equal(4, attachments.Count(a => a.GetProperty("contentType").GetString() == "image/png")); // the charts, inline
        var source = await _mail.SourceAsync(finance.GetProperty("id").GetString()!);
        Assert.Contains("multipart/related", source, StringComparison.Ordinal);
        Assert.Contains("src=3D\"cid:daily-cost\"", source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("=\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("data:image", source, StringComparison.Ordinal); // many clients block data URIs: the charts are related parts

        var owner = messages.Single(m => m.GetProperty("to")[0].GetProperty("address").GetString() == "search-owner@contoso.example");
        Assert.StartsWith("Chargeback CC-1042", owner.GetProperty("subject").GetString(), StringComparison.Ordinal);
        var ownFile = owner.GetProperty("attachments").EnumerateArray().Single(a => a.GetProperty("filename").GetString() == "focus-CC-1042.csv");
        var ownRows = ReadCsv(await _mail.AttachmentAsync(owner.GetProperty("id").GetString()!, ownFile.GetProperty("generatedFileName").GetString()!));
        Assert.NotEmpty(ownRows);
        Assert.All(ownRows, r => Assert.Equal("search", r["x_Team"]));

        var deliveries = report.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.Equal(["recipients", "cost-center:CC-1042"], deliveries.Select(d => d.GetProperty("audience").GetString()));
        Assert.All(deliveries, d => Assert.Equal(("delivered", 1), (d.GetProperty("state").GetString(), d.GetProperty("attempts").GetInt32())));
        var published = Assert.Single(_topic.Received, e => e.GetProperty("type").GetString() == "ControlPlane.Report.Published");
        Assert.Equal("reports/monthly-2026-11", published.GetProperty("subject").GetString());
        Assert.Contains(published.GetProperty("data").GetProperty("files").EnumerateArray(),
            f => f.GetProperty("path").GetString() == "reports/monthly/2026-11/report.xlsx");
    }

    [Fact]
    public async Task RunningThePeriodAgain_ReplacesItsFilesAsANewIssue()
    {
        var first = await PostNovemberAsync();
        await RunAsync();
        var more = await PostNovemberAsync(suffix: "-late");

        var again = await RunAsync();

        Assert.Equal(2, again.GetProperty("issue").GetInt32());
        Assert.Equal(first + more, again.GetProperty("totals").GetProperty("costUsd").GetDecimal());
        var list = await (await _admin.GetAsync("/api/reports")).JsonAsync();
        Assert.Single(list.GetProperty("reports").EnumerateArray());
        var rows = ReadCsv(await _admin.GetByteArrayAsync("/api/reports/monthly-2026-11/files/focus.csv"));
        Assert.Equal(first + more, rows.Sum(r => decimal.Parse(r["BilledCost"], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task SmtpDownThenBack_TheRunRetriesDelivery_AndEachEmailArrivesOnce()
    {
        await PostNovemberAsync();
        await _mail.StopAsync();

        var run = _admin.PostAsJsonAsync("/api/reports/run", new { kind = "monthly", period = "2026-11" });
        JsonElement? failedOnce = null;
        for (var i = 0; i < 200 && failedOnce is null; i++)
        {
            await Task.Delay(100);
            var current = await _admin.GetAsync("/api/reports/monthly-2026-11");
            if (current.IsSuccessStatusCode && (await current.JsonAsync()).GetProperty("deliveries").EnumerateArray()
                .FirstOrDefault(d => d.GetProperty("state").GetString() == "failed") is { ValueKind: JsonValueKind.Object } failed)
            {
                failedOnce = failed;
            }
        }

        Assert.NotNull(failedOnce);
        Assert.False(string.IsNullOrEmpty(failedOnce.Value.GetProperty("lastError").GetString()));
        await _mail.StartAsync();
        var response = await run;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.JsonAsync();

        Assert.All(report.GetProperty("deliveries").EnumerateArray(), d =>
        {
            Assert.Equal("delivered", d.GetProperty("state").GetString());
            Assert.True(d.GetProperty("attempts").GetInt32() >= 2);
        });
        Assert.Equal(2, (await _mail.MessagesAsync()).Count);

        // Asking again sends nothing that was delivered.
        (await _admin.PostJsonAsync("/api/reports/monthly-2026-11/deliver", "")).EnsureSuccessStatusCode();
        Assert.Equal(2, (await _mail.MessagesAsync()).Count);
    }

    [Theory]
    [InlineData("""{"period":"2026-11"}""", "report_kind_invalid")]
    [InlineData("""{"kind":"daily","period":"2026-11"}""", "report_kind_invalid")]
    [InlineData("""{"kind":"monthly","period":"2026-W47"}""", "report_period_invalid")]
    [InlineData("""{"kind":"weekly","period":"2026-11"}""", "report_period_invalid")]
    [InlineData("""{"kind":"monthly","period":"2026-12"}""", "report_period_in_future")]
    [InlineData("""{"kind":"monthly","period":"2026-11","extra":true}""", "request_json_invalid")]
    public async Task Run_BadRequest_Is400AndMakesNothing(string body, string code)
    {
        await (await _admin.PostJsonAsync("/api/reports/run", body)).AssertProblemAsync(HttpStatusCode.BadRequest, code);

        Assert.Empty((await (await _admin.GetAsync("/api/reports")).JsonAsync()).GetProperty("reports").EnumerateArray());
    }

    [Fact]
    public async Task Access_FinanceReadsButCannotRun_IngestReadsNothing_AndUnknownsAre404()
    {
        await RunAsync();
        var finance = _app.Client(await _app.IssueKeyAsync("finance"));
        var ingest = _app.Client(await _app.IssueKeyAsync("ingest", "search"));

        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/api/reports/monthly-2026-11/files/report.xlsx")).StatusCode);
        await (await finance.PostJsonAsync("/api/reports/run", """{"kind":"monthly"}""")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await ingest.GetAsync("/api/reports")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await _admin.GetAsync("/api/reports/monthly-2026-10")).AssertProblemAsync(HttpStatusCode.NotFound, "report_not_found");
        await (await _admin.GetAsync("/api/reports/monthly-2026-11/files/secrets.txt")).AssertProblemAsync(HttpStatusCode.NotFound, "report_file_not_found");
        await (await _admin.GetAsync("/api/reports/monthly-2026-11/files/..%2F..%2Fbatch%2Fx")).AssertProblemAsync(HttpStatusCode.NotFound, "report_file_not_found");
        await (await _admin.GetAsync("/api/reports?kind=yearly")).AssertProblemAsync(HttpStatusCode.BadRequest, "report_kind_invalid");
    }

    [Fact]
    public async Task EmptyPeriod_ReportsZeros_WithAHeaderOnlyFocusFile()
    {
        var report = await RunAsync("weekly", "2026-W40");

        Assert.Equal(0m, report.GetProperty("totals").GetProperty("costUsd").GetDecimal());
        Assert.Empty(ReadCsv(await _admin.GetByteArrayAsync("/api/reports/weekly-2026-W40/files/focus.csv")));
    }

    private static List<Dictionary<string, string>> ReadCsv(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        using var reader = CsvReader.Create(stream, null, leaveOpen: true);
        var rows = new List<Dictionary<string, string>>();
        while (reader.Read())
        {
            var header = reader.Headers!;
            rows.Add(Enumerable.Range(0, header.Count).ToDictionary(i => header[i], reader.GetString));
        }

        return rows;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Azure.AuditLog;
using ControlPlane.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.AuditLog;

/// <summary>Each admin endpoint leaves one entry with who, what, before and after; the log pages, filters and refuses bad queries.</summary>
public sealed class AuditLogApiTests : IAsyncLifetime
{
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _app = new ControlPlaneApp(services: s =>
        {
            s.RemoveAll<IAdminAuditLog>();
            s.AddSingleton<IAdminAuditLog>(sp => new FailingAuditLog(ActivatorUtilities.CreateInstance<TableAdminAuditLog>(sp)));
        });
        _admin = _app.Client();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private FailingAuditLog Store => (FailingAuditLog)_app.Services.GetRequiredService<IAdminAuditLog>();

    private Task<HttpResponseMessage> PutBudgetAsync(string id, decimal limitUsd) =>
        _admin.PutAsJsonAsync($"/api/budgets/{id}", new { scope = new { type = "team", value = "search" }, period = "monthly", limitUsd, mode = "hard" });

    [Fact]
    public async Task BudgetUpsert_CreateThenUpdate_BeforeAndAfterOfEach()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutBudgetAsync("search-monthly", 100)).StatusCode);
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await PutBudgetAsync("search-monthly", 250)).StatusCode);

        var entries = await _admin.EntriesAsync("kind=budget.upsert");

        Assert.Equal(2, entries.Count);
        var (update, create) = (entries[0], entries[1]);
        Assert.Equal("search-monthly", create.GetProperty("target").GetString());
        Assert.Equal(ControlPlaneApp.Start, create.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, create.GetProperty("before").ValueKind);
        Assert.Equal(100m, create.GetProperty("after").GetProperty("limitUsd").GetDecimal());
        Assert.Equal(100m, update.GetProperty("before").GetProperty("limitUsd").GetDecimal());
        Assert.Equal(250m, update.GetProperty("after").GetProperty("limitUsd").GetDecimal());
        Assert.Equal("team", update.GetProperty("after").GetProperty("scope").GetProperty("type").GetString());
        Assert.All(entries, e =>
        {
            Assert.Equal("succeeded", e.GetProperty("outcome").GetString());
            Assert.True(e.GetProperty("changed").GetBoolean());
            Assert.Equal(200, e.GetProperty("statusCode").GetInt32());
            Assert.Equal(ApiKeyService.BootstrapAdminKeyId, e.GetProperty("actor").GetProperty("keyId").GetString());
            Assert.True(e.GetProperty("actor").GetProperty("bootstrap").GetBoolean());
        });
    }

    [Fact]
    public async Task BudgetUpsert_RetriedWithTheSameBody_SecondEntryIsChangedFalse()
    {
        await PutBudgetAsync("b", 100);
        await PutBudgetAsync("b", 100);

        var entries = await _admin.EntriesAsync("kind=budget.upsert");

        Assert.Equal([false, true], entries.Select(e => e.GetProperty("changed").GetBoolean()));
    }

    [Fact]
    public async Task BudgetDelete_BeforeIsTheBudgetAfterIsNull_AndAnUnknownIdIsRecordedRejected()
    {
        await PutBudgetAsync("gone", 100);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/budgets/gone")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.DeleteAsync("/api/budgets/never")).StatusCode);

        var entries = await _admin.EntriesAsync("kind=budget.delete");
        var (rejected, deleted) = (entries[0], entries[1]);
        Assert.Equal(100m, deleted.GetProperty("before").GetProperty("limitUsd").GetDecimal());
        Assert.Equal(JsonValueKind.Null, deleted.GetProperty("after").ValueKind);
        Assert.Equal("rejected", rejected.GetProperty("outcome").GetString());
        Assert.Equal("budget_not_found", rejected.GetProperty("errorCode").GetString());
        Assert.Equal(404, rejected.GetProperty("statusCode").GetInt32());
        Assert.False(rejected.GetProperty("changed").GetBoolean());
    }

    [Fact]
    public async Task PriceUpsert_RecordsTheNamedEntriesBeforeAndAfter()
    {
        var body = """{"prices":[{"provider":"azure-openai","model":"gpt-4o","inputPerMTok":2.0,"outputPerMTok":8.0}]}""";
        await _admin.PutAsync("/api/prices", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await _admin.PutAsync("/api/prices", new StringContent(body.Replace("2.0", "1.5", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));

        var entries = await _admin.EntriesAsync("kind=price.upsert");

        Assert.Equal(2, entries.Count);
        Assert.Contains("gpt-4o", entries[0].GetProperty("target").GetString());
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("before").ValueKind);
        Assert.Equal(2.0m, entries[0].GetProperty("before")[0].GetProperty("inputPerMTok").GetDecimal());
        Assert.Equal(1.5m, entries[0].GetProperty("after")[0].GetProperty("inputPerMTok").GetDecimal());
    }

    [Fact]
    public async Task KeyIssueAndRevoke_ByAnIssuedAdminKey_NameThatKeyAndTheTargetWithoutSecrets()
    {
        var opsSecret = await _app.IssueKeyAsync("admin");
        var ops = _app.Client(opsSecret);
        var opsId = opsSecret.Split('_')[1];

        var issued = await (await ops.PostAsJsonAsync("/api/keys", new { name = "search ingest", role = "ingest", teams = new[] { "search" } })).JsonAsync();
        var id = issued.GetProperty("id").GetString()!;
        await ops.DeleteAsync($"/api/keys/{id}");

        var issue = (await _admin.EntriesAsync("kind=key.issue"))[0];
        var revoke = await _admin.SingleAsync("key.revoke");
        Assert.Equal(opsId, issue.GetProperty("actor").GetProperty("keyId").GetString());
        Assert.Equal("admin key", issue.GetProperty("actor").GetProperty("name").GetString());
        Assert.Equal("admin", issue.GetProperty("actor").GetProperty("role").GetString());
        Assert.False(issue.GetProperty("actor").GetProperty("bootstrap").GetBoolean());
        Assert.Equal(id, issue.GetProperty("target").GetString());
        Assert.Equal("search ingest", issue.GetProperty("after").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, revoke.GetProperty("before").GetProperty("revokedAt").ValueKind);
        Assert.Equal(ControlPlaneApp.Start, revoke.GetProperty("after").GetProperty("revokedAt").GetDateTimeOffset());
        var trail = await (await _admin.GetAsync("/api/audit-log")).Content.ReadAsStringAsync();
        // cpk_{id}_{secret}: the secret is everything after the id's separator (it may hold '_' itself).
        Assert.DoesNotContain(string.Join('_', issued.GetProperty("key").GetString()!.Split('_').Skip(2)), trail);
        Assert.DoesNotContain(string.Join('_', opsSecret.Split('_').Skip(2)), trail);
        Assert.DoesNotContain("secretHash", trail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task IsolateThenReset_RecordTheScopeAndItsSwitches()
    {
        await _admin.PostJsonAsync("/api/killswitches/isolate", """{"scope":{"type":"team","value":"search"}}""");
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        await _admin.PostJsonAsync("/api/killswitches/reset", """{"scope":{"type":"team","value":"search"}}""");

        var isolate = await _admin.SingleAsync("killswitch.isolate");
        var reset = await _admin.SingleAsync("killswitch.reset");
        Assert.Equal("team:search", isolate.GetProperty("target").GetString());
        Assert.Equal(JsonValueKind.Null, isolate.GetProperty("before").GetProperty("isolatedSince").ValueKind);
        Assert.Equal(ControlPlaneApp.Start, isolate.GetProperty("after").GetProperty("isolatedSince").GetDateTimeOffset());
        Assert.Equal(ControlPlaneApp.Start, reset.GetProperty("before").GetProperty("isolatedSince").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, reset.GetProperty("after").GetProperty("isolatedSince").ValueKind);
        Assert.Equal(2, (await _admin.EntriesAsync("kind=killswitch.")).Count);
    }

    [Fact]
    public async Task GpuPoolUpsert_RecordsThePoolBeforeAndAfter()
    {
        await _admin.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId = AuditTrail.ScaleSetId, minCapacity = 1, maxCapacity = 8, team = "search", hourlyPriceUsd = 3.6m, mode = "recommend" });
        await _admin.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId = AuditTrail.ScaleSetId, minCapacity = 1, maxCapacity = 4, team = "search", hourlyPriceUsd = 3.6m, mode = "enforce" });

        var entries = await _admin.EntriesAsync("kind=gpu_pool.upsert");

        Assert.Equal(["infer", "infer"], entries.Select(e => e.GetProperty("target").GetString()));
        Assert.Equal("recommend", entries[0].GetProperty("before").GetProperty("mode").GetString());
        Assert.Equal("enforce", entries[0].GetProperty("after").GetProperty("mode").GetString());
        Assert.Equal(4, entries[0].GetProperty("after").GetProperty("maxCapacity").GetInt32());
    }

    [Theory]
    [InlineData("finance")]
    [InlineData("ingest")]
    public async Task List_NonAdminKey_Is403(string role)
    {
        var secret = role == "ingest" ? await _app.IssueKeyAsync(role, "search") : await _app.IssueKeyAsync(role);

        await (await _app.Client(secret).GetAsync("/api/audit-log")).AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
        await (await _app.Client(apiKey: null).GetAsync("/api/audit-log")).AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_missing");
    }

    [Theory]
    [InlineData("limit=0", AuditLogErrors.LimitInvalid)]
    [InlineData("limit=abc", AuditLogErrors.LimitInvalid)]
    [InlineData("next=garbage", AuditLogErrors.NextInvalid)]
    [InlineData("from=yesterday", AuditLogErrors.FromInvalid)]
    [InlineData("to=2026-02-30", AuditLogErrors.ToInvalid)]
    [InlineData("from=2026-11-23&to=2026-11-01", AuditLogErrors.RangeInvalid)]
    [InlineData("kind=Budget*", AuditLogErrors.KindInvalid)]
    public async Task List_BadQuery_Is400ProblemWithStableCode(string query, string code) =>
        await (await _admin.GetAsync($"/api/audit-log?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, code);

    [Fact]
    public async Task List_PagesNewestFirstAndFiltersByTime()
    {
        for (var i = 0; i < 5; i++)
        {
            await PutBudgetAsync($"b{i}", 10 + i);
            _app.Clock.Advance(TimeSpan.FromDays(10));
        }

        var first = await (await _admin.GetAsync("/api/audit-log?limit=2")).JsonAsync();
        var all = await _admin.EntriesAsync();
        var window = await _admin.EntriesAsync($"from={ControlPlaneApp.Start.AddDays(10):yyyy-MM-dd}&to={Uri.EscapeDataString(ControlPlaneApp.Start.AddDays(30).ToString("O"))}");

        Assert.Equal(["b4", "b3"], first.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("target").GetString()));
        Assert.NotNull(first.GetProperty("next").GetString());
        Assert.Equal(["b4", "b3", "b2", "b1", "b0"], all.Select(e => e.GetProperty("target").GetString()));
        Assert.Equal(["b2", "b1"], window.Select(e => e.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task AuditWriteFails_TheChangeIsNotMadeAndTheAnswerIs503()
    {
        Store.FailAppends = true;

        var response = await PutBudgetAsync("unaudited", 100);

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, AuditLogErrors.Unavailable);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/budgets/unaudited")).StatusCode);
        Store.FailAppends = false;
        Assert.Empty(await _admin.EntriesAsync());
    }

    [Fact]
    public async Task AuditCompletionFails_TheChangeIsAnsweredAndItsEntryStaysPendingWithBefore()
    {
        await PutBudgetAsync("b", 100);
        Store.FailCompletions = true;

        var response = await PutBudgetAsync("b", 300);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var latest = (await _admin.EntriesAsync("kind=budget.upsert"))[0];
        Assert.Equal("pending", latest.GetProperty("outcome").GetString());
        Assert.Equal(100m, latest.GetProperty("before").GetProperty("limitUsd").GetDecimal());
        Assert.False(latest.TryGetProperty("changed", out _));
    }

    [Fact]
    public async Task RetentionSweep_DeletesOnlyEntriesOlderThanTheRetention()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:AuditLog:Retention"] = "30.00:00:00" });
        var admin = app.Client();
        await admin.PutAsJsonAsync("/api/budgets/old", new { scope = new { type = "team", value = "a" }, period = "monthly", limitUsd = 1 });
        app.Clock.Advance(TimeSpan.FromDays(20));
        await admin.PutAsJsonAsync("/api/budgets/new", new { scope = new { type = "team", value = "a" }, period = "monthly", limitUsd = 1 });
        app.Clock.Advance(TimeSpan.FromDays(15));

        var swept = await (await admin.PostJsonAsync("/admin/functions/AuditLogRetentionSweep", "{}")).JsonAsync();

        Assert.Equal(1, swept.GetProperty("deleted").GetInt32());
        Assert.Equal(["new"], (await admin.EntriesAsync()).Select(e => e.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task Retention_OutOfRange_StopsTheAppNamingTheSetting()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:AuditLog:Retention"] = "00:10:00" });

        var error = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("ControlPlane:AuditLog:Retention", error.ToString());
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheAuditLogAndItsQuery()
    {
        var document = await (await _app.Client(apiKey: null).GetAsync("/api/openapi.json")).JsonAsync();

        var get = document.GetProperty("paths").GetProperty("/api/audit-log").GetProperty("get");
        Assert.Contains("newest first", get.GetProperty("summary").GetString());
        var parameters = get.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal(["from", "kind", "limit", "next", "to"], parameters.Keys.Order());
        Assert.All(parameters.Values, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString())));
        Assert.True(get.GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(document.GetProperty("paths").GetProperty("/api/budgets/{id}").GetProperty("put").GetProperty("responses").TryGetProperty("503", out _));
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Access;

/// <summary>
/// Every HTTP function against every kind of caller: no key, a wrong key, an ingest key of another team, an ingest
/// key, a finance key, an admin key. The table below says who may call what; it is written out by hand on purpose, so
/// that a new function, or a function whose role changes, fails here until someone decides its row.
/// </summary>
public sealed class AccessMatrixTests : IAsyncLifetime
{
    /// <summary>In every seeded record of team <c>search</c>: no answer to another team's key may contain it.</summary>
    private const string Marker = "matrixmarker";
    private const string Id = "matrix-id";

    private static readonly Dictionary<string, Who> Matrix = new(StringComparer.Ordinal)
    {
        ["AcknowledgeFinding"] = Who.Admin,
        ["ApiReference"] = Who.Anyone,
        ["ApplyFinding"] = Who.Admin,
        ["Authorize"] = Who.Ingest,
        ["CancelBatchRequest"] = Who.Ingest,
        ["CheckKillSwitches"] = Who.AnyKey,
        ["Dashboard"] = Who.Anyone,
        ["DashboardAsset"] = Who.Anyone,
        ["DeleteBudget"] = Who.Admin,
        ["DeliverReportAgain"] = Who.Admin,
        ["DismissFinding"] = Who.Admin,
        ["ExportTraces"] = Who.Ingest,
        ["GetBatchRequest"] = Who.AnyKey,
        ["GetBudget"] = Who.Finance,
        ["GetCosts"] = Who.AnyKey,
        ["GetCurrentKey"] = Who.AnyKey,
        ["GetFeature"] = Who.Finance,
        ["GetFinding"] = Who.AnyKey,
        ["GetGpuDecisions"] = Who.AnyKey,
        ["GetGpuPool"] = Who.AnyKey,
        ["GetGpuSamples"] = Who.AnyKey,
        ["GetOrchestration"] = Who.Finance,
        ["GetReport"] = Who.Finance,
        ["GetReportFile"] = Who.Finance,
        ["GetSavings"] = Who.AnyKey,
        ["GetTeam"] = Who.Finance,
        ["GetUsageEvent"] = Who.AnyKey,
        ["Health"] = Who.Anyone,
        ["IsolateScope"] = Who.Admin,
        ["IssueKey"] = Who.Admin,
        ["ListAiResources"] = Who.Admin,
        ["ListAuditLog"] = Who.Admin,
        ["ListBatchRequests"] = Who.AnyKey,
        ["ListBudgets"] = Who.Finance,
        ["ListEvents"] = Who.Admin,
        ["ListFeatures"] = Who.Finance,
        ["ListFindings"] = Who.AnyKey,
        ["ListGpuPools"] = Who.AnyKey,
        ["ListKeys"] = Who.Admin,
        ["ListKillSwitches"] = Who.AnyKey,
        ["ListOrchestrations"] = Who.Finance,
        ["ListPrices"] = Who.AnyKey,
        ["ListReports"] = Who.Finance,
        ["ListTeams"] = Who.Finance,
        ["ListUsageEvents"] = Who.AnyKey,
        ["Mcp"] = Who.AnyKey,
        ["OpenApiDocument"] = Who.Anyone,
        ["PostGpuSamples"] = Who.Ingest,
        ["QuotePrice"] = Who.AnyKey,
        ["RecordUsage"] = Who.Ingest,
        ["ReleaseReservation"] = Who.Ingest,
        ["ResetKillSwitch"] = Who.Admin,
        ["SubmitBatchRequest"] = Who.Ingest,
        ["ResolveFinding"] = Who.Admin,
        ["RetryOrchestration"] = Who.Admin,
        ["RevokeKey"] = Who.Admin,
        ["RunReport"] = Who.Admin,
        ["StartOrchestration"] = Who.Admin,
        ["TerminateOrchestration"] = Who.Admin,
        ["UploadShadowAiInventory"] = Who.Admin,
        ["UpsertAiResources"] = Who.Admin,
        ["UpsertBudget"] = Who.Admin,
        ["UpsertFeature"] = Who.Admin,
        ["UpsertGpuPool"] = Who.Admin,
        ["UpsertPrices"] = Who.Admin,
        ["UpsertTeam"] = Who.Admin,
    };

    private readonly ControlPlaneApp _app = new();
    private readonly Dictionary<Caller, HttpClient> _clients = [];

    /// <summary>Who may call a function (admins may call everything that needs a key).</summary>
    public enum Who
    {
        Anyone,
        AnyKey,
        Ingest,
        Finance,
        Admin,
    }

    public enum Caller
    {
        NoKey,
        WrongKey,
        OtherTeamIngest,
        Ingest,
        Finance,
        Admin,
    }

    public async Task InitializeAsync()
    {
        _clients[Caller.NoKey] = _app.Client(apiKey: null);
        _clients[Caller.WrongKey] = _app.Client("cpk_0123456789abcdef_not-a-real-secret");
        _clients[Caller.OtherTeamIngest] = _app.Client(await _app.IssueKeyAsync("ingest", "labs"));
        _clients[Caller.Ingest] = _app.Client(await _app.IssueKeyAsync("ingest", "search"));
        _clients[Caller.Finance] = _app.Client(await _app.IssueKeyAsync("finance"));
        _clients[Caller.Admin] = _app.Client();

        // Team search's records, under the ids every route below asks for, so another team's key asks for them too.
        var admin = _clients[Caller.Admin];
        await admin.PutBudgetAsync(Id, new { scope = new { type = "feature", value = Marker }, period = "monthly", limitUsd = 5m, mode = "hard" });
        var ingest = _clients[Caller.Ingest];
        var posted = await ingest.PostJsonAsync("/api/usage", $$"""{"id":"{{Id}}","team":"search","feature":"{{Marker}}","user":"{{Marker}}-user","provider":"azure-openai","model":"gpt-4o","inputTokens":100,"outputTokens":10}""");
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        var authorized = await ingest.AuthorizeAsync("search", feature: Marker);
        Assert.True(authorized.GetProperty("allowed").GetBoolean());
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await _app.DisposeAsync();
    }

    [Fact]
    public void Matrix_NamesEveryHttpFunctionWithTheRoleItsPolicyDemands()
    {
        var functions = FunctionIndex.Http.ToDictionary(f => f.Function.Name, f => f.Http.Policy, StringComparer.Ordinal);

        var missing = functions.Keys.Except(Matrix.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"No row in the access matrix (decide who may call them): {string.Join(", ", missing)}");
        var stale = Matrix.Keys.Except(functions.Keys).ToList();
        Assert.True(stale.Count == 0, $"In the access matrix but no function: {string.Join(", ", stale)}");
        foreach (var (name, policy) in functions)
        {
            Assert.True(PolicyOf(Matrix[name]) == policy, $"{name}: the matrix says {Matrix[name]}, the function demands policy '{policy ?? "none"}'.");
        }
    }

    [Fact]
    public async Task EveryFunction_EveryCaller_GetsItsDocumentedAnswerAndNeverAnotherTeamsData()
    {
        var failures = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            foreach (var (function, http) in FunctionIndex.Http.OrderBy(f => f.Function.Name, StringComparer.Ordinal))
            {
                foreach (var method in http.Methods.Where(_ => Matrix.ContainsKey(function.Name)))
                {
                    using var request = Request(method, Http.FillRoute(http.Route, Id));
                    using var response = await _clients[caller].SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (Verdict(function.Name, Matrix[function.Name], caller, response, body) is { } wrong)
                    {
                        failures.Add($"{caller} {method} /{Http.FillRoute(http.Route, Id)} ({function.Name}): {wrong} — {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task EveryRouteWithAnId_OddIds_AreAnsweredWithoutA5xxAndWithAProblemWhenRefused()
    {
        string[] odd = ["..", "%2e%2e%2f%2e%2e", new string('a', 1100), "\u00fc\U0001D11E", "a%20b", "'; DROP TABLE x--", "$(id)", "-", "PartitionKey eq ''"];
        var failures = new List<string>();
        foreach (var (function, http) in FunctionIndex.Http.Where(f => f.Http.Route.Contains('{', StringComparison.Ordinal)))
        {
            foreach (var method in http.Methods)
            {
                foreach (var id in odd)
                {
                    var path = Http.FillRoute(http.Route, Uri.EscapeDataString(Uri.UnescapeDataString(id)).Replace("%25", "%", StringComparison.Ordinal));
                    using var request = Request(method, path);
                    using var response = await _clients[Caller.Admin].SendAsync(request);
                    var status = (int)response.StatusCode;
                    var body = await response.Content.ReadAsStringAsync();
                    if (status >= 500 && !IsNotConfigured(response, body))
                    {
                        failures.Add($"{method} /{path} ({function.Name}): {status}");
                    }
                    else if (status >= 400 && !Http.IsDocumentedRefusal(function.Name, response, body))
                    {
                        failures.Add($"{method} /{path} ({function.Name}): {status} not in its documented shape");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static string? PolicyOf(Who who) => who switch
    {
        Who.Anyone => null,
        Who.AnyKey => Policies.AnyKey,
        Who.Ingest => Policies.Ingest,
        Who.Finance => Policies.Finance,
        _ => Policies.Admin,
    };

    private static bool Allowed(Who who, Caller caller) => who switch
    {
        Who.Anyone => true,
        _ when caller is Caller.NoKey or Caller.WrongKey => false,
        Who.AnyKey => true,
        Who.Ingest => caller is Caller.Ingest or Caller.OtherTeamIngest or Caller.Admin,
        Who.Finance => caller is Caller.Finance or Caller.Admin,
        _ => caller is Caller.Admin,
    };

    /// <summary>What is wrong with the answer, or null when it is the documented one.</summary>
    private static string? Verdict(string function, Who who, Caller caller, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 && !IsNotConfigured(response, body))
        {
            return "a 5xx";
        }

        if (status >= 400 && !Http.IsDocumentedRefusal(function, response, body))
        {
            return "a refusal not in its documented shape";
        }

        if (caller == Caller.OtherTeamIngest && body.Contains(Marker, StringComparison.Ordinal))
        {
            return "another team's data";
        }

        if (!Allowed(who, caller))
        {
            var expected = caller switch
            {
                Caller.NoKey => (401, AccessErrors.KeyMissing),
                Caller.WrongKey => (401, AccessErrors.KeyInvalid),
                _ => (403, AccessErrors.RoleForbidden),
            };
            return (status, Http.ProblemCode(body)) == expected ? null : $"expected {expected.Item1} {expected.Item2}";
        }

        return status is 401 || (status is 403 && Http.ProblemCode(body) == AccessErrors.RoleForbidden) ? "refused a caller the matrix allows" : null;
    }

    /// <summary>The batch endpoints answer 503 batch_not_configured in an app without Azure OpenAI: a documented answer.</summary>
    private static bool IsNotConfigured(HttpResponseMessage response, string body) =>
        response.StatusCode == HttpStatusCode.ServiceUnavailable && Http.ProblemCode(body) == "batch_not_configured";

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), "/" + path);
        request.Headers.Accept.ParseAdd("application/json, text/event-stream"); // what an MCP client sends; the rest ignore it
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return request;
    }

}

using System.Net;

namespace ControlPlane.Hosting;

/// <summary>The custom-handler protocol: POST /{FunctionName} with Data/Metadata, answered with Outputs/Logs/ReturnValue.</summary>
public sealed class CustomHandlerApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private const string TimerInvocation = """
        {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},
         "Metadata":{"sys":{"MethodName":"LedgerRetentionSweep","UtcNow":"2026-11-23T03:30:00Z","RandGuid":"0f9e3c1a-0000-0000-0000-000000000000"}}}
        """;

    [Fact]
    public async Task Invoke_TimerFunctionWithHostPayload_AnswersOutputsLogsAndReturnValue()
    {
        var response = await _app.Client().PostJsonAsync("/LedgerRetentionSweep", TimerInvocation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.Contains("Retention sweep", body.GetProperty("Logs")[0].GetString());
        Assert.Equal(0, body.GetProperty("ReturnValue").GetProperty("eventsDeleted").GetInt32());
    }

    [Fact]
    public async Task Invoke_UnknownOrHttpFunction_Is404Problem()
    {
        var unknown = await _app.Client().PostJsonAsync("/NoSuchFunction", "{}");
        var http = await _app.Client().PostJsonAsync("/RecordUsage", "{}");

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        await http.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Invoke_StandaloneWithoutAdminKey_IsRejected()
    {
        var ingest = await _app.IssueKeyAsync("ingest", "search");

        var anonymous = await _app.Client(apiKey: null).PostJsonAsync("/LedgerRetentionSweep", TimerInvocation);
        var notAdmin = await _app.Client(ingest).PostJsonAsync("/LedgerRetentionSweep", TimerInvocation);

        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_missing");
        await notAdmin.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
    }

    [Fact]
    public async Task Invoke_UnderFunctionsHost_NeedsNoKey()
    {
        await using var hosted = new ControlPlaneApp(new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "0" });

        var response = await hosted.Client(apiKey: null).PostJsonAsync("/LedgerRetentionSweep", TimerInvocation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

using System.Net;

namespace ControlPlane.Usage;

/// <summary>The fields the loop and unit-economics rules need: <c>session</c>, <c>requestHash</c> and <c>units</c>.</summary>
public sealed class UsageSessionFieldsApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Event(string id, string extra) =>
        $$"""{"id":"{{id}}","team":"support","feature":"agent","model":"gpt-4o-mini","provider":"azure-openai","inputTokens":1200,"outputTokens":300{{extra}}}""";

    [Fact]
    public async Task RecordUsage_SessionRequestHashAndUnits_AreRecordedAndShown()
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", Event("s-1", ""","session":"run-47","requestHash":"sha256:9f86d081884c7d65","units":2.5"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await (await _app.Client().GetAsync("/api/usage/s-1")).JsonAsync();
        Assert.Equal("run-47", stored.GetProperty("session").GetString());
        Assert.Equal("sha256:9f86d081884c7d65", stored.GetProperty("requestHash").GetString());
        Assert.Equal(2.5m, stored.GetProperty("units").GetDecimal());
    }

    [Fact]
    public async Task RecordUsage_PromptInsteadOfAHash_IsRejectedWholeWithItsCode()
    {
        var json = $$"""{"events":[{{Event("ok-1", ""","session":"run-1","requestHash":"abcdef0123" """)}},{{Event("bad-1", ""","requestHash":"Summarize the attached contract, please" """)}}]}""";

        var response = await _app.Client().PostJsonAsync("/api/usage", json);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.RequestHashInvalid);
        Assert.Contains("events[1].requestHash", problem.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Client().GetAsync("/api/usage/ok-1")).StatusCode);
    }

    [Fact]
    public async Task RecordUsage_SessionTooLong_IsRejected()
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", Event("s-2", $$""","session":"{{new string('s', 129)}}" """));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.FieldTooLong);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Usage;

public sealed class UsageApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Event(string id, string team = "search", string model = "gpt-4o-mini", string extra = "") =>
        $$"""{"id":"{{id}}","team":"{{team}}","feature":"answers","model":"{{model}}","provider":"azure-openai","inputTokens":1200,"cachedInputTokens":1000,"outputTokens":300{{extra}}}""";

    [Fact]
    public async Task RecordUsage_SingleEvent_PricesCachedTokensAndAnswersContractShape()
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", Event("e-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"costUsd\":0.000285,", await response.Content.ReadAsStringAsync());
        var body = await response.JsonAsync();
        Assert.Equal(1, body.GetProperty("recorded").GetInt32());
        Assert.Equal(0, body.GetProperty("duplicates").GetInt32());
        // gpt-4o-mini: 200 uncached × $0.15 + 1,000 cached × $0.075 + 300 output × $0.60 per million.
        Assert.Equal(0.000285m, body.GetProperty("costUsd").GetDecimal());
        var e = Assert.Single(body.GetProperty("events").EnumerateArray());
        Assert.Equal("e-1", e.GetProperty("id").GetString());
        Assert.Equal("recorded", e.GetProperty("status").GetString());
        Assert.Equal(0.000285m, e.GetProperty("costUsd").GetDecimal());
        Assert.False(e.GetProperty("unpriced").GetBoolean());
    }

    [Fact]
    public async Task RecordUsage_SameIdPostedTwice_SecondIsDuplicateAndChargedOnce()
    {
        var client = _app.Client();
        await client.PostJsonAsync("/api/usage", Event("dup-1"));

        var second = await (await client.PostJsonAsync("/api/usage", Event("dup-1"))).JsonAsync();

        Assert.Equal(0, second.GetProperty("recorded").GetInt32());
        Assert.Equal(1, second.GetProperty("duplicates").GetInt32());
        Assert.Equal(0m, second.GetProperty("costUsd").GetDecimal());
        var e = second.GetProperty("events")[0];
        Assert.Equal("duplicate", e.GetProperty("status").GetString());
        Assert.Equal(0.000285m, e.GetProperty("costUsd").GetDecimal());
        var costs = await (await client.GetAsync("/api/costs?groupBy=team")).JsonAsync();
        Assert.Equal(0.000285m, costs.GetProperty("totalCostUsd").GetDecimal());
        Assert.Equal(1, costs.GetProperty("groups")[0].GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task RecordUsage_BatchWithRepeatedIdAndUnknownModel_RecordsOnceAndFlagsUnpriced()
    {
        var json = $$"""{"events":[{{Event("b-1")}},{{Event("b-2", model: "my-finetune-v7")}},{{Event("b-1")}}]}""";

        var body = await (await _app.Client().PostJsonAsync("/api/usage", json)).JsonAsync();

        Assert.Equal(2, body.GetProperty("recorded").GetInt32());
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        var events = body.GetProperty("events");
        Assert.Equal(["recorded", "recorded", "duplicate"], events.EnumerateArray().Select(e => e.GetProperty("status").GetString()));
        Assert.True(events[1].GetProperty("unpriced").GetBoolean());
        Assert.Equal(0m, events[1].GetProperty("costUsd").GetDecimal());
        var stored = await (await _app.Client().GetAsync("/api/usage/b-2")).JsonAsync();
        Assert.True(stored.GetProperty("unpriced").GetBoolean());
        var costs = await (await _app.Client().GetAsync("/api/costs?groupBy=model")).JsonAsync();
        Assert.Equal(1, costs.GetProperty("unpricedRequests").GetInt64());
    }

    [Fact]
    public async Task RecordUsage_OpenAiUsageObject_IsPricedLikeFlatFields()
    {
        var json = """
            {"id":"oa-1","team":"search","feature":"answers","model":"o4-mini","provider":"openai",
             "usage":{"prompt_tokens":2000,"completion_tokens":1500,"total_tokens":3500,
                      "prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},
                      "completion_tokens_details":{"reasoning_tokens":1200,"accepted_prediction_tokens":0}}}
            """;

        var body = await (await _app.Client().PostJsonAsync("/api/usage", json)).JsonAsync();

        // o4-mini: 976 × $1.10 + 1,024 × $0.275 + 300 × $4.40 + 1,200 reasoning × $4.40, per million = $0.0079552.
        Assert.Equal(0.0079552m, body.GetProperty("costUsd").GetDecimal());
        var stored = await (await _app.Client().GetAsync("/api/usage/oa-1")).JsonAsync();
        Assert.Equal(1024, stored.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal(1200, stored.GetProperty("reasoningTokens").GetInt64());
    }

    [Fact]
    public async Task RecordUsage_IngestKeyForOtherTeam_Is403AndWritesNothing()
    {
        var key = await _app.IssueKeyAsync("ingest", "search");
        var json = $$"""{"events":[{{Event("x-1", team: "search")}},{{Event("x-2", team: "billing")}}]}""";

        var response = await _app.Client(key).PostJsonAsync("/api/usage", json);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_team_forbidden");
        Assert.Contains("billing", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Client().GetAsync("/api/usage/x-1")).StatusCode);
    }

    [Fact]
    public async Task RecordUsage_IngestKeyForOwnTeam_Records()
    {
        var key = await _app.IssueKeyAsync("ingest", "search");

        var response = await _app.Client(key).PostJsonAsync("/api/usage", Event("own-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RecordUsage_FinanceKey_Is403()
    {
        var key = await _app.IssueKeyAsync("finance");

        var response = await _app.Client(key).PostJsonAsync("/api/usage", Event("fin-1"));

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "auth_role_forbidden");
    }

    public static TheoryData<string, string, HttpStatusCode> BadBodies => new()
    {
        { "{\"id\":\"bad\",", "request_json_invalid", HttpStatusCode.BadRequest },
        { "not json at all", "request_json_invalid", HttpStatusCode.BadRequest },
        { "", "request_body_missing", HttpStatusCode.BadRequest },
        { "null", "request_body_missing", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"inputTokens\":5").Replace("1200", "\"1200\""), "request_json_invalid", HttpStatusCode.BadRequest },
        { Event("bad").Replace("1200", "12.5"), "request_json_invalid", HttpStatusCode.BadRequest },
        { Event("bad").Replace("1200", "99999999999999999999999"), "request_json_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"inputTokenz\":5"), "request_json_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"team\":\"other\""), "request_json_invalid", HttpStatusCode.BadRequest },
        { Event("bad").Replace("1200", "-1"), "usage_tokens_negative", HttpStatusCode.BadRequest },
        { Event("bad").Replace("1200", "1000000001"), "usage_tokens_too_large", HttpStatusCode.BadRequest },
        { Event("bad").Replace("\"cachedInputTokens\":1000", "\"cachedInputTokens\":1300"), "usage_tokens_partition_input", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"reasoningTokens\":301"), "usage_tokens_partition_output", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}"), "usage_tokens_conflict", HttpStatusCode.BadRequest },
        { """{"id":"bad","team":"t","feature":"f","model":"m"}""", "usage_tokens_missing", HttpStatusCode.BadRequest },
        { """{"id":"bad","team":"t","feature":"f","model":"m","usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":99}}""", "usage_tokens_total_mismatch", HttpStatusCode.BadRequest },
        { Event("bad").Replace("\"team\":\"search\"", "\"team\":\"\""), "usage_field_required", HttpStatusCode.BadRequest },
        { Event(new string('i', 129)), "usage_id_too_long", HttpStatusCode.BadRequest },
        { Event("bad", team: new string('t', 257)), "usage_field_too_long", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"user\":\"a\\u0000b\""), "usage_field_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"deploymentType\":\"cheap\""), "usage_deployment_type_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"timestamp\":\"2026-11-23 12:00\""), "usage_timestamp_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"timestamp\":\"2026-11-23T12:00:00\""), "usage_timestamp_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"timestamp\":\"2026-10-01T00:00:00Z\""), "usage_timestamp_too_old", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"timestamp\":\"2026-11-23T12:06:00Z\""), "usage_timestamp_in_future", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"units\":-1"), "usage_units_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"latencyMs\":-5"), "usage_latency_invalid", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"tags\":{" + string.Join(",", Enumerable.Range(0, 21).Select(i => $"\"k{i}\":\"v\"")) + "}"), "usage_tags_too_many", HttpStatusCode.BadRequest },
        { Event("bad", extra: ",\"tags\":{\"k\":\"" + new string('v', 257) + "\"}"), "usage_tag_invalid", HttpStatusCode.BadRequest },
        { """{"events":[]}""", "usage_batch_empty", HttpStatusCode.BadRequest },
        { """{"events":[null]}""", "usage_event_null", HttpStatusCode.BadRequest },
        { $$"""{"id":"bad","events":[{{Event("bad-2")}}]}""", "usage_request_ambiguous", HttpStatusCode.BadRequest },
        { "{\"events\":[" + string.Join(",", Enumerable.Range(0, 1001).Select(i => Event($"many-{i}"))) + "]}", "usage_batch_too_large", HttpStatusCode.BadRequest },
        { "{\"events\":[" + string.Join(",", Enumerable.Range(0, 1000).Select(i => Event($"big-{i}", extra: $",\"promptTemplate\":\"{new string('p', 250)}\",\"app\":\"{new string('a', 250)}\",\"deployment\":\"{new string('d', 250)}\",\"tags\":{{{string.Join(",", Enumerable.Range(0, 20).Select(t => $"\"tag{t}\":\"{new string('v', 250)}\""))}}}"))) + "]}", "request_body_too_large", HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task RecordUsage_BadInput_Is4xxProblemAndWritesNothing(string body, string code, HttpStatusCode status)
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", body);

        await response.AssertProblemAsync(status, code);
        var costs = await (await _app.Client().GetAsync("/api/costs?groupBy=team")).JsonAsync();
        Assert.Equal(0, costs.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task RecordUsage_SeveralProblems_ReportsAllAtOnceWithFieldPaths()
    {
        var json = $$"""{"events":[{{Event("ok-1")}},{"id":"","team":"t","feature":"f","model":"m","inputTokens":-1,"outputTokens":5},{"id":"r","team":"t","feature":"f","model":"m","inputTokens":1,"outputTokens":5,"reasoningTokens":6}]}""";

        var problem = await (await _app.Client().PostJsonAsync("/api/usage", json)).AssertProblemAsync(HttpStatusCode.BadRequest, "usage_field_required");

        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("code").GetString(), e.GetProperty("field").GetString())).ToList();
        Assert.Contains(("usage_field_required", "events[1].id"), fields);
        Assert.Contains(("usage_tokens_negative", "events[1].inputTokens"), fields);
        Assert.Contains(("usage_tokens_partition_output", "events[2].reasoningTokens"), fields);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Client().GetAsync("/api/usage/ok-1")).StatusCode);
    }

    [Fact]
    public async Task RecordUsage_WrongContentType_Is415()
    {
        var response = await _app.Client().PostAsync("/api/usage", new StringContent(Event("ct-1"), Encoding.UTF8, "text/plain"));

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "request_unsupported_media_type");
    }

    [Fact]
    public async Task RecordUsage_NoKey_Is401AndWrongKey_Is401()
    {
        var anonymous = await _app.Client(apiKey: null).PostJsonAsync("/api/usage", Event("k-1"));
        var wrong = await _app.Client("cpk_0123456789abcdef_nope").PostJsonAsync("/api/usage", Event("k-1"));

        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_missing");
        await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized, "auth_key_invalid");
    }

    [Fact]
    public async Task GetUsageEvent_IngestKeyOfAnotherTeam_Is404()
    {
        await _app.Client().PostJsonAsync("/api/usage", Event("secret-1", team: "billing"));
        var key = await _app.IssueKeyAsync("ingest", "search");

        var response = await _app.Client(key).GetAsync("/api/usage/secret-1");

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "usage_not_found");
    }

    [Fact]
    public async Task GetCosts_GroupedByEachDimension_TotalsMatchWhatWasRecorded()
    {
        var client = _app.Client();
        var events = new[]
        {
            Event("g-1", team: "search", extra: ",\"user\":\"u1\",\"environment\":\"dev\""),
            Event("g-2", team: "search", model: "gpt-4o", extra: ",\"user\":\"u2\""),
            Event("g-3", team: "billing", extra: ",\"timestamp\":\"2026-11-22T09:30:00Z\""),
        };
        var recorded = await (await client.PostJsonAsync("/api/usage", $"{{\"events\":[{string.Join(",", events)}]}}")).JsonAsync();
        var total = recorded.GetProperty("costUsd").GetDecimal();

        foreach (var groupBy in new[] { "team", "feature", "model", "user", "environment", "day" })
        {
            var costs = await (await client.GetAsync($"/api/costs?groupBy={groupBy}&from=2026-11-20&to=2026-11-24")).JsonAsync();
            Assert.Equal(total, costs.GetProperty("totalCostUsd").GetDecimal());
            Assert.Equal(total, costs.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("costUsd").GetDecimal()));
        }

        var byDay = await (await client.GetAsync("/api/costs?groupBy=day&from=2026-11-20&to=2026-11-24")).JsonAsync();
        // Dense: the days without calls are there, as zeros.
        Assert.Equal(["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"], byDay.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()));
        Assert.Equal(0m, byDay.GetProperty("groups")[0].GetProperty("costUsd").GetDecimal());
        var search = await (await client.GetAsync("/api/costs?groupBy=model&team=search&from=2026-11-20&to=2026-11-24")).JsonAsync();
        Assert.Equal(2, search.GetProperty("requests").GetInt64());
    }

    [Theory]
    [InlineData("groupBy=colour", "costs_group_by_invalid")]
    [InlineData("from=yesterday", "costs_time_invalid")]
    [InlineData("from=2026-11-23&to=2026-11-22", "costs_range_invalid")]
    [InlineData("from=2024-01-01&to=2026-11-22", "costs_range_too_long")]
    public async Task GetCosts_BadQuery_Is400(string query, string code)
    {
        var response = await _app.Client().GetAsync($"/api/costs?{query}");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }
}

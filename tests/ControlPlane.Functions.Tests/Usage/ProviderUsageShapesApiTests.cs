using System.Net;
using System.Text.Json;

namespace ControlPlane.Usage;

/// <summary><c>POST /api/usage</c> takes Anthropic's <c>usage</c> and Gemini's <c>usageMetadata</c> as returned, at the
/// same exact cost as the flat fields of the same call.</summary>
public sealed class ProviderUsageShapesApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<JsonElement> RecordAsync(string body)
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static string Event(string id, string model, string tokens) =>
        $$"""{"id":"{{id}}","team":"search","feature":"answers","model":"{{model}}",{{tokens}}}""";

    [Fact]
    public async Task RecordUsage_AnthropicUsageObject_CostsTheSameAsFlatFields()
    {
        var client = _app.Client();
        var anthropic = await RecordAsync(Event("an-1", "claude-sonnet-4-5",
            "\"usage\":{\"input_tokens\":100,\"cache_read_input_tokens\":2000,\"cache_creation_input_tokens\":500,\"output_tokens\":400,\"service_tier\":\"standard\"}"));
        var flat = await RecordAsync(Event("an-2", "claude-sonnet-4-5",
            "\"inputTokens\":2600,\"cachedInputTokens\":2000,\"cacheWriteTokens\":500,\"outputTokens\":400"));

        // 100 × $3 + 2,000 × $0.30 + 500 × $3.75 + 400 × $15 per million.
        Assert.Equal(0.008775m, anthropic.GetProperty("costUsd").GetDecimal());
        Assert.Equal(flat.GetProperty("costUsd").GetDecimal(), anthropic.GetProperty("costUsd").GetDecimal());
        var stored = await (await client.GetAsync("/api/usage/an-1")).JsonAsync();
        Assert.Equal(2600, stored.GetProperty("inputTokens").GetInt64());
        Assert.Equal(2000, stored.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal(500, stored.GetProperty("cacheWriteTokens").GetInt64());
    }

    [Fact]
    public async Task RecordUsage_GeminiUsageMetadata_CostsTheSameAsFlatFields()
    {
        var client = _app.Client();
        var gemini = await RecordAsync(Event("ge-1", "gemini-2.5-flash",
            "\"usageMetadata\":{\"promptTokenCount\":3000,\"cachedContentTokenCount\":1000,\"candidatesTokenCount\":200,\"thoughtsTokenCount\":300,\"totalTokenCount\":3500}"));
        var flat = await RecordAsync(Event("ge-2", "gemini-2.5-flash",
            "\"inputTokens\":3000,\"cachedInputTokens\":1000,\"outputTokens\":500,\"reasoningTokens\":300"));

        // 2,000 × $0.30 + 1,000 × $0.03 + 200 × $2.50 + 300 thinking × $2.50 per million.
        Assert.Equal(0.00188m, gemini.GetProperty("costUsd").GetDecimal());
        Assert.Equal(flat.GetProperty("costUsd").GetDecimal(), gemini.GetProperty("costUsd").GetDecimal());
        var stored = await (await client.GetAsync("/api/usage/ge-1")).JsonAsync();
        Assert.Equal(300, stored.GetProperty("reasoningTokens").GetInt64());
        Assert.Equal(500, stored.GetProperty("outputTokens").GetInt64());
    }

    public static TheoryData<string> MixedShapes => new()
    {
        Event("mx-1", "claude-sonnet-4-5", "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"cache_read_input_tokens\":3}"),
        Event("mx-2", "gpt-4o", "\"usage\":{\"input_tokens\":10,\"output_tokens\":5,\"input_tokens_details\":{\"cached_tokens\":1},\"cache_creation_input_tokens\":2}"),
        Event("mx-3", "gemini-2.5-flash", "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5},\"usageMetadata\":{\"promptTokenCount\":10}"),
        "{\"events\":[" + Event("mx-4", "gpt-4o", "\"inputTokens\":1,\"outputTokens\":1") + "," + Event("mx-5", "gpt-4o", "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"output_tokens\":1}") + "]}",
    };

    [Theory]
    [MemberData(nameof(MixedShapes))]
    public async Task RecordUsage_TwoUsageShapesInOneEvent_Is400ShapeMixedAndWritesNothing(string body)
    {
        var response = await _app.Client().PostJsonAsync("/api/usage", body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "usage_shape_mixed");
        var costs = await (await _app.Client().GetAsync("/api/costs?groupBy=team")).JsonAsync();
        Assert.Equal(0, costs.GetProperty("requests").GetInt64());
    }
}

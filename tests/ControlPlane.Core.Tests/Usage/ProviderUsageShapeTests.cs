using System.Text.Json;
using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>Anthropic's and Gemini's usage objects, forwarded as returned, partition to the same tokens (and so the
/// same cost) as the flat fields of the same call.</summary>
public sealed class ProviderUsageShapeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly UsageEventValidator _validator = new(new UsageOptions());

    private static UsageIngestRequest Parse(string model, string tokens) =>
        JsonSerializer.Deserialize<UsageIngestRequest>(
            $$"""{"id":"e-1","team":"search","feature":"answers","model":"{{model}}",{{tokens}}}""", Json)!;

    private UsageEvent Valid(string model, string tokens)
    {
        var result = _validator.ValidateIngest(Parse(model, tokens), Sheet, Now);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Code} {e.Field}")));
        return Assert.Single(result.Value);
    }

    private static CostBreakdown Price(UsageEvent e) =>
        Sheet.Price(new PricingContext(e.Provider, e.Model, e.DeploymentType, e.Batch, e.Timestamp), e.Tokens);

    [Fact]
    public void ValidateIngest_AnthropicUsage_AddsCacheReadsAndWritesToInput()
    {
        var e = Valid("claude-sonnet-4-5", """
            "usage":{"input_tokens":100,"cache_read_input_tokens":2000,"cache_creation_input_tokens":500,"output_tokens":400,
                     "cache_creation":{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":0},
                     "server_tool_use":{"web_search_requests":0},"service_tier":"standard"}
            """);

        Assert.Equal(new UsageTokens(2600, 2000, 500, 400, 0), e.Tokens);
        var flat = Valid("claude-sonnet-4-5", "\"inputTokens\":2600,\"cachedInputTokens\":2000,\"cacheWriteTokens\":500,\"outputTokens\":400");
        // 100 × $3 + 2,000 × $0.30 + 500 × $3.75 + 400 × $15 per million.
        Assert.Equal(0.008775m, Price(e).TotalCost);
        Assert.Equal(Price(flat).TotalCost, Price(e).TotalCost);
    }

    [Fact]
    public void ValidateIngest_AnthropicUsageWithLongCachedPrompt_ReachesTheLongContextTier()
    {
        // input_tokens alone (1,000) is far below the 200k tier; the prompt the tier is about is 251,000 tokens.
        var e = Valid("claude-sonnet-4-5", """
            "usage":{"input_tokens":1000,"cache_read_input_tokens":250000,"cache_creation_input_tokens":0,"output_tokens":100}
            """);

        Assert.Equal(251_000, e.Tokens.InputTokens);
        // 1,000 × $6 + 250,000 × $0.60 + 100 × $22.50 per million.
        Assert.Equal(0.15825m, Price(e).TotalCost);
    }

    [Fact]
    public void ValidateIngest_GeminiUsageMetadata_ThoughtsAreReasoningOnTopOfCandidates()
    {
        var e = Valid("gemini-2.5-flash", """
            "usageMetadata":{"promptTokenCount":3000,"cachedContentTokenCount":1000,"candidatesTokenCount":200,
                             "thoughtsTokenCount":300,"totalTokenCount":3500,
                             "promptTokensDetails":[{"modality":"TEXT","tokenCount":3000}]}
            """);

        Assert.Equal(new UsageTokens(3000, 1000, 0, 500, 300), e.Tokens);
        var chat = Valid("gemini-2.5-flash", """
            "usage":{"prompt_tokens":3000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":1000},
                     "completion_tokens_details":{"reasoning_tokens":300}}
            """);
        // 2,000 × $0.30 + 1,000 × $0.03 + 500 × $2.50 per million.
        Assert.Equal(0.00188m, Price(e).TotalCost);
        Assert.Equal(Price(chat).TotalCost, Price(e).TotalCost);
    }

    [Fact]
    public void ValidateIngest_GeminiUsageMetadataWithoutZeroFields_CountsThemAsZero()
    {
        var e = Valid("gemini-2.5-flash", "\"usageMetadata\":{\"promptTokenCount\":12,\"toolUsePromptTokenCount\":8}");

        Assert.Equal(new UsageTokens(20, 0, 0, 0, 0), e.Tokens);
    }

    [Theory]
    [InlineData("\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"cache_read_input_tokens\":3}", "usage")]
    [InlineData("\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"input_tokens\":10}", "usage")]
    [InlineData("\"usage\":{\"input_tokens\":10,\"output_tokens\":5,\"cache_read_input_tokens\":3,\"input_tokens_details\":{\"cached_tokens\":3}}", "usage")]
    [InlineData("\"usage\":{\"input_tokens\":10,\"output_tokens\":5,\"cache_creation_input_tokens\":3,\"total_tokens\":18}", "usage")]
    [InlineData("\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5},\"usageMetadata\":{\"promptTokenCount\":10}", "usageMetadata")]
    public void ValidateIngest_TwoShapesInOneEvent_IsShapeMixed(string tokens, string field)
    {
        var result = _validator.ValidateIngest(Parse("claude-sonnet-4-5", tokens), Sheet, Now);

        var error = Assert.Single(result.Errors);
        Assert.Equal(UsageErrors.ShapeMixed, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":3}", UsageErrors.TokensMissing, "usage")]
    [InlineData("\"usage\":{\"input_tokens\":10,\"output_tokens\":1,\"cache_read_input_tokens\":-3}", UsageErrors.TokensNegative, "usage.cache_read_input_tokens")]
    [InlineData("\"usageMetadata\":{\"candidatesTokenCount\":3}", UsageErrors.TokensMissing, "usageMetadata.promptTokenCount")]
    [InlineData("\"usageMetadata\":{\"promptTokenCount\":10,\"cachedContentTokenCount\":11}", UsageErrors.TokensPartitionInput, "usageMetadata.cachedContentTokenCount")]
    [InlineData("\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":2,\"thoughtsTokenCount\":3,\"totalTokenCount\":12}", UsageErrors.TokensTotalMismatch, "usageMetadata.totalTokenCount")]
    [InlineData("\"usageMetadata\":{\"promptTokenCount\":10},\"outputTokens\":3", UsageErrors.TokensConflict, "usageMetadata")]
    public void ValidateIngest_BadProviderUsage_NamesTheField(string tokens, string code, string field)
    {
        var result = _validator.ValidateIngest(Parse("claude-sonnet-4-5", tokens), Sheet, Now);

        var error = Assert.Single(result.Errors);
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Batch;

public sealed class BatchSubmissionRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly UsageEventValidator Validator = new(new UsageOptions());
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);

    private static BatchSubmissionRequest Request(string body, long? maxOutputTokens = 100, string? deployment = null) => new()
    {
        Team = "search", Feature = "summaries", Model = "gpt-4o-mini", Deployment = deployment, MaxOutputTokens = maxOutputTokens,
        Body = JsonDocument.Parse(body).RootElement,
    };

    private static ValidationResultOf Validate(BatchSubmissionRequest request, BatchOptions? options = null)
    {
        var result = request.Validate(Validator, Sheet, new BudgetOptions(), options ?? new BatchOptions(), Now);
        return new(result.Value, result.Errors.Select(e => e.Code).ToList());
    }

    private sealed record ValidationResultOf(BatchSubmission? Value, List<string> Codes);

    [Fact]
    public void Validate_BodyWithoutModelOrCap_SetsDeploymentAndCapsOutputAtMaxOutputTokens()
    {
        var result = Validate(Request("""{"messages":[{"role":"user","content":"hi"}],"temperature":0}""", deployment: "mini-batch"));

        Assert.Empty(result.Codes);
        var body = result.Value!.Body;
        Assert.Equal("mini-batch", (string?)body["model"]);
        Assert.Equal(100, (long?)body["max_completion_tokens"]);
        Assert.Equal(0, (int?)body["temperature"]);
        Assert.Equal("mini-batch", result.Value.Deployment);
        Assert.Equal("gpt-4o-mini", result.Value.Attribution.Model);
    }

    [Fact]
    public void Validate_ModelInOtherCaseOrSpacingWithoutDeployment_UsesTheSheetsSpellingForBoth()
    {
        var request = Request("""{"messages":[{"role":"user","content":"hi"}]}""");
        request.Model = " GPT-4o-Mini ";

        var result = Validate(request);

        Assert.Empty(result.Codes);
        Assert.Equal("gpt-4o-mini", result.Value!.Attribution.Model);
        Assert.Equal("gpt-4o-mini", result.Value.Deployment);
        Assert.Equal("gpt-4o-mini", (string?)result.Value.Body["model"]);
    }

    [Fact]
    public void Validate_OwnCapWithinMax_IsKept()
    {
        var result = Validate(Request("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":50}"""));

        Assert.Empty(result.Codes);
        Assert.Equal(50, (long?)result.Value!.Body["max_tokens"]);
        Assert.Null(result.Value.Body["max_completion_tokens"]);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsThemAllAtOnce()
    {
        var request = Request("""{"stream":true,"messages":"hi","max_completion_tokens":1000}""");
        request.Metadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v");

        var result = Validate(request);

        Assert.Contains(BatchErrors.MessagesRequired, result.Codes);
        Assert.Contains(BatchErrors.StreamingUnsupported, result.Codes);
        Assert.Contains(BatchErrors.MaxTokensConflict, result.Codes);
        Assert.Contains(BatchErrors.MetadataInvalid, result.Codes);
        Assert.Null(result.Value);
    }

    [Theory]
    [InlineData("ticket", "line1\nline2")]
    [InlineData("", "empty key")]
    public void Validate_MetadataTheLedgerCouldNotRecordAsTags_IsRefusedNow(string key, string value)
    {
        var request = Request("""{"messages":[{"role":"user","content":"hi"}]}""");
        request.Metadata = new Dictionary<string, string> { [key] = value };

        var result = request.Validate(Validator, Sheet, new BudgetOptions(), new BatchOptions(), Now);

        var error = Assert.Single(result.Errors);
        Assert.Equal(BatchErrors.MetadataInvalid, error.Code);
        Assert.StartsWith("metadata", error.Field);
    }

    [Fact]
    public void Validate_SeveralChoices_WorstCaseCountsEveryChoice()
    {
        var result = Validate(Request("""{"messages":[{"role":"user","content":"hi"}],"n":3}"""));

        Assert.Empty(result.Codes);
        Assert.Equal(300, result.Value!.WorstCaseOutputTokens);
        Assert.Equal([BatchErrors.BodyInvalid], Validate(Request("""{"messages":[{"role":"user","content":"hi"}],"n":0}""")).Codes);
    }

    [Fact]
    public void Validate_BodyOverTheLimit_IsRefused()
    {
        var big = new string('x', 5000);
        var result = Validate(Request($$"""{"messages":[{"role":"user","content":"{{big}}"}]}"""), new BatchOptions { MaxBodyBytes = 4096 });

        Assert.Equal([BatchErrors.BodyTooLarge], result.Codes);
    }

    [Fact]
    public void PromptTokenEstimator_CountsTextPartsNamesAndTools()
    {
        var plain = JsonNode.Parse("""{"messages":[{"role":"user","content":"Hello world"}]}""")!.AsObject();
        var parts = JsonNode.Parse("""{"messages":[{"role":"user","name":"ana","content":[{"type":"text","text":"Hello world"}]}],"tools":[{"type":"function","function":{"name":"lookup"}}]}""")!.AsObject();

        // 3 to prime the reply + 3 for the message + 1 for "user" + 2 for "Hello world".
        Assert.Equal(9, PromptTokenEstimator.Count(plain));
        Assert.True(PromptTokenEstimator.Count(parts) > PromptTokenEstimator.Count(plain) + 2);
    }
}

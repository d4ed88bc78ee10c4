using System.Text;
using System.Text.Json;

namespace ControlPlane.Batch;

public sealed class BatchJsonlTests
{
    private static ReadOnlyMemory<byte> Jsonl(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");

    [Fact]
    public void InputLine_WrapsBodyAsAChatCompletionsRequest()
    {
        var line = BatchJsonl.InputLine("breq_1", """{"model":"gpt-4o-mini","messages":[]}"""u8);

        using var json = JsonDocument.Parse(line);
        Assert.Equal("breq_1", json.RootElement.GetProperty("custom_id").GetString());
        Assert.Equal("POST", json.RootElement.GetProperty("method").GetString());
        Assert.Equal("/chat/completions", json.RootElement.GetProperty("url").GetString());
        Assert.Equal("gpt-4o-mini", json.RootElement.GetProperty("body").GetProperty("model").GetString());
        Assert.Equal((byte)'\n', line[^1]);
    }

    [Fact]
    public void CustomIds_ReadsEveryLineInOrderAndSkipsBlankOnes()
    {
        var file = Jsonl(
            Encoding.UTF8.GetString(BatchJsonl.InputLine("b", "{}"u8)).TrimEnd(),
            "",
            Encoding.UTF8.GetString(BatchJsonl.InputLine("a", "{}"u8)).TrimEnd());

        Assert.Equal(["b", "a"], BatchJsonl.CustomIds(file));
    }

    [Fact]
    public void Results_SuccessLine_ExposesBodyAndUsageWithCachedAndReasoningTokens()
    {
        var results = BatchJsonl.Results(Jsonl(
            """{"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"q","body":{"object":"chat.completion","usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160,"prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":30}}}},"error":null}"""));

        var line = results["a"];
        Assert.True(line.Succeeded);
        Assert.Equal((120L, 100L, 40L, 30L), line.Usage());
        Assert.Equal("chat.completion", line.Body!.Value.GetProperty("object").GetString());
    }

    [Fact]
    public void Results_ErrorLines_CarryTheProvidersCodeAndRetryability()
    {
        var results = BatchJsonl.Results(Jsonl(
            """{"id":"r1","custom_id":"filtered","response":{"status_code":400,"request_id":"q","body":{"error":{"code":"content_filter","message":"Filtered."}}},"error":null}""",
            """{"id":"r2","custom_id":"expired","response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}""",
            """{"id":"r3","custom_id":"throttled","response":{"status_code":429,"request_id":"q","body":{}},"error":null}"""));

        Assert.Equal(new BatchRequestError("content_filter", "Filtered."), results["filtered"].Error);
        Assert.False(results["filtered"].IsRetryable);
        Assert.Equal("batch_expired", results["expired"].Error!.Code);
        Assert.True(results["expired"].IsRetryable);
        Assert.Equal("http_429", results["throttled"].Error!.Code);
        Assert.True(results["throttled"].IsRetryable);
        Assert.All(results.Values, r => Assert.False(r.Succeeded));
    }

    [Fact]
    public void Results_LineWithoutCustomId_Throws()
    {
        Assert.ThrowsAny<Exception>(() => BatchJsonl.Results(Jsonl("""{"id":"r1","response":{"status_code":200}}""")));
    }

    [Theory]
    [InlineData("completed", true)]
    [InlineData("failed", true)]
    [InlineData("expired", true)]
    [InlineData("cancelled", true)]
    [InlineData("validating", false)]
    [InlineData("in_progress", false)]
    [InlineData("finalizing", false)]
    [InlineData("cancelling", false)]
    [InlineData("some_new_state", false)]
    public void Status_IsTerminal_OnlyForTheFourEndStates(string status, bool terminal)
    {
        Assert.Equal(terminal, new BatchJobStatus(status).IsTerminal);
    }
}

using ControlPlane.Access;
using ControlPlane.Pricing;
using ControlPlane.Usage;

namespace ControlPlane.Telemetry;

public sealed class GenAiSpanReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";
    private readonly GenAiSpanReader _reader = new(new UsageEventValidator(new UsageOptions()));

    private static ulong Nanos(DateTimeOffset at) => (ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static TelemetrySpan Span(Dictionary<string, object> attributes, Dictionary<string, object>? resource = null, string spanId = SpanId) =>
        new(TraceId, spanId, Nanos(Now.AddSeconds(-2)), Nanos(Now.AddMilliseconds(-500)), TelemetrySpanStatus.Unset, attributes,
            resource ?? new Dictionary<string, object> { ["service.name"] = "support-bot", ["controlplane.team"] = "search" });

    private static Dictionary<string, object> Chat() => new()
    {
        ["gen_ai.operation.name"] = "chat",
        ["gen_ai.provider.name"] = "azure.ai.openai",
        ["gen_ai.request.model"] = "my-gpt4o-deployment",
        ["gen_ai.response.model"] = "gpt-4o",
        ["gen_ai.usage.input_tokens"] = 1200L,
        ["gen_ai.usage.cache_read.input_tokens"] = 1000L,
        ["gen_ai.usage.output_tokens"] = 300L,
        ["gen_ai.usage.reasoning.output_tokens"] = 100L,
        ["gen_ai.conversation.id"] = "conv-1",
        ["controlplane.feature"] = "answers",
    };

    private GenAiSpanBatch Read(params TelemetrySpan[] spans) => _reader.Read(spans, Sheet, Now, _ => true);

    [Fact]
    public void Read_ChatSpan_MapsConventionsToTheUsagePartitionAndAttribution()
    {
        var batch = Read(Span(Chat()));

        var e = Assert.Single(batch.Events).Event;
        Assert.Empty(batch.Rejected);
        Assert.Equal($"otlp:{TraceId}:{SpanId}", e.Id);
        Assert.False(UsageEventIds.IsReserved(e.Id));
        Assert.Equal(("search", "answers", "support-bot", "prod", "conv-1"), (e.Team, e.Feature, e.App, e.Environment, e.Session));
        Assert.Equal((ProviderNames.AzureOpenAI, "gpt-4o"), (e.Provider, e.Model));
        // Cache reads are part of input_tokens and reasoning part of output_tokens, in the conventions as in ours.
        Assert.Equal(new UsageTokens(1200, 1000, 0, 300, 100), e.Tokens);
        Assert.Equal(Now.AddMilliseconds(-500), e.Timestamp);
        Assert.Equal(1500, e.LatencyMs);
    }

    [Fact]
    public void Read_ResponseModelTheSheetDoesNotKnow_FallsBackToAKnownRequestModel()
    {
        var attributes = Chat();
        attributes["gen_ai.request.model"] = "gpt-4o";
        attributes["gen_ai.response.model"] = "gpt-4o-2024-11-20";

        var e = Assert.Single(Read(Span(attributes)).Events).Event;

        Assert.Equal("gpt-4o", e.Model);
    }

    [Fact]
    public void Read_SpanAttributes_OverrideResourceAttributes_AndTagsAndEnvironmentFallBack()
    {
        var attributes = Chat();
        attributes["controlplane.team"] = "ads";
        attributes["controlplane.tag.ticket"] = "T-9";
        var resource = new Dictionary<string, object>
        {
            ["controlplane.team"] = "search", ["deployment.environment.name"] = "staging", ["controlplane.tag.cost_center"] = "cc-42",
        };

        var e = Assert.Single(Read(Span(attributes, resource)).Events).Event;

        Assert.Equal(("ads", "staging", (string?)null), (e.Team, e.Environment, e.App));
        Assert.Equal(new Dictionary<string, string> { ["cost_center"] = "cc-42", ["ticket"] = "T-9" }, e.Tags);
    }

    [Fact]
    public void Read_AgentToolAndPlainSpans_AreIgnoredNotRejected()
    {
        var agent = new Dictionary<string, object> { ["gen_ai.operation.name"] = "invoke_agent", ["gen_ai.usage.input_tokens"] = 5000L };
        var http = new Dictionary<string, object> { ["http.request.method"] = "GET" };

        var batch = Read(Span(agent), Span(http, spanId: "00f067aa0ba902b8"));

        Assert.Equal((0, 0, 2), (batch.Events.Count, batch.Rejected.Count, batch.Ignored));
    }

    [Fact]
    public void Read_EmbeddingsSpanWithoutOutputTokens_RecordsZeroOutput()
    {
        var attributes = new Dictionary<string, object>
        {
            ["gen_ai.operation.name"] = "embeddings", ["gen_ai.request.model"] = "text-embedding-3-small",
            ["gen_ai.usage.input_tokens"] = 800L, ["controlplane.feature"] = "index",
        };

        var e = Assert.Single(Read(Span(attributes)).Events).Event;

        Assert.Equal(new UsageTokens(800, 0, 0, 0, 0), e.Tokens);
    }

    [Fact]
    public void Read_InvalidSpan_IsRejectedWithEveryProblemNamedByItsAttribute()
    {
        var attributes = Chat();
        attributes.Remove("controlplane.feature");
        attributes["gen_ai.usage.output_tokens"] = "300";

        var batch = Read(Span(attributes));

        var rejected = Assert.Single(batch.Rejected);
        Assert.Empty(batch.Events);
        Assert.Equal(
            [
                (TelemetryErrors.AttributeInvalid, "gen_ai.usage.output_tokens"),
                (UsageErrors.FieldRequired, "controlplane.feature"),
            ],
            rejected.Errors.Select(e => (e.Code, e.Field)));
        var message = RejectedSpan.Describe(batch.Rejected);
        Assert.StartsWith($"1 GenAI span was not recorded. span {TraceId}/{SpanId}: otlp_attribute_invalid (gen_ai.usage.output_tokens)", message);
        Assert.Contains("usage_field_required (controlplane.feature)", message);
    }

    [Fact]
    public void Read_CacheReadAboveInput_IsRejectedAsABadPartition()
    {
        // An instrumentation that leaves the cache out of input_tokens (against the conventions) is refused, not undercharged silently.
        var attributes = Chat();
        attributes["gen_ai.usage.cache_read.input_tokens"] = 5000L;

        var rejected = Assert.Single(Read(Span(attributes)).Rejected);

        Assert.Equal((UsageErrors.TokensPartitionInput, "gen_ai.usage.cache_read.input_tokens"), (rejected.Errors[0].Code, rejected.Errors[0].Field));
    }

    [Theory]
    [InlineData("", SpanId)]
    [InlineData(TraceId, "0000000000000000")]
    public void Read_SpanWithoutAValidId_IsRejected(string traceId, string spanId)
    {
        var span = Span(Chat()) with { TraceId = traceId, SpanId = spanId };

        var rejected = Assert.Single(Read(span).Rejected);

        Assert.Equal([TelemetryErrors.SpanIdInvalid], rejected.Errors.Select(e => e.Code));
    }

    [Fact]
    public void Read_TeamTheCallerMayNotRecordFor_IsRejectedAndTheOthersKept()
    {
        var other = Chat();
        other["controlplane.team"] = "ads";

        var batch = _reader.Read([Span(Chat()), Span(other, spanId: "00f067aa0ba902b8")], Sheet, Now, team => team == "search");

        Assert.Equal("search", Assert.Single(batch.Events).Event.Team);
        Assert.Equal((AccessErrors.TeamForbidden, "controlplane.team"), Assert.Single(Assert.Single(batch.Rejected).Errors) is var e ? (e.Code, e.Field) : default);
    }

    [Fact]
    public void Describe_ManyRejectedSpans_NamesTheFirstFiveAndCountsTheRest()
    {
        var rejected = Enumerable.Range(0, 8).Select(i => new RejectedSpan(TraceId, $"00f067aa0ba902{i:x2}", [new(UsageErrors.FieldRequired, "controlplane.team", "team is required.")])).ToList();

        var message = RejectedSpan.Describe(rejected);

        Assert.Equal(RejectedSpan.MaxDescribed, message.Split("span ").Length - 1);
        Assert.EndsWith("and 3 more.", message);
    }
}

using ControlPlane.Usage;

namespace ControlPlane.Usage;

public sealed class UsageEventValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly UsageEventValidator _validator = new(new UsageOptions());

    private static UsageIngestRequest Valid() => new()
    {
        Id = "e-1", Team = "search", Feature = "answers", Model = "gpt-4o", InputTokens = 100, OutputTokens = 50,
    };

    [Fact]
    public void ValidateIngest_MinimalEvent_AppliesDefaults()
    {
        var result = _validator.ValidateIngest(Valid(), Now);

        var e = Assert.Single(result.Value);
        Assert.True(result.IsValid);
        Assert.Equal(Now, e.Timestamp);
        Assert.Equal("prod", e.Environment);
        Assert.False(e.Batch);
        Assert.Equal(new Pricing.UsageTokens(100, 0, 0, 50, 0), e.Tokens);
    }

    [Fact]
    public void ValidateIngest_ResponsesApiUsageObject_MapsInputAndOutputDetails()
    {
        var request = Valid();
        request.InputTokens = request.OutputTokens = null;
        request.Usage = new ProviderUsage
        {
            InputTokens = 900, OutputTokens = 400,
            InputTokensDetails = new ProviderInputDetails { CachedTokens = 512 },
            OutputTokensDetails = new ProviderOutputDetails { ReasoningTokens = 256 },
        };

        var e = Assert.Single(_validator.ValidateIngest(request, Now).Value);

        Assert.Equal(new Pricing.UsageTokens(900, 512, 0, 400, 256), e.Tokens);
    }

    [Fact]
    public void ValidateIngest_BatchDeploymentType_MarksBatchAndLowersCase()
    {
        var request = Valid();
        request.DeploymentType = "Batch";

        var e = Assert.Single(_validator.ValidateIngest(request, Now).Value);

        Assert.True(e.Batch);
        Assert.Equal("batch", e.DeploymentType);
    }

    [Theory]
    [InlineData("2026-11-23T11:00:00+01:00", "2026-11-23T10:00:00Z")]
    [InlineData("2026-10-19T12:00:00Z", "2026-10-19T12:00:00Z")]
    [InlineData("2026-11-23T12:05:00Z", "2026-11-23T12:05:00Z")]
    public void ValidateIngest_TimestampWithinBounds_IsNormalisedToUtc(string given, string expected)
    {
        var request = Valid();
        request.Timestamp = given;

        var e = Assert.Single(_validator.ValidateIngest(request, Now).Value);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
    }

    [Fact]
    public void ValidateIngest_BackfillWindowIsConfigurable()
    {
        var request = Valid();
        request.Timestamp = "2026-09-01T00:00:00Z";
        var wide = new UsageEventValidator(new UsageOptions { MaxBackfill = TimeSpan.FromDays(90) });

        Assert.False(_validator.ValidateIngest(request, Now).IsValid);
        Assert.True(wide.ValidateIngest(request, Now).IsValid);
    }

    [Fact]
    public void ValidateIngest_ExactlyAtTokenBound_IsAccepted()
    {
        var request = Valid();
        request.InputTokens = UsageEventValidator.MaxTokens;
        request.CachedInputTokens = UsageEventValidator.MaxTokens;

        Assert.True(_validator.ValidateIngest(request, Now).IsValid);
    }

    [Fact]
    public void ValidateIngest_CachedPlusCacheWriteAboveInput_IsPartitionError()
    {
        var request = Valid();
        request.CachedInputTokens = 60;
        request.CacheWriteTokens = 41;

        var result = _validator.ValidateIngest(request, Now);

        Assert.Equal(UsageErrors.TokensPartitionInput, Assert.Single(result.Errors).Code);
    }

    [Fact]
    public void ValidateIngest_ThousandEvents_IsAcceptedAndOneMoreIsNot()
    {
        var thousand = new UsageIngestRequest { Events = [.. Enumerable.Range(0, 1000).Select(i => (UsageEventRequest?)new UsageEventRequest { Id = $"e{i}", Team = "t", Feature = "f", Model = "m", InputTokens = 1, OutputTokens = 1 })] };
        var more = new UsageIngestRequest { Events = [.. thousand.Events, thousand.Events[0]] };

        Assert.True(_validator.ValidateIngest(thousand, Now).IsValid);
        Assert.Equal(UsageErrors.BatchTooLarge, Assert.Single(_validator.ValidateIngest(more, Now).Errors).Code);
    }
}

using ControlPlane.Pricing;

namespace ControlPlane.Usage;

public sealed class UsageEventValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private readonly UsageEventValidator _validator = new(new UsageOptions());

    private static UsageIngestRequest Valid() => new()
    {
        Id = "e-1", Team = "search", Feature = "answers", Model = "gpt-4o", InputTokens = 100, OutputTokens = 50,
    };

    [Fact]
    public void ValidateIngest_MinimalEvent_AppliesDefaults()
    {
        var result = _validator.ValidateIngest(Valid(), Sheet, Now);

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

        var e = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Value);

        Assert.Equal(new Pricing.UsageTokens(900, 512, 0, 400, 256), e.Tokens);
    }

    [Fact]
    public void ValidateSingle_BatchDeploymentType_MarksBatchAndLowersCase()
    {
        // Only the server's own records (the nightly batch's results) may carry batch prices; clients are refused.
        var request = Valid();
        request.DeploymentType = "Batch";

        var e = _validator.ValidateSingle(request, Sheet, Now).Value!;

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

        var e = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Value);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
    }

    [Fact]
    public void ValidateIngest_BackfillWindowIsConfigurable()
    {
        var request = Valid();
        request.Timestamp = "2026-09-01T00:00:00Z";
        var wide = new UsageEventValidator(new UsageOptions { MaxBackfill = TimeSpan.FromDays(90) });

        Assert.False(_validator.ValidateIngest(request, Sheet, Now).IsValid);
        Assert.True(wide.ValidateIngest(request, Sheet, Now).IsValid);
    }

    [Fact]
    public void ValidateIngest_ExactlyAtTokenBound_IsAccepted()
    {
        var request = Valid();
        request.InputTokens = UsageEventValidator.MaxTokens;
        request.CachedInputTokens = UsageEventValidator.MaxTokens;

        Assert.True(_validator.ValidateIngest(request, Sheet, Now).IsValid);
    }

    [Fact]
    public void ValidateIngest_CachedPlusCacheWriteAboveInput_IsPartitionError()
    {
        var request = Valid();
        request.CachedInputTokens = 60;
        request.CacheWriteTokens = 41;

        var result = _validator.ValidateIngest(request, Sheet, Now);

        Assert.Equal(UsageErrors.TokensPartitionInput, Assert.Single(result.Errors).Code);
    }

    [Fact]
    public void ValidateIngest_ThousandEvents_IsAcceptedAndOneMoreIsNot()
    {
        var thousand = new UsageIngestRequest { Events = [.. Enumerable.Range(0, 1000).Select(i => (UsageEventRequest?)new UsageEventRequest { Id = $"e{i}", Team = "t", Feature = "f", Model = "m", InputTokens = 1, OutputTokens = 1 })] };
        var more = new UsageIngestRequest { Events = [.. thousand.Events, thousand.Events[0]] };

        Assert.True(_validator.ValidateIngest(thousand, Sheet, Now).IsValid);
        Assert.Equal(UsageErrors.BatchTooLarge, Assert.Single(_validator.ValidateIngest(more, Sheet, Now).Errors).Code);
    }

    [Theory]
    [InlineData("cp:batch:breq_1")]
    [InlineData("cp:gpu:infer:638999")]
    [InlineData("batch:breq_1")]
    [InlineData("gpu-infer-638999")]
    public void ValidateIngest_IdInTheServersNamespace_IsReserved(string id)
    {
        var request = Valid();
        request.Id = id;

        var error = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Errors);

        Assert.Equal(UsageErrors.IdReserved, error.Code);
        Assert.Equal("id", error.Field);
        Assert.Contains("'cp:'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateSingle_ServerIdAndBatchPrices_AreTheServersOwnRecord()
    {
        var request = Valid();
        request.Id = "cp:batch:breq_1";
        request.Batch = true;

        Assert.True(_validator.ValidateSingle(request, Sheet, Now).IsValid);
    }

    [Fact]
    public void ValidateIngest_ClientClaimsBatchPrices_ReportsBothFieldsAtOnce()
    {
        var request = Valid();
        request.Batch = true;
        request.DeploymentType = "BATCH";

        var errors = _validator.ValidateIngest(request, Sheet, Now).Errors;

        Assert.Equal([("batch", UsageErrors.BatchPriceReserved), ("deploymentType", UsageErrors.BatchPriceReserved)], errors.Select(e => (e.Field, e.Code)));
    }

    [Fact]
    public void ValidateIngest_NamesInOddCaseSpacingAndAlias_AreRecordedCanonical()
    {
        var request = Valid();
        request.Model = "GPT-4O ";
        request.Provider = " AOAI";

        var e = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Value);

        Assert.Equal("gpt-4o", e.Model);
        Assert.Equal("azure-openai", e.Provider);
    }

    [Fact]
    public void ValidateIngest_UnknownProvider_IsRefusedListingTheKnownOnes()
    {
        var request = Valid();
        request.Provider = "acme-proxy";

        var error = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Errors);

        Assert.Equal((UsageErrors.ProviderUnknown, "provider"), (error.Code, error.Field));
        Assert.Contains("azure-openai (also aoai, azure, azure_openai, azureopenai)", error.Message, StringComparison.Ordinal);
        Assert.Contains("anthropic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateIngest_UnknownProviderWithUnknownModel_IsStillRefused()
    {
        var request = Valid();
        request.Provider = "acme-proxy";
        request.Model = "my-finetune-v7";

        Assert.Equal(UsageErrors.ProviderUnknown, Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Errors).Code);
    }

    [Fact]
    public void ValidateIngest_KnownModelUnderProviderThatDoesNotPriceIt_NamesTheProvidersThatDo()
    {
        var request = Valid();
        request.Provider = "anthropic";

        var error = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Errors);

        Assert.Equal((UsageErrors.ProviderModelMismatch, "provider"), (error.Code, error.Field));
        Assert.Contains("azure-openai, openai", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateIngest_UnknownModelUnderKnownProvider_IsAccepted()
    {
        var request = Valid();
        request.Provider = "openai";
        request.Model = "My-Finetune-V7";

        var e = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Value);

        Assert.Equal("my-finetune-v7", e.Model);
    }

    [Fact]
    public void ValidateIngest_EveryProblemInABatch_IsReportedAtOnce()
    {
        var reserved = Valid();
        reserved.Id = "cp:batch:x";
        var unknown = Valid();
        unknown.Id = "e-2";
        unknown.Provider = "acme-proxy";
        var batch = Valid();
        batch.Id = "e-3";
        batch.Batch = true;
        var request = new UsageIngestRequest { Events = [reserved, unknown, batch] };

        var result = _validator.ValidateIngest(request, Sheet, Now);

        Assert.Empty(result.Value);
        Assert.Equal(
            [("events[0].id", UsageErrors.IdReserved), ("events[1].provider", UsageErrors.ProviderUnknown), ("events[2].batch", UsageErrors.BatchPriceReserved)],
            result.Errors.Select(e => (e.Field, e.Code)));
    }

    [Theory]
    [InlineData("a1b2c3d4")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("q83vEjRWeJA=")]
    [InlineData("tool_call-search:v2/ab+cd")]
    public void ValidateIngest_SessionAndRequestHash_AreKept(string hash)
    {
        var request = Valid();
        request.Session = "conversation-42";
        request.RequestHash = hash;

        var e = Assert.Single(_validator.ValidateIngest(request, Sheet, Now).Value);

        Assert.Equal(("conversation-42", hash), (e.Session, e.RequestHash));
    }

    [Theory]
    [InlineData("a1b2c3d")]
    [InlineData("summarize this contract for me")]
    [InlineData("abcdefgh\n")]
    [InlineData("é1234567")]
    public void ValidateIngest_RequestHashNotABoundedToken_IsRejected(string hash)
    {
        var request = Valid();
        request.RequestHash = hash;

        var result = _validator.ValidateIngest(request, Sheet, Now);

        Assert.Equal([("requestHash", UsageErrors.RequestHashInvalid)], result.Errors.Select(e => (e.Field, e.Code)));
    }

    [Fact]
    public void ValidateIngest_RequestHashTooLongAndSessionTooLong_ReportsBoth()
    {
        var request = Valid();
        request.RequestHash = new string('a', UsageEventValidator.MaxRequestHashLength + 1);
        request.Session = new string('s', UsageEventValidator.MaxIdLength + 1);

        var result = _validator.ValidateIngest(request, Sheet, Now);

        Assert.Equal([("session", UsageErrors.FieldTooLong), ("requestHash", UsageErrors.RequestHashInvalid)], result.Errors.Select(e => (e.Field, e.Code)));
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Azure.Capacity;
using ControlPlane.Batch;
using ControlPlane.Budgets;
using ControlPlane.Capacity;
using ControlPlane.Testing.Fakes;
using ControlPlane.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.Attacks;

/// <summary>
/// Issue 9, holes 6 and 7: a hostile client naming its way to free calls (an unknown provider string, a model name
/// in another case or with a trailing space, a claim to batch prices) or taking first the ids the server writes
/// (a batch request's result, a GPU pool's running cost). Each attack is refused, or priced as the call it is.
/// </summary>
public sealed class NamingAttackTests : IAsyncLifetime
{
    /// <summary>gpt-4o: $2.50 in, $10 out per million (openai and azure-openai alike).</summary>
    private const decimal Gpt4oThousandInThousandOut = 0.0125m;

    private readonly ControlPlaneApp _app = new();
    private HttpClient _admin = null!;
    private HttpClient _search = null!;

    public async Task InitializeAsync()
    {
        _admin = _app.Client();
        _search = _app.Client(await _app.IssueKeyAsync("ingest", "search"));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static object Usage(string id, string model = "gpt-4o", string? provider = null, bool? batch = null, string? deploymentType = null) => new
    {
        id, team = "search", feature = "answers", provider, model, deploymentType, batch, inputTokens = 1000, outputTokens = 1000,
    };

    private static object Call(string model = "gpt-4o", string? provider = null, bool? batch = null, string? deploymentType = null) => new
    {
        team = "search", feature = "answers", provider, model, deploymentType, batch, inputTokens = 1000, maxOutputTokens = 1000,
    };

    private async Task AssertNotRecordedAsync(string id) =>
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/usage/{Uri.EscapeDataString(id)}")).StatusCode);

    [Fact]
    public async Task Usage_KnownModelUnderUnknownProvider_IsRefusedNotFree()
    {
        var response = await _search.PostAsJsonAsync("/api/usage", Usage("acme-1", provider: "acme-proxy"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.ProviderUnknown);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal(UsageErrors.ProviderUnknown, error.GetProperty("code").GetString());
        Assert.Equal("provider", error.GetProperty("field").GetString());
        var message = error.GetProperty("message").GetString()!;
        foreach (var known in new[] { "anthropic", "azure-ai", "azure-openai", "google", "openai", "aoai", "azure_openai" })
        {
            Assert.Contains(known, message, StringComparison.Ordinal);
        }

        await AssertNotRecordedAsync("acme-1");
    }

    [Theory]
    [InlineData("GPT-4O ")]
    [InlineData(" gpt-4o")]
    [InlineData("Gpt-4O")]
    public async Task Usage_KnownModelInOtherCaseOrWithSpaces_IsPricedNotFree(string model)
    {
        var body = await (await _search.PostAsJsonAsync("/api/usage", Usage("case-1", model, provider: "openai"))).JsonAsync();

        var e = body.GetProperty("events")[0];
        Assert.False(e.GetProperty("unpriced").GetBoolean());
        Assert.Equal(Gpt4oThousandInThousandOut, e.GetProperty("costUsd").GetDecimal());
        var stored = await (await _admin.GetAsync("/api/usage/case-1")).JsonAsync();
        Assert.Equal("gpt-4o", stored.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("AOAI")]
    [InlineData(" azure_openai ")]
    public async Task Usage_ProviderAlias_IsPricedUnderTheCanonicalProvider(string provider)
    {
        var body = await (await _search.PostAsJsonAsync("/api/usage", Usage("alias-1", provider: provider))).JsonAsync();

        Assert.Equal(Gpt4oThousandInThousandOut, body.GetProperty("costUsd").GetDecimal());
        var stored = await (await _admin.GetAsync("/api/usage/alias-1")).JsonAsync();
        Assert.Equal("azure-openai", stored.GetProperty("provider").GetString());
    }

    [Fact]
    public async Task Usage_KnownModelUnderProviderThatDoesNotPriceIt_IsRefusedNamingThoseThatDo()
    {
        var response = await _search.PostAsJsonAsync("/api/usage", Usage("mismatch-1", provider: "anthropic"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.ProviderModelMismatch);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal(UsageErrors.ProviderModelMismatch, error.GetProperty("code").GetString());
        Assert.Equal("provider", error.GetProperty("field").GetString());
        Assert.Contains("azure-openai, openai", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNotRecordedAsync("mismatch-1");
    }

    [Fact]
    public async Task Usage_UnknownModelUnderKnownProvider_IsStillRecordedUnpriced()
    {
        var body = await (await _search.PostAsJsonAsync("/api/usage", Usage("unknown-1", "My-Finetune-V7", provider: "azure"))).JsonAsync();

        Assert.Equal(1, body.GetProperty("recorded").GetInt32());
        Assert.True(body.GetProperty("events")[0].GetProperty("unpriced").GetBoolean());
        var stored = await (await _admin.GetAsync("/api/usage/unknown-1")).JsonAsync();
        Assert.Equal("my-finetune-v7", stored.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Usage_ClientClaimsBatchPrices_IsRefusedWithEveryProblemAndNothingRecorded()
    {
        var response = await _search.PostAsJsonAsync("/api/usage", new
        {
            events = new[]
            {
                Usage("honest-1"),
                Usage("flag-1", batch: true),
                Usage("type-1", deploymentType: "Batch"),
            },
        });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.BatchPriceReserved);
        Assert.Equal(
            ["events[1].batch usage_batch_price_reserved", "events[2].deploymentType usage_batch_price_reserved"],
            problem.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("field").GetString()} {e.GetProperty("code").GetString()}"));
        foreach (var id in new[] { "honest-1", "flag-1", "type-1" })
        {
            await AssertNotRecordedAsync(id);
        }
    }

    [Fact]
    public async Task Authorize_ClientClaimsBatchPrices_IsRefused()
    {
        var flag = await _search.PostAsJsonAsync("/api/authorize", Call(provider: "azure-openai", batch: true));
        var type = await _search.PostAsJsonAsync("/api/authorize", Call(provider: "azure-openai", deploymentType: "batch"));

        var flagError = Assert.Single((await flag.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.BatchPriceReserved)).GetProperty("errors").EnumerateArray());
        Assert.Equal(("batch", UsageErrors.BatchPriceReserved), (flagError.GetProperty("field").GetString(), flagError.GetProperty("code").GetString()));
        var typeError = Assert.Single((await type.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.BatchPriceReserved)).GetProperty("errors").EnumerateArray());
        Assert.Equal(("deploymentType", UsageErrors.BatchPriceReserved), (typeError.GetProperty("field").GetString(), typeError.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Authorize_KnownModelUnderUnknownProvider_IsRefusedNotAllowedAtZero()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m });

        var response = await _search.PostAsJsonAsync("/api/authorize", Call(provider: "acme-proxy"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.ProviderUnknown);
        Assert.Equal(UsageErrors.ProviderUnknown, Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("code").GetString());
        Assert.Equal(0m, (await _admin.GetBudgetAsync("search-daily")).Money("reservedUsd"));
    }

    [Fact]
    public async Task Authorize_KnownModelInOtherCaseUnderAlias_ReservesItsRealPrice()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m });

        var grant = await (await _search.PostAsJsonAsync("/api/authorize", Call("GPT-4O ", provider: "AOAI"))).JsonAsync();

        Assert.True(grant.GetProperty("allowed").GetBoolean(), grant.ToString());
        Assert.Equal(Gpt4oThousandInThousandOut, grant.Money("ceilingUsd"));
    }

    [Fact]
    public async Task Authorize_UnpricedModelUnderHardBudgetLeftAtDefaults_IsDenied()
    {
        var budget = await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m });

        var answer = await (await _search.PostAsJsonAsync("/api/authorize", Call("my-finetune-v7"))).JsonAsync();

        Assert.True(budget.GetProperty("denyUnpriced").GetBoolean());
        Assert.False(answer.GetProperty("allowed").GetBoolean());
        Assert.Equal(DenialReasons.UnpricedModel, answer.GetProperty("reason").GetString());
        Assert.Equal("search-daily", answer.GetProperty("budgetId").GetString());
    }

    [Fact]
    public async Task Authorize_UnpricedModelUnderBudgetThatOptsOut_IsAllowed()
    {
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 1m, denyUnpriced = false });

        var answer = await (await _search.PostAsJsonAsync("/api/authorize", Call("my-finetune-v7"))).JsonAsync();

        Assert.True(answer.GetProperty("allowed").GetBoolean(), answer.ToString());
    }

    [Fact]
    public async Task Quote_KnownModelInOtherCaseUnderAlias_IsPricedNotFree()
    {
        var quote = await (await _search.PostAsJsonAsync("/api/prices/quote", new { provider = " Azure ", model = "GPT-4O ", inputTokens = 1000, outputTokens = 1000 })).JsonAsync();

        Assert.True(quote.GetProperty("priced").GetBoolean(), quote.ToString());
        Assert.Equal(Gpt4oThousandInThousandOut, quote.Money("costUsd"));
    }

    [Fact]
    public async Task Quote_KnownModelUnderUnknownProvider_IsRefused()
    {
        var response = await _search.PostAsJsonAsync("/api/prices/quote", new { provider = "acme-proxy", model = "gpt-4o", inputTokens = 1000, outputTokens = 1000 });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.ProviderUnknown);
        Assert.Equal(UsageErrors.ProviderUnknown, Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Prices_OverrideWrittenUnderAnAlias_PricesTheCanonicalProvidersCalls()
    {
        var put = await _admin.PutAsJsonAsync("/api/prices", new { prices = new[] { new { provider = " AOAI ", model = "house-model", inputPerMTok = 1m, outputPerMTok = 2m } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var replace = await _admin.PutAsJsonAsync("/api/prices", new { prices = new[] { new { provider = "azure-openai", model = "house-model", inputPerMTok = 3m, outputPerMTok = 4m } } });
        Assert.True(replace.IsSuccessStatusCode, await replace.Content.ReadAsStringAsync());

        var body = await (await _search.PostAsJsonAsync("/api/usage", Usage("house-1", "House-Model", provider: "azure"))).JsonAsync();

        // The second write replaced the first (one key under the canonical name): 1,000 × $3 + 1,000 × $4 per million.
        Assert.Equal(0.007m, body.GetProperty("costUsd").GetDecimal());
        var prices = await (await _admin.GetAsync("/api/prices?model=house-model")).JsonAsync();
        var entry = Assert.Single(prices.GetProperty("prices").EnumerateArray());
        Assert.Equal("azure-openai", entry.GetProperty("provider").GetString());
    }

    [Fact]
    public async Task Budget_ModelScopeAndCallsInOtherCaseOrSpacing_StillMatch()
    {
        await _admin.PutBudgetAsync("gpt4o-daily", new { scope = new { type = "model", value = " GPT-4o " }, period = "daily", limitUsd = 1m, mode = "soft" });

        (await _search.PostAsJsonAsync("/api/usage", Usage("scoped-1", "gpt-4o "))).EnsureSuccessStatusCode();

        var budget = await _admin.GetBudgetAsync("gpt4o-daily");
        Assert.Equal("GPT-4o", budget.GetProperty("scope").GetProperty("value").GetString());
        Assert.Equal(Gpt4oThousandInThousandOut, budget.Money("spentUsd"));
    }

    [Theory]
    [InlineData("cp:batch:breq_0123456789abcdef")]
    [InlineData("batch:breq_0123456789abcdef")]
    [InlineData("cp:gpu:infer:639000000000000000")]
    [InlineData("gpu-infer-639000000000000000")]
    public async Task Usage_IdInTheServersNamespace_IsRefusedNamingThePrefix(string id)
    {
        var response = await _search.PostAsJsonAsync("/api/usage", Usage(id));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.IdReserved);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal(UsageErrors.IdReserved, error.GetProperty("code").GetString());
        Assert.Equal("id", error.GetProperty("field").GetString());
        Assert.Contains("'cp:'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNotRecordedAsync(id);
    }

    [Fact]
    public async Task Usage_BatchRequestsResultIdTakenFirst_IsRefusedAndTheBatchStillCharges()
    {
        await using var h = await BatchHarness.StartAsync();
        var search = h.App.Client(await h.App.IssueKeyAsync("ingest", "search"));
        var id = await h.SubmitOkAsync();

        foreach (var taken in new[] { BatchRequest.UsageEventIdFor(id), "batch:" + id })
        {
            var response = await search.PostAsJsonAsync("/api/usage", Usage(taken, "gpt-4o-mini", provider: "azure-openai"));
            await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.IdReserved);
        }

        var run = await h.RunToEndAsync(await h.StartNightlyAsync());

        Assert.Equal("completed", run.GetProperty("status").GetString());
        var request = await h.GetRequestAsync(id);
        Assert.Equal("completed", request.GetProperty("status").GetString());
        Assert.Equal("cp:batch:" + id, request.GetProperty("usageEventId").GetString());
        var recorded = await (await h.Admin.GetAsync($"/api/usage/cp:batch:{id}")).JsonAsync();
        Assert.True(recorded.Money("costUsd") > 0m, recorded.ToString());
        Assert.Equal(request.Money("costUsd"), recorded.Money("costUsd"));
        Assert.True(recorded.GetProperty("batch").GetBoolean());
    }

    [Fact]
    public async Task Usage_GpuRunningCostIdReadFromThePool_CannotBeTakenFirst()
    {
        await using var arm = await FakeArmServer.StartAsync();
        var scaleSetId = arm.AddScaleSet("infer", capacity: 2);
        var options = new CapacityArmOptions { PollingInterval = TimeSpan.FromMilliseconds(20), RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(200) };
        await using var app = new ControlPlaneApp(services: s =>
        {
            s.RemoveAll<IScaleSetController>();
            s.AddSingleton<IScaleSetController>(new ArmScaleSetController(FakeArm.CreateClient(arm, ArmScaleSetController.CreateClientOptions(options)), options));
        });
        var admin = app.Client();
        var search = app.Client(await app.IssueKeyAsync("ingest", "search"));
        (await admin.PutAsJsonAsync("/api/gpu/pools/infer", new { scaleSetId, minCapacity = 1, maxCapacity = 8, team = "search", hourlyPriceUsd = 3.60m, mode = "enforce" })).EnsureSuccessStatusCode();
        var first = await RunRightsizingAsync(admin);

        // The interval the next run bills starts at this decision, which anyone may read.
        var ticks = first.GetProperty("timestamp").GetDateTimeOffset().UtcTicks.ToString(CultureInfo.InvariantCulture);
        foreach (var taken in new[] { $"cp:gpu:infer:{ticks}", $"gpu-infer-{ticks}" })
        {
            var response = await search.PostAsJsonAsync("/api/usage", Usage(taken, "gpu:infer"));
            await response.AssertProblemAsync(HttpStatusCode.BadRequest, UsageErrors.IdReserved);
        }

        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await RunRightsizingAsync(admin);

        // Two instances × $3.60/h × 5 minutes.
        var recorded = await (await admin.GetAsync($"/api/usage/cp:gpu:infer:{ticks}")).JsonAsync();
        Assert.Equal(0.60m, recorded.Money("costUsd"));
        Assert.Equal("search", recorded.GetProperty("team").GetString());
    }

    private static async Task<JsonElement> RunRightsizingAsync(HttpClient admin)
    {
        var response = await admin.PostAsync("/admin/functions/GpuPoolRightsizing", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await (await admin.GetAsync("/api/gpu/pools/infer/decisions?limit=1")).JsonAsync()).GetProperty("decisions")[0];
    }
}

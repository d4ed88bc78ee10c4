using System.Net;
using System.Net.Http.Json;
using ControlPlane.Azure.Capacity;
using ControlPlane.Budgets;
using ControlPlane.Capacity;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.Capacity;

/// <summary>
/// GPU pools end to end: the real Azure.ResourceManager SDK drives a local fake of the scale-set endpoints in
/// enforce mode; in recommend mode nothing reaches it.
/// </summary>
public sealed class GpuPoolsApiTests : IAsyncLifetime
{
    private FakeArmServer _arm = null!;
    private ControlPlaneApp _app = null!;
    private HttpClient _admin = null!;
    private string _scaleSetId = null!;

    public async Task InitializeAsync()
    {
        _arm = await FakeArmServer.StartAsync();
        _scaleSetId = _arm.AddScaleSet("infer", capacity: 2);
        var options = new CapacityArmOptions { PollingInterval = TimeSpan.FromMilliseconds(20), RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(200) };
        _app = new ControlPlaneApp(services: s =>
        {
            s.RemoveAll<IScaleSetController>();
            s.AddSingleton<IScaleSetController>(new ArmScaleSetController(FakeArm.CreateClient(_arm, ArmScaleSetController.CreateClientOptions(options)), options));
        });
        _admin = _app.Client();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _arm.DisposeAsync();
    }

    private Task<HttpResponseMessage> PutPoolAsync(string mode, int min = 1, decimal price = 3.60m) =>
        _admin.PutAsJsonAsync("/api/gpu/pools/infer", new
        {
            scaleSetId = _scaleSetId, minCapacity = min, maxCapacity = 8, team = "search", hourlyPriceUsd = price, mode,
        });

    private async Task SampleAsync(double utilization, int queueDepth = 0)
    {
        var response = await _admin.PostAsJsonAsync("/api/gpu/pools/infer/samples", new { samples = new[] { new { utilization, queueDepth } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<System.Text.Json.JsonElement> RunAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        HttpResponseMessage response;
        try
        {
            response = await _admin.PostAsync("/admin/functions/GpuPoolRightsizing", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException("Rightsizing did not finish; the fake saw: " + string.Join(" | ", _arm.Requests.Select(r => $"{r.Method} {r.Path}{r.Query}")));
        }

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await (await _admin.GetAsync("/api/gpu/pools/infer/decisions?limit=1")).JsonAsync()).GetProperty("decisions")[0];
    }

    [Fact]
    public async Task RecommendMode_RecordsDecisionWithReasonsAndCallsNothing()
    {
        (await PutPoolAsync("recommend")).EnsureSuccessStatusCode();
        await SampleAsync(0.97);

        var decision = await RunAsync();

        Assert.Equal(1, decision.GetProperty("currentCapacity").GetInt32());
        Assert.Equal(2, decision.GetProperty("desiredCapacity").GetInt32());
        Assert.False(decision.GetProperty("applied").GetBoolean());
        Assert.Contains(decision.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("above 80", StringComparison.Ordinal));
        Assert.Empty(_arm.Requests);
    }

    [Fact]
    public async Task EnforceMode_SetsTheScaleSetThroughTheSdk()
    {
        (await PutPoolAsync("enforce")).EnsureSuccessStatusCode();
        await SampleAsync(0.95);

        var decision = await RunAsync();

        Assert.Equal(2, decision.GetProperty("currentCapacity").GetInt32());
        Assert.Equal(3, decision.GetProperty("desiredCapacity").GetInt32());
        Assert.True(decision.GetProperty("applied").GetBoolean());
        Assert.Equal(3, _arm.Find(_scaleSetId)!.Capacity);
        Assert.Equal(1, _arm.CountRequests("PATCH", _scaleSetId));
    }

    [Fact]
    public async Task EnforceMode_ScaleSetBusy_RecordsNotAppliedWithTheReason()
    {
        (await PutPoolAsync("enforce")).EnsureSuccessStatusCode();
        await SampleAsync(0.95);
        _arm.StartOtherOperation(_scaleSetId);

        var decision = await RunAsync();

        Assert.False(decision.GetProperty("applied").GetBoolean());
        Assert.False(string.IsNullOrEmpty(decision.GetProperty("error").GetString()));
        Assert.Equal(2, _arm.Find(_scaleSetId)!.Capacity);
    }

    [Fact]
    public async Task TrippedTeamBudget_ScalesThePoolToItsMinimum()
    {
        (await PutPoolAsync("enforce", min: 1)).EnsureSuccessStatusCode();
        await _admin.PutBudgetAsync("search-daily", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 0.001m });
        await _admin.PostUsageAsync("burn", 1000, 1000);
        await SampleAsync(0.99);

        var decision = await RunAsync();

        Assert.Equal(1, decision.GetProperty("desiredCapacity").GetInt32());
        Assert.Equal(1, _arm.Find(_scaleSetId)!.Capacity);
        Assert.Contains(decision.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("kill switch team:search", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunningCost_IsRecordedAsUsageForTheOwningTeamOnce()
    {
        (await PutPoolAsync("enforce", price: 3.60m)).EnsureSuccessStatusCode();
        await RunAsync();
        _app.Clock.Advance(TimeSpan.FromMinutes(5));

        await RunAsync();

        // Two instances × $3.60/h × 5 minutes = $0.60, recorded for team search under feature gpu-pool/infer.
        var costs = await (await _admin.GetAsync("/api/costs?groupBy=feature&team=search")).JsonAsync();
        var gpu = Assert.Single(costs.GetProperty("groups").EnumerateArray(), g => g.GetProperty("key").GetString() == "gpu-pool/infer");
        Assert.Equal(0.60m, gpu.GetProperty("costUsd").GetDecimal());
    }

    [Theory]
    [InlineData("""{"scaleSetId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d","minCapacity":1,"maxCapacity":2,"team":"t"}""", "gpu_pool_scale_set_id_invalid")]
    [InlineData("""{"scaleSetId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachineScaleSets/v","minCapacity":3,"maxCapacity":2,"team":"t"}""", "gpu_pool_bounds_invalid")]
    [InlineData("""{"scaleSetId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachineScaleSets/v","minCapacity":1,"maxCapacity":2}""", "gpu_pool_team_required")]
    [InlineData("""{"scaleSetId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachineScaleSets/v","minCapacity":1,"maxCapacity":2,"team":"t","mode":"auto"}""", "gpu_pool_mode_invalid")]
    public async Task PutPool_BadBody_Is400(string body, string code)
    {
        var response = await _admin.PutAsync("/api/gpu/pools/infer", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Samples_UnknownPoolOrForeignTeamOrBadValues_AreRejected()
    {
        (await PutPoolAsync("recommend")).EnsureSuccessStatusCode();
        var billing = _app.Client(await _app.IssueKeyAsync("ingest", "billing"));

        await (await _admin.PostJsonAsync("/api/gpu/pools/nope/samples", """{"utilization":0.5}""")).AssertProblemAsync(HttpStatusCode.NotFound, "gpu_pool_not_found");
        // Another team's pool answers as a missing one: a 403 would confirm that the name exists.
        await (await billing.PostJsonAsync("/api/gpu/pools/infer/samples", """{"utilization":0.5}""")).AssertProblemAsync(HttpStatusCode.NotFound, "gpu_pool_not_found");
        await (await _admin.PostJsonAsync("/api/gpu/pools/infer/samples", """{"utilization":1.5}""")).AssertProblemAsync(HttpStatusCode.BadRequest, "gpu_sample_invalid");
    }

    [Fact]
    public async Task EnforceMode_ScaleSetGone_RecordsTheFailureAndKeepsGoing()
    {
        (await _admin.PutAsJsonAsync("/api/gpu/pools/infer", new
        {
            scaleSetId = _scaleSetId.Replace("/infer", "/deleted", StringComparison.Ordinal), minCapacity = 1, maxCapacity = 4, team = "search", mode = "enforce",
        })).EnsureSuccessStatusCode();

        var decision = await RunAsync();

        Assert.False(decision.GetProperty("applied").GetBoolean());
        Assert.Contains("NotFound", decision.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSamples_AgentSamples_NewestFirstWithWindowAndGpusPagedAndStoredOnce()
    {
        (await PutPoolAsync("recommend")).EnsureSuccessStatusCode();
        string Sample(int minutesAgo, double utilization) => $$"""
            {"id":"vm-0:{{minutesAgo}}","timestamp":"{{ControlPlaneApp.Start.AddMinutes(-minutesAgo):O}}","windowSeconds":60,"readings":60,
             "instance":"vm-0","queueDepth":2,"gpus":[{"index":1,"uuid":"GPU-b","utilization":{{utilization}},"memoryUsedMiB":100,"memoryTotalMiB":80000},
                                        {"index":0,"uuid":"GPU-a","utilization":0.1,"memoryUsedMiB":300,"memoryTotalMiB":80000}]}
            """;

        var first = await _admin.PostJsonAsync("/api/gpu/pools/infer/samples", $$"""{"samples":[{{Sample(3, 0.9)}},{{Sample(2, 0.7)}},{{Sample(1, 0.5)}}]}""");
        // The same samples again, as an agent re-sends its buffer after a lost answer.
        var again = await _admin.PostJsonAsync("/api/gpu/pools/infer/samples", $$"""{"samples":[{{Sample(2, 0.7)}},{{Sample(1, 0.5)}}]}""");
        var page1 = await (await _admin.GetAsync("/api/gpu/pools/infer/samples?limit=2")).JsonAsync();
        var page2 = await (await _admin.GetAsync($"/api/gpu/pools/infer/samples?limit=2&next={Uri.EscapeDataString(page1.GetProperty("next").GetString()!)}")).JsonAsync();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var samples = page1.GetProperty("samples").EnumerateArray().Concat(page2.GetProperty("samples").EnumerateArray()).ToList();
        Assert.Equal(["vm-0:1", "vm-0:2", "vm-0:3"], samples.Select(x => x.GetProperty("id").GetString()));
        Assert.False(page2.TryGetProperty("next", out var next) && next.ValueKind != System.Text.Json.JsonValueKind.Null);
        var newest = samples[0];
        // Without utilization, the GPUs' mean; memory totals over the GPUs; GPUs in index order; the window's start.
        Assert.Equal(0.3, newest.GetProperty("utilization").GetDouble(), 9);
        Assert.Equal(400, newest.GetProperty("memoryUsedMiB").GetDouble());
        Assert.Equal(160_000, newest.GetProperty("memoryTotalMiB").GetDouble());
        Assert.Equal(0.4, newest.GetProperty("utilizationSpread").GetDouble(), 9);
        Assert.Equal(["GPU-a", "GPU-b"], newest.GetProperty("gpus").EnumerateArray().Select(g => g.GetProperty("uuid").GetString()));
        Assert.Equal(60, newest.GetProperty("windowSeconds").GetDouble());
        Assert.Equal(ControlPlaneApp.Start.AddMinutes(-2), newest.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(ControlPlaneApp.Start.AddMinutes(-1), newest.GetProperty("timestamp").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("""{"id":"has space","utilization":0.5}""", "gpu_sample_id_invalid")]
    [InlineData("""{"utilization":0.5,"windowSeconds":0}""", "gpu_sample_window_invalid")]
    [InlineData("""{"utilization":0.5,"readings":0}""", "gpu_sample_window_invalid")]
    [InlineData("""{"gpus":[{"index":0,"utilization":0.5},{"index":0,"utilization":0.6}]}""", "gpu_sample_gpus_invalid")]
    [InlineData("""{"gpus":[{"index":0,"utilization":1.5}]}""", "gpu_sample_invalid")]
    [InlineData("""{"gpus":[{"index":0,"utilization":0.5,"memoryUsedMiB":9,"memoryTotalMiB":8}]}""", "gpu_sample_gpus_invalid")]
    [InlineData("""{"utilization":0.5,"memoryUsedMiB":9,"memoryTotalMiB":8}""", "gpu_sample_memory_invalid")]
    [InlineData("""{"utilization":0.5,"gpus":[{"index":0,"utilization":0.5,"temperature":40}]}""", "request_json_invalid")]
    public async Task PostSamples_BadAgentFields_Is400WithStableCode(string body, string code)
    {
        (await PutPoolAsync("recommend")).EnsureSuccessStatusCode();

        await (await _admin.PostJsonAsync("/api/gpu/pools/infer/samples", body)).AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Rightsizing_AgentWentSilent_HoldsAndSaysSoInsteadOfScalingIn()
    {
        (await PutPoolAsync("recommend", min: 1)).EnsureSuccessStatusCode();
        await RunAsync();
        (await _admin.PostJsonAsync("/api/gpu/pools/infer/samples", """{"utilization":0.7,"windowSeconds":60}""")).EnsureSuccessStatusCode();
        _app.Clock.Advance(TimeSpan.FromMinutes(40));

        var decision = await RunAsync();

        Assert.Equal(decision.GetProperty("currentCapacity").GetInt32(), decision.GetProperty("desiredCapacity").GetInt32());
        Assert.Contains(decision.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("GPU agent silent", StringComparison.Ordinal) && r.GetString()!.Contains("40 minutes ago", StringComparison.Ordinal));
    }
}

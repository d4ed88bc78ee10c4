using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure;
using ControlPlane.Azure.Capacity;
using ControlPlane.Capacity;
using ControlPlane.Testing.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Azure.Tests.Capacity;

/// <summary>The real Azure.ResourceManager.Compute SDK against <see cref="FakeArmServer"/>.</summary>
public sealed class ArmScaleSetControllerTests : IAsyncLifetime
{
    private const string ApiVersion = "api-version=2023-07-01";

    // Short back-off and polling so retries cost milliseconds; Retry-After from the server still wins.
    private static readonly CapacityArmOptions Options = new()
    {
        MaxRetries = 3,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        PollingInterval = TimeSpan.FromMilliseconds(20),
        OperationTimeout = TimeSpan.FromSeconds(30),
    };

    private FakeArmServer _arm = null!;

    public async Task InitializeAsync() => _arm = await FakeArmServer.StartAsync();

    public async Task DisposeAsync() => await _arm.DisposeAsync();

    [Fact]
    public async Task GetAsync_ExistingScaleSet_ReturnsSkuCapacityAndState()
    {
        var id = _arm.AddScaleSet("vmss-gpu", skuName: "Standard_NC24ads_A100_v4", capacity: 3);

        var state = await Controller().GetAsync(id);

        Assert.Equal(new ScaleSetState(id, "Standard_NC24ads_A100_v4", 3, "Succeeded"), state);
        var request = Assert.Single(_arm.Requests);
        Assert.Equal(("GET", id, $"?{ApiVersion}", true), (request.Method, request.Path, request.Query, request.HadBearerToken));
    }

    [Fact]
    public async Task SetCapacityAsync_Accepted_PatchesPollsUntilSucceededAndReturnsNewState()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);
        _arm.PollsUntilDone = 2;

        var state = await Controller().SetCapacityAsync(id, 4);

        Assert.Equal((4, "Succeeded"), (state.Capacity, state.ProvisioningState));
        Assert.Equal(new FakeScaleSet(id, "Standard_NC24ads_A100_v4", 4, "Succeeded"), _arm.Find(id));

        // Compute answers the PATCH 200 with provisioningState Updating and an Azure-AsyncOperation header; Azure.Core
        // ignores that header on a PATCH answered 200 and polls the scale set until provisioningState is terminal.
        var requests = _arm.Requests;
        Assert.Equal([("PATCH", id), ("GET", id), ("GET", id), ("GET", id)], requests.Select(r => (r.Method, r.Path)));
        Assert.All(requests, r => Assert.Equal($"?{ApiVersion}", r.Query));
        var body = JsonNode.Parse(requests[0].Body)!;
        Assert.Equal(4, body["sku"]!["capacity"]!.GetValue<int>());
        Assert.Null(body["sku"]!["name"]);
    }

    [Fact]
    public async Task SetCapacityAsync_ThrottledTwice_WaitsRetryAfterAndSucceeds()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);
        _arm.PollsUntilDone = 0;
        _arm.FailNext(2, 429, method: "PATCH", retryAfterSeconds: 1);

        var clock = Stopwatch.StartNew();
        var state = await Controller().SetCapacityAsync(id, 2);

        Assert.Equal(2, state.Capacity);
        Assert.Equal(3, _arm.CountRequests("PATCH", id));

        // The configured back-off is 20-100 ms; only honouring Retry-After: 1 twice takes this long.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"retried after {clock.Elapsed}, before Retry-After");
    }

    [Fact]
    public async Task SetCapacityAsync_OtherOperationInProgress_ThrowsBusyAfterRetriesAndLeavesCapacity()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 2);
        _arm.StartOtherOperation(id);

        var e = await Assert.ThrowsAsync<ScaleSetBusyException>(() => Controller().SetCapacityAsync(id, 6));

        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        var inner = Assert.IsType<RequestFailedException>(e.InnerException);
        Assert.Equal((409, "OperationNotAllowed"), (inner.Status, inner.ErrorCode));
        Assert.Equal(Options.MaxRetries + 1, _arm.CountRequests("PATCH", id));
        Assert.Equal(2, _arm.Find(id)!.Capacity);
    }

    [Fact]
    public async Task SetCapacityAsync_ConflictOnce_RetriesAndSucceeds()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 2);
        _arm.PollsUntilDone = 0;
        _arm.FailNext(1, 409, method: "PATCH");

        var state = await Controller().SetCapacityAsync(id, 3);

        Assert.Equal(3, state.Capacity);
        Assert.Equal(2, _arm.CountRequests("PATCH", id));
    }

    [Fact]
    public async Task GetAsync_ServerErrorOnce_IsRetried()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 5);
        _arm.FailNext(1, 500);

        var state = await Controller().GetAsync(id);

        Assert.Equal(5, state.Capacity);
        Assert.Equal(2, _arm.CountRequests("GET", id));
    }

    [Fact]
    public async Task SetCapacityAsync_ServiceUnavailableWhilePolling_RetriesThePollAndSucceeds()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);
        _arm.PollsUntilDone = 1;
        _arm.FailNext(1, 503, method: "GET");

        var state = await Controller().SetCapacityAsync(id, 2);

        Assert.Equal((2, "Succeeded"), (state.Capacity, state.ProvisioningState));
        Assert.Equal(1, _arm.CountRequests("PATCH", id));
        Assert.Equal(3, _arm.CountRequests("GET", id));
    }

    [Fact]
    public async Task GetAsync_UnknownScaleSet_ThrowsNotFoundNamingTheId()
    {
        var known = _arm.AddScaleSet("vmss-gpu");
        var unknown = known.Replace("vmss-gpu", "vmss-typo", StringComparison.Ordinal);

        var e = await Assert.ThrowsAsync<ScaleSetNotFoundException>(() => Controller().GetAsync(unknown));

        Assert.Contains(unknown, e.Message, StringComparison.Ordinal);
        var inner = Assert.IsType<RequestFailedException>(e.InnerException);
        Assert.Equal((404, "ResourceNotFound"), (inner.Status, inner.ErrorCode));
    }

    [Fact]
    public async Task SetCapacityAsync_UnknownResourceGroup_ThrowsNotFoundAndCreatesNothing()
    {
        var id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gone/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-gpu";

        var e = await Assert.ThrowsAsync<ScaleSetNotFoundException>(() => Controller().SetCapacityAsync(id, 1));

        Assert.Equal("ResourceGroupNotFound", Assert.IsType<RequestFailedException>(e.InnerException).ErrorCode);
        Assert.Null(_arm.Find(id));
    }

    [Theory]
    [InlineData("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gpu/providers/Microsoft.Compute/virtualMachines/vm-1")]
    [InlineData("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gpu")]
    [InlineData("vmss-gpu")]
    public async Task SetCapacityAsync_NotAScaleSetId_ThrowsArgumentAndSendsNothing(string id)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Controller().SetCapacityAsync(id, 1));

        Assert.Empty(_arm.Requests);
    }

    [Fact]
    public async Task SetCapacityAsync_NegativeCapacity_ThrowsAndSendsNothing()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Controller().SetCapacityAsync(id, -1));

        Assert.Empty(_arm.Requests);
    }

    [Fact]
    public async Task SetCapacityAsync_OperationOutlastsTimeout_ThrowsTimeout()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 1);
        _arm.PollsUntilDone = int.MaxValue;
        var time = new FakeTimeProvider();

        var call = Controller(time).SetCapacityAsync(id, 2);
        while (_arm.CountRequests("GET", id) == 0 && !call.IsCompleted)
        {
            await Task.Delay(10);
        }

        time.Advance(Options.OperationTimeout);

        var e = await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        Assert.Equal("Updating", _arm.Find(id)!.ProvisioningState);
    }

    [Fact]
    public async Task GetAsync_ResourceManagerSilentOnce_TheTryTimesOutAndTheRetryAnswers()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 3);
        _arm.HangNext(1, method: "GET");

        // Bounded: a call that hung would fail this wait instead of the test hanging with it.
        var state = await Controller(networkTimeout: TimeSpan.FromSeconds(1)).GetAsync(id).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, state.Capacity);
        Assert.Equal(2, _arm.CountRequests("GET", id));
    }

    [Theory]
    [InlineData(0)] // one try: the SDK throws its network timeout as a TaskCanceledException
    [InlineData(3)] // retried: the SDK throws "Retry failed after 4 tries", an AggregateException of those
    public async Task SetCapacityAsync_ResourceManagerNeverAnswers_IsATimeoutNamingTheScaleSet_NotAHangOrACancellation(int maxRetries)
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 2);
        _arm.HangNext(100);
        var options = Options with { MaxRetries = maxRetries, NetworkTimeout = TimeSpan.FromSeconds(1) };

        var call = Controller(options, timeProvider: null).SetCapacityAsync(id, 4).WaitAsync(TimeSpan.FromSeconds(60));

        // A timeout the capacity run reports for this pool, not an OperationCanceledException it would take for its
        // host shutting down; every try was sent and none was answered.
        var e = await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        Assert.Equal(maxRetries + 1, _arm.CountRequests("PATCH", id));
        Assert.Equal(2, _arm.Find(id)!.Capacity);
    }

    [Fact]
    public async Task GetAsync_CallersOwnCancellation_StaysACancellation()
    {
        var id = _arm.AddScaleSet("vmss-gpu", capacity: 2);
        _arm.HangNext(1);
        using var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Controller(networkTimeout: TimeSpan.FromSeconds(20)).GetAsync(id, shutdown.Token).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private ArmScaleSetController Controller(TimeProvider? timeProvider = null, TimeSpan? networkTimeout = null) =>
        Controller(Options with { NetworkTimeout = networkTimeout ?? Options.NetworkTimeout }, timeProvider);

    private ArmScaleSetController Controller(CapacityArmOptions options, TimeProvider? timeProvider) =>
        new(FakeArm.CreateClient(_arm, ArmScaleSetController.CreateClientOptions(options)), options, timeProvider);
}

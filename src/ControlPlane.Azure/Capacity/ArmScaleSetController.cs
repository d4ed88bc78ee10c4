using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Azure.ResourceManager.Compute;
using Azure.ResourceManager.Compute.Models;
using ControlPlane.Capacity;

using ControlPlane.Azure.ResourceManager;

namespace ControlPlane.Azure.Capacity;

/// <summary>
/// Resizes virtual machine scale sets through Azure Resource Manager with the <c>Azure.ResourceManager.Compute</c> SDK:
/// <c>GET</c> and <c>PATCH {"sku":{"capacity":n}}</c> on the scale set (api-version 2023-07-01 with Compute 1.2.0), then
/// polling until the resize finishes.
/// </summary>
public sealed class ArmScaleSetController : IScaleSetController
{
    private readonly ArmClient _client;
    private readonly CapacityArmOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <param name="client">An ARM client built with <see cref="CreateClientOptions"/>, so 409 and 429 are retried as documented here.</param>
    public ArmScaleSetController(ArmClient client, CapacityArmOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new CapacityArmOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Production wiring: <see cref="DefaultAzureCredential"/> (managed identity in Azure) against <see cref="CapacityArmOptions.Endpoint"/>.</summary>
    public static ArmScaleSetController Create(CapacityArmOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new ArmClient(new DefaultAzureCredential(), defaultSubscriptionId: null, CreateClientOptions(options));
        return new ArmScaleSetController(client, options, timeProvider);
    }

    /// <summary>
    /// Client options with bounded retries: the SDK's policy retries 408/429/5xx honouring <c>Retry-After</c>, and ours
    /// adds 409 on PATCH, which ARM answers while another operation on the scale set is still running.
    /// </summary>
    public static ArmClientOptions CreateClientOptions(CapacityArmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = ArmClientSettings.Create(options.Endpoint, options.MaxRetries, options.RetryDelay, options.MaxRetryDelay, options.NetworkTimeout);
        clientOptions.RetryPolicy = new ConflictRetryPolicy(options.MaxRetries, DelayStrategy.CreateExponentialDelayStrategy(options.RetryDelay, options.MaxRetryDelay));
        return clientOptions;
    }

    public Task<ScaleSetState> GetAsync(string scaleSetResourceId, CancellationToken cancellationToken = default)
    {
        var scaleSet = Resolve(scaleSetResourceId);
        return CallAsync(scaleSetResourceId, async ct =>
        {
            var response = await scaleSet.GetAsync(expand: null, cancellationToken: ct).ConfigureAwait(false);
            return ToState(response.Value.Data);
        }, cancellationToken);
    }

    public Task<ScaleSetState> SetCapacityAsync(string scaleSetResourceId, int capacity, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var scaleSet = Resolve(scaleSetResourceId);
        return CallAsync(scaleSetResourceId, async ct =>
        {
            // Only the capacity is sent: a PATCH leaves every other property (model, upgrade policy, tags) as it is.
            var patch = new VirtualMachineScaleSetPatch { Sku = new ComputeSku { Capacity = capacity } };
            var operation = await scaleSet.UpdateAsync(WaitUntil.Started, patch, ct).ConfigureAwait(false);

            // Compute answers 200 with provisioningState Updating; Azure.Core then ignores Azure-AsyncOperation and GETs the
            // scale set (at our interval or ARM's Retry-After, whichever is longer) until the state is terminal, so the
            // returned data is the state after the resize, not the PATCH echo.
            var completed = await operation.WaitForCompletionAsync(_options.PollingInterval, ct).ConfigureAwait(false);
            return ToState(completed.Value.Data);
        }, cancellationToken);
    }

    private VirtualMachineScaleSetResource Resolve(string scaleSetResourceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scaleSetResourceId);
        ResourceIdentifier id;
        try
        {
            id = new ResourceIdentifier(scaleSetResourceId);
            if (id.ResourceType != VirtualMachineScaleSetResource.ResourceType || id.SubscriptionId is null || id.ResourceGroupName is null)
            {
                throw new ArgumentException($"'{scaleSetResourceId}' is not a virtual machine scale set id.", nameof(scaleSetResourceId));
            }
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"'{scaleSetResourceId}' is not a valid Azure resource id.", nameof(scaleSetResourceId), e);
        }

        return _client.GetVirtualMachineScaleSetResource(id);
    }

    private async Task<ScaleSetState> CallAsync(string scaleSetResourceId, Func<CancellationToken, Task<ScaleSetState>> call, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await call(linked.Token).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw new ScaleSetBusyException(
                $"Scale set '{scaleSetResourceId}' is busy with another operation ({e.ErrorCode ?? "Conflict"}); the change was not applied.", e);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ScaleSetNotFoundException($"Scale set '{scaleSetResourceId}' was not found ({e.ErrorCode ?? "NotFound"}).", e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Scale set '{scaleSetResourceId}' did not answer within {_options.OperationTimeout}; a started resize may still finish in Azure.", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsNoAnswer(e))
        {
            // A silent Resource Manager must be this pool's failure, reported with the others, not a cancellation the
            // capacity run would take for its host shutting down (and stop every other pool's decision with it).
            throw new TimeoutException(
                $"Resource Manager did not answer for scale set '{scaleSetResourceId}' ({_options.MaxRetries + 1} tries, {_options.NetworkTimeout} each); a resize it received may still happen.", e);
        }
    }

    /// <summary>
    /// No answer: the connection failed (status 0), or a try passed its network timeout (the SDK reports that as a
    /// cancellation nobody asked for), or every try of a retried call ended so (the SDK's "Retry failed after N tries").
    /// </summary>
    private static bool IsNoAnswer(Exception e) => e switch
    {
        RequestFailedException { Status: 0 } or HttpRequestException or IOException or OperationCanceledException => true,
        AggregateException all => all.InnerExceptions.Count > 0 && all.InnerExceptions.All(IsNoAnswer),
        _ => false,
    };

    private static ScaleSetState ToState(VirtualMachineScaleSetData data) => new(
        data.Id?.ToString() ?? string.Empty,
        data.Sku?.Name ?? string.Empty,
        checked((int)(data.Sku?.Capacity ?? 0)),
        data.ProvisioningState ?? string.Empty);

    /// <summary>The SDK's retry rules plus 409 on PATCH. A capacity PATCH is idempotent, so sending it again is safe.</summary>
    private sealed class ConflictRetryPolicy : RetryPolicy
    {
        private readonly int _maxRetries;

        public ConflictRetryPolicy(int maxRetries, DelayStrategy delayStrategy)
            : base(maxRetries, delayStrategy) => _maxRetries = maxRetries;

        protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
            base.ShouldRetry(message, exception) || IsConflictOnPatch(message, exception);

        protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
            await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) || IsConflictOnPatch(message, exception);

        // The base rules stop at maxRetries; this one has to as well.
        private bool IsConflictOnPatch(HttpMessage message, Exception? exception) =>
            exception is null && message.ProcessingContext.RetryNumber < _maxRetries
            && message.HasResponse && message.Response.Status == 409 && message.Request.Method == RequestMethod.Patch;
    }
}

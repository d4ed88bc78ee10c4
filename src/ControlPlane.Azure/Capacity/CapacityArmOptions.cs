using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Azure.Capacity;

/// <summary>
/// How ControlPlane reaches Azure Resource Manager to resize GPU scale sets. Section <c>ControlPlane:Capacity:Arm</c>.
/// The defaults suit the public cloud; tests shorten the delays.
/// </summary>
public sealed record CapacityArmOptions
{
    public const string SectionName = "ControlPlane:Capacity:Arm";

    /// <summary>Resource Manager endpoint. Default none: the public cloud, <c>https://management.azure.com</c>.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// Retries of one request on 408/429/5xx, and of the PATCH on 409 (another operation in progress). Default 4.
    /// A 409 that outlasts them becomes <see cref="ControlPlane.Capacity.ScaleSetBusyException"/>.
    /// </summary>
    [Range(0, 10, ErrorMessage = "ControlPlane:Capacity:Arm:MaxRetries must be 0-10.")]
    public int MaxRetries { get; init; } = 4;

    /// <summary>First back-off delay, doubled per retry up to <see cref="MaxRetryDelay"/>; a longer <c>Retry-After</c> wins. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest back-off between two tries. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP try. Default 30 s.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a resize is polled when ARM gives no longer <c>Retry-After</c>. Default 10 s. Compute answers the PATCH
    /// 200, so Azure.Core polls the scale set itself (GET) until provisioningState is Succeeded, Failed or Canceled.
    /// </summary>
    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest wait for one call, retries and polling included. Default 15 min. When it passes the scale set may still be
    /// resizing in Azure; the caller sees a <see cref="TimeoutException"/> and reads the state again next run.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

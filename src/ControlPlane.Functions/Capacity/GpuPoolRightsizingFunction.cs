using ControlPlane.Capacity;

namespace ControlPlane.Functions.Capacity;

/// <summary>Every five minutes: decide, record and (in enforce mode) apply every GPU pool's capacity.</summary>
public sealed class GpuPoolRightsizingFunction(CapacityService capacity, ILogger<GpuPoolRightsizingFunction> logger)
{
    [Function(nameof(GpuPoolRightsizing))]
    public async Task GpuPoolRightsizing([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var decisions = await capacity.EvaluateAllAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(GpuPoolRightsizing), string.Join("; ", decisions.Select(d => $"{d.Pool}: {d.CurrentCapacity} -> {d.DesiredCapacity} ({d.Mode}{(d.Applied ? ", applied" : string.Empty)}{(d.Error is null ? string.Empty : ", " + d.Error)})")));
    }
}

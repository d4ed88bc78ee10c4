using ControlPlane.Capacity;

namespace ControlPlane.Functions.Capacity;

/// <summary>Every five minutes: decide, record and (in enforce mode) apply every GPU pool's capacity.</summary>
public sealed class GpuPoolRightsizingFunction(CapacityService capacity, ILogger<GpuPoolRightsizingFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/GpuPoolRightsizing</c> answers with it).</returns>
    [Function(nameof(GpuPoolRightsizing))]
    public async Task<object> GpuPoolRightsizing([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var decisions = await capacity.EvaluateAllAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(GpuPoolRightsizing), string.Join("; ", decisions.Select(d => $"{d.Pool}: {d.CurrentCapacity} -> {d.DesiredCapacity} ({d.Mode}{(d.Applied ? ", applied" : string.Empty)}{(d.Error is null ? string.Empty : ", " + d.Error)})")));
        return new { pools = decisions.Count, applied = decisions.Count(d => d.Applied) };
    }
}

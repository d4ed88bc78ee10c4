using ControlPlane.Capacity;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.Capacity;

/// <summary>Every five minutes: decide, record and (in enforce mode) apply every GPU pool's capacity.</summary>
public sealed class GpuPoolRightsizingFunction(CapacityService capacity) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var decisions = await capacity.EvaluateAllAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(
            new { pools = decisions.Count, applied = decisions.Count(d => d.Applied) },
            [.. decisions.Select(d => $"{d.Pool}: {d.CurrentCapacity} -> {d.DesiredCapacity} ({d.Mode}{(d.Applied ? ", applied" : string.Empty)}{(d.Error is null ? string.Empty : ", " + d.Error)})")]);
    }
}

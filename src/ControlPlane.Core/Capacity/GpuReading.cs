namespace ControlPlane.Capacity;

/// <summary>One GPU's means over a sample's window, as <c>nvidia-smi --query-gpu</c> reports them.</summary>
/// <param name="Index">nvidia-smi's <c>index</c>.</param>
/// <param name="Uuid">nvidia-smi's <c>uuid</c>, when sent.</param>
/// <param name="Utilization"><c>utilization.gpu</c> as 0 to 1: the share of time some kernel ran, not how much of the GPU it used.</param>
/// <param name="MemoryUsedMiB"><c>memory.used</c>.</param>
/// <param name="MemoryTotalMiB"><c>memory.total</c>.</param>
public sealed record GpuReading(int Index, string? Uuid, double Utilization, double? MemoryUsedMiB, double? MemoryTotalMiB);

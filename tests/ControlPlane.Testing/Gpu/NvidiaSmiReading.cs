namespace ControlPlane.Testing.Gpu;

/// <summary>One line of <c>nvidia-smi --query-gpu=... --format=csv</c>: utilization in percent, memory in MiB.</summary>
public sealed record NvidiaSmiReading(DateTimeOffset At, int Index, string Uuid, double UtilizationPercent, double MemoryUsedMiB, double MemoryTotalMiB);

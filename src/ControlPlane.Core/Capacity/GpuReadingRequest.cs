using System.Text.Json.Serialization;

namespace ControlPlane.Capacity;

/// <summary>One GPU in a <see cref="SamplesRequest"/>: nvidia-smi's <c>index</c> and <c>uuid</c>, and window means.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class GpuReadingRequest
{
    public int? Index { get; set; }
    public string? Uuid { get; set; }
    public double? Utilization { get; set; }
    public double? MemoryUsedMiB { get; set; }
    public double? MemoryTotalMiB { get; set; }

    internal bool IsValid() =>
        Index is >= 0 and < 1024 && Utilization is >= 0 and <= 1 && Uuid is null or { Length: <= 128 }
        && SamplesRequest.MemoryIsValid(MemoryUsedMiB, MemoryTotalMiB);
}

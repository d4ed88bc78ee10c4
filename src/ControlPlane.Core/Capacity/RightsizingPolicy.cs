using System.Globalization;

namespace ControlPlane.Capacity;

/// <summary>What the policy needs to know about a pool's recent past.</summary>
/// <param name="LastScaleOutAt">When capacity last went up (cooldowns).</param>
/// <param name="LastScaleInAt">When capacity last went down.</param>
/// <param name="KillSwitchBy">The kill switch (scope) that stops the pool's team, or null.</param>
/// <param name="LastSampleAt">When the pool's newest sample (of any age) was taken; null when none ever came.</param>
public sealed record PoolSituation(
    int CurrentCapacity,
    IReadOnlyList<UtilizationSample> Samples,
    DateTimeOffset? LastScaleOutAt,
    DateTimeOffset? LastScaleInAt,
    string? KillSwitchBy,
    DateTimeOffset? LastSampleAt = null);

/// <summary>
/// Decides a scale set's capacity from utilization and queue depth, within the pool's bounds and schedules, with
/// cooldowns against flapping, and the budget's kill switch over everything. Pure: every decision carries its
/// reasons so an owner can see why.
/// </summary>
public static class RightsizingPolicy
{
    /// <summary>Samples older than this are ignored.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    public static (int Desired, IReadOnlyList<string> Reasons) Decide(GpuPool pool, PoolSituation situation, DateTimeOffset now)
    {
        var reasons = new List<string>();
        var current = situation.CurrentCapacity;
        var (min, max) = Bounds(pool, now, reasons);

        if (situation.KillSwitchBy is { } by)
        {
            reasons.Add($"kill switch {by} is tripped: scale to the minimum {min}");
            return (min, reasons);
        }

        var samples = situation.Samples.Where(s => s.Timestamp > now - Window && s.Timestamp <= now).OrderBy(s => s.Timestamp).ToList();
        int desired;
        if (samples.Count == 0)
        {
            // No samples means nobody is measuring, not that the GPUs idle: scaling in on silence would take capacity
            // from a busy pool whose agent (or its key, or the network) broke.
            desired = current;
            reasons.Add(situation.LastSampleAt is { } last && last <= now
                ? string.Create(CultureInfo.InvariantCulture, $"GPU agent silent: no samples in the last {Window.TotalMinutes:0} minutes, the newest is from {last:yyyy-MM-dd HH:mm} UTC ({(now - last).TotalMinutes:0} minutes ago); not treated as idle: keep {current}")
                : current > 0
                    ? $"no samples in the last {Window.TotalMinutes:0} minutes, and none ever (is the GPU agent installed?): keep {current}"
                    : $"no samples in the last {Window.TotalMinutes:0} minutes: keep {current}");
        }
        else
        {
            desired = FromLoad(pool, current, samples, reasons);
        }

        var clamped = Math.Clamp(desired, min, max);
        if (clamped != desired)
        {
            reasons.Add($"bounded to [{min}, {max}]: {desired} -> {clamped}");
            desired = clamped;
        }

        return (ApplyCooldowns(pool, situation, current, desired, min, max, now, reasons), reasons);
    }

    private static (int Min, int Max) Bounds(GpuPool pool, DateTimeOffset now, List<string> reasons)
    {
        if (pool.Schedules.FirstOrDefault(w => w.Contains(now)) is { } window)
        {
            var max = window.MaxCapacity ?? pool.MaxCapacity;
            reasons.Add($"schedule {window.Name ?? "window"} ({string.Join(",", window.Days.Select(d => d.ToString()[..3]))} {window.StartHour:00}-{window.EndHour:00} UTC) sets bounds [{window.MinCapacity}, {max}]");
            return (window.MinCapacity, max);
        }

        return (pool.MinCapacity, pool.MaxCapacity);
    }

    private static int FromLoad(GpuPool pool, int current, List<UtilizationSample> samples, List<string> reasons)
    {
        var band = pool.TargetUtilization;
        var average = samples.Average(s => s.Utilization);
        var peak = samples.Max(s => s.Utilization);
        var queue = samples[^1].QueueDepth;
        DescribeGpus(samples, reasons);
        var byUtilization = current;
        if (current == 0)
        {
            byUtilization = queue > 0 ? 1 : 0;
        }
        else if (average > band.High)
        {
            byUtilization = (int)Math.Ceiling(current * average / band.Target);
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"average utilization {average:P0} above {band.High:P0}: {current} -> {byUtilization}"));
        }
        else if (peak < band.Low)
        {
            // Only when the whole window stayed low: one quiet sample must not shrink a busy pool.
            byUtilization = Math.Max(queue > 0 ? 1 : 0, (int)Math.Ceiling(current * average / band.Target));
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"utilization stayed below {band.Low:P0} (peak {peak:P0}): {current} -> {byUtilization}"));
        }
        else
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"utilization {average:P0} (peak {peak:P0}) within the band {band.Low:P0}-{band.High:P0}"));
        }

        if (pool.QueueDepthPerInstance is not { } perInstance || queue == 0)
        {
            return byUtilization;
        }

        // Draining means the queue visibly shrank over the window; one sample proves nothing.
        var draining = samples.Count >= 2 && samples[^1].QueueDepth < samples[0].QueueDepth;
        if (!draining && average < band.Low && current > 0)
        {
            // Work waits while the GPUs idle: more instances will not help; the consumers are stuck.
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"queue stuck at {queue} while GPUs idle ({average:P0}): not scaling out for it; check the consumers"));
            return byUtilization;
        }

        var byQueue = (int)Math.Ceiling(queue / (double)perInstance);
        if (byQueue > byUtilization)
        {
            reasons.Add($"queue depth {queue} needs {byQueue} instances at {perInstance} per instance");
            return byQueue;
        }

        return byUtilization;
    }

    /// <summary>Names what the window's samples say about memory and how evenly the GPUs share the work.</summary>
    private static void DescribeGpus(List<UtilizationSample> samples, List<string> reasons)
    {
        var windows = samples.Where(s => s.WindowSeconds is not null).ToList();
        if (windows.Count > 0)
        {
            var (shortest, longest) = (windows.Min(s => s.WindowSeconds!.Value), windows.Max(s => s.WindowSeconds!.Value));
            var lengths = shortest == longest
                ? shortest.ToString("0.#", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{shortest:0.#}-{longest:0.#}");
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"{windows.Count} of {samples.Count} samples are means over {lengths} s windows ({windows.Sum(s => s.Readings ?? 0)} readings)"));
        }

        var memory = samples.Where(s => s.MemoryUtilization is not null).ToList();
        if (memory.Count > 0)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"GPU memory {memory.Average(s => s.MemoryUtilization!.Value):P0} used (mean {memory.Average(s => s.MemoryUsedMiB!.Value):N0} of {memory.Average(s => s.MemoryTotalMiB!.Value):N0} MiB per instance, peak {memory.Max(s => s.MemoryUtilization!.Value):P0})"));
        }

        var multi = samples.Where(s => s.Gpus.Count >= 2).ToList();
        if (multi.Count > 0)
        {
            var widest = multi.MaxBy(s => s.UtilizationSpread)!;
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"per-GPU spread up to {widest.UtilizationSpread:P0} ({widest.Gpus.Count} GPUs from {widest.Gpus.Min(g => g.Utilization):P0} to {widest.Gpus.Max(g => g.Utilization):P0}{(widest.Instance is null ? string.Empty : " on " + widest.Instance)}, mean spread {multi.Average(s => s.UtilizationSpread):P0})"));
        }
    }

    private static int ApplyCooldowns(GpuPool pool, PoolSituation situation, int current, int desired, int min, int max, DateTimeOffset now, List<string> reasons)
    {
        // Bounds changes (a schedule window opening or closing) are not held back by cooldowns.
        if (current < min || current > max)
        {
            return desired;
        }

        if (desired > current && situation.LastScaleOutAt is { } outAt && now - outAt < pool.ScaleOutCooldown)
        {
            reasons.Add($"scale-out cooldown until {outAt + pool.ScaleOutCooldown:HH:mm} UTC: hold {current}");
            return current;
        }

        var lastChange = new[] { situation.LastScaleOutAt, situation.LastScaleInAt }.Max();
        if (desired < current && lastChange is { } changedAt && now - changedAt < pool.ScaleInCooldown)
        {
            reasons.Add($"scale-in cooldown until {changedAt + pool.ScaleInCooldown:HH:mm} UTC: hold {current}");
            return current;
        }

        return desired;
    }
}

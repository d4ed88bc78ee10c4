using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Capacity;

/// <summary><c>PUT /api/gpu/pools/{pool}</c> body, before validation.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed partial class GpuPoolRequest
{
    public string? ScaleSetId { get; set; }
    public int? MinCapacity { get; set; }
    public int? MaxCapacity { get; set; }
    public UtilizationBand? TargetUtilization { get; set; }
    public int? QueueDepthPerInstance { get; set; }
    public TimeSpan? ScaleOutCooldown { get; set; }
    public TimeSpan? ScaleInCooldown { get; set; }
    public List<ScheduleWindow>? Schedules { get; set; }
    public decimal? HourlyPriceUsd { get; set; }
    public string? Team { get; set; }
    public string? Mode { get; set; }

    public const int MaxCapacityLimit = 1000;

    [GeneratedRegex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Compute/virtualMachineScaleSets/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex ScaleSetIdPattern();

    public ValidationResult<GpuPool?> Validate(string name)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add(new(CapacityErrors.NameInvalid, "pool", "Pool names are 1 to 64 letters, digits, '-' or '_'."));
        }

        if (ScaleSetId is null || !ScaleSetIdPattern().IsMatch(ScaleSetId))
        {
            errors.Add(new(CapacityErrors.ScaleSetIdInvalid, "scaleSetId", "scaleSetId must be a Microsoft.Compute/virtualMachineScaleSets resource id."));
        }

        if (MinCapacity is not { } min || MaxCapacity is not { } max || min < 0 || max < 1 || min > max || max > MaxCapacityLimit)
        {
            errors.Add(new(CapacityErrors.BoundsInvalid, "minCapacity", $"0 ≤ minCapacity ≤ maxCapacity ≤ {MaxCapacityLimit}, maxCapacity ≥ 1."));
        }

        var band = TargetUtilization ?? new UtilizationBand();
        if (band.Low <= 0 || band.High > 1 || band.Low >= band.High)
        {
            errors.Add(new(CapacityErrors.BandInvalid, "targetUtilization", "0 < low < high ≤ 1."));
        }

        if (QueueDepthPerInstance is < 1)
        {
            errors.Add(new(CapacityErrors.QueueTargetInvalid, "queueDepthPerInstance", "queueDepthPerInstance is at least 1."));
        }

        if (ScaleOutCooldown is { } o && (o < TimeSpan.Zero || o > TimeSpan.FromDays(1)) || ScaleInCooldown is { } i && (i < TimeSpan.Zero || i > TimeSpan.FromDays(1)))
        {
            errors.Add(new(CapacityErrors.CooldownInvalid, "scaleOutCooldown", "Cooldowns lie between 0 and 1 day."));
        }

        for (var n = 0; n < (Schedules?.Count ?? 0); n++)
        {
            var w = Schedules![n];
            if (w is null || w.Days.Count == 0 || w.StartHour is < 0 or > 23 || w.EndHour is < 1 or > 24 || w.StartHour >= w.EndHour
                || w.MinCapacity < 0 || (w.MaxCapacity is { } wm && (wm < w.MinCapacity || wm > MaxCapacityLimit)))
            {
                errors.Add(new(CapacityErrors.ScheduleInvalid, $"schedules[{n}]", "A window has days, 0 ≤ startHour < endHour ≤ 24 (UTC) and 0 ≤ minCapacity ≤ maxCapacity."));
            }
        }

        if (HourlyPriceUsd is < 0 or > 10_000)
        {
            errors.Add(new(CapacityErrors.PriceInvalid, "hourlyPriceUsd", "hourlyPriceUsd lies between 0 and 10,000."));
        }

        if (string.IsNullOrWhiteSpace(Team) || Team.Length > UsageEventValidator.MaxNameLength)
        {
            errors.Add(new(CapacityErrors.TeamRequired, "team", "team (the owner charged for the pool) is required."));
        }

        var mode = PoolMode.Recommend;
        if (Mode is not null && !EnumNames.TryParse(Mode, out mode))
        {
            errors.Add(new(CapacityErrors.ModeInvalid, "mode", $"mode must be one of {EnumNames.Allowed<PoolMode>()}."));
        }

        return errors.Count > 0 ? new(null, errors) : new(new GpuPool
        {
            Name = name,
            ScaleSetId = ScaleSetId!,
            MinCapacity = MinCapacity!.Value,
            MaxCapacity = MaxCapacity!.Value,
            TargetUtilization = band,
            QueueDepthPerInstance = QueueDepthPerInstance,
            ScaleOutCooldown = ScaleOutCooldown ?? TimeSpan.FromMinutes(5),
            ScaleInCooldown = ScaleInCooldown ?? TimeSpan.FromMinutes(15),
            Schedules = Schedules ?? [],
            HourlyPriceUsd = HourlyPriceUsd ?? 0m,
            Team = Team!,
            Mode = mode,
        }, errors);
    }
}

/// <summary>
/// <c>POST /api/gpu/pools/{pool}/samples</c>: one sample or <c>{"samples": [...]}</c>. Besides <c>utilization</c> and
/// <c>queueDepth</c>, a sample may carry its sender's <c>id</c>, the <c>windowSeconds</c> its values are means over,
/// the number of <c>readings</c>, per-GPU means (<c>gpus</c>) and memory used/total; without <c>utilization</c>, the
/// mean of the GPUs' is taken.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SamplesRequest
{
    public double? Utilization { get; set; }
    public int? QueueDepth { get; set; }
    public string? Timestamp { get; set; }
    public string? Instance { get; set; }
    public string? Id { get; set; }
    public double? WindowSeconds { get; set; }
    public int? Readings { get; set; }
    public List<GpuReadingRequest>? Gpus { get; set; }
    public double? MemoryUsedMiB { get; set; }
    public double? MemoryTotalMiB { get; set; }
    public List<SamplesRequest>? Samples { get; set; }

    public const int MaxSamples = 500;

    /// <summary>GPUs one sample may report (the largest VMs carry 8).</summary>
    public const int MaxGpus = 64;

    /// <summary>Longest window a sample may average over: one day.</summary>
    public const double MaxWindowSeconds = 86_400;

    /// <summary>More memory than any GPU VM holds (MiB): a bound against garbage, not a hardware check.</summary>
    private const double MaxMemoryMiB = 64 * 1024 * 1024;

    public ValidationResult<IReadOnlyList<UtilizationSample>> Validate(DateTimeOffset now)
    {
        var errors = new List<ValidationError>();
        var items = Samples ?? [this];
        if (Samples is { Count: 0 })
        {
            errors.Add(new(CapacityErrors.SamplesEmpty, "samples", "samples is empty."));
        }
        else if (items.Count > MaxSamples)
        {
            errors.Add(new(CapacityErrors.SamplesTooMany, "samples", $"At most {MaxSamples} samples per request."));
        }

        var samples = new List<UtilizationSample>();
        for (var i = 0; errors.Count == 0 && i < items.Count; i++)
        {
            if (items[i] is { } s && s.ToSample(now, Samples is null ? string.Empty : $"samples[{i}].", errors) is { } sample)
            {
                samples.Add(sample);
            }
        }

        return new(samples, errors);
    }

    private UtilizationSample? ToSample(DateTimeOffset now, string field, List<ValidationError> errors)
    {
        var before = errors.Count;
        var utilization = Utilization ?? (Gpus is { Count: > 0 } && Gpus.All(g => g?.Utilization is not null) ? Gpus.Average(g => g.Utilization!.Value) : null);
        DateTimeOffset at = now;
        if (utilization is not (>= 0 and <= 1) || QueueDepth is < 0 or > 100_000_000
            || (Timestamp is not null && (!UsageEventValidator.TryParseRfc3339(Timestamp, out at) || at > now.AddMinutes(5) || at < now.AddDays(-1)))
            || Instance is { Length: > 256 })
        {
            errors.Add(new(CapacityErrors.SampleInvalid, field + "utilization",
                "A sample has utilization 0..1 (or gpus to take it from), queueDepth ≥ 0, an RFC 3339 timestamp within the last day, and an instance name ≤ 256 characters."));
        }

        if (Id is not null && (Id.Length is 0 or > 128 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')))
        {
            errors.Add(new(CapacityErrors.SampleIdInvalid, field + "id", "id is 1 to 128 letters, digits, '-', '_', '.' or ':'."));
        }

        if (WindowSeconds is { } window && !(window > 0 && window <= MaxWindowSeconds) || Readings is < 1 or > 1_000_000)
        {
            errors.Add(new(CapacityErrors.SampleWindowInvalid, field + "windowSeconds", $"windowSeconds lies in (0, {MaxWindowSeconds:0}] and readings is at least 1."));
        }

        if (Gpus is { } gpus && (gpus.Count > MaxGpus || gpus.Any(g => g is null || !g.IsValid()) || gpus.Select(g => g.Index).Distinct().Count() != gpus.Count))
        {
            errors.Add(new(CapacityErrors.SampleGpusInvalid, field + "gpus",
                $"At most {MaxGpus} gpus, each with a distinct index ≥ 0, utilization 0..1, memory 0 ≤ used ≤ total, and a uuid ≤ 128 characters."));
        }

        if (!MemoryIsValid(MemoryUsedMiB, MemoryTotalMiB))
        {
            errors.Add(new(CapacityErrors.SampleMemoryInvalid, field + "memoryUsedMiB", "0 ≤ memoryUsedMiB ≤ memoryTotalMiB."));
        }

        if (errors.Count > before)
        {
            return null;
        }

        var readings = (Gpus ?? []).Select(g => new GpuReading(g.Index!.Value, g.Uuid, g.Utilization!.Value, g.MemoryUsedMiB, g.MemoryTotalMiB)).OrderBy(g => g.Index).ToList();
        return new UtilizationSample(at.ToUniversalTime(), utilization!.Value, QueueDepth ?? 0, Instance)
        {
            Id = Id,
            WindowSeconds = WindowSeconds,
            Readings = Readings,
            Gpus = readings,
            // Totals over the GPUs when the sender gave only per-GPU memory.
            MemoryUsedMiB = MemoryUsedMiB ?? (readings.Count > 0 && readings.All(g => g.MemoryUsedMiB is not null) ? readings.Sum(g => g.MemoryUsedMiB) : null),
            MemoryTotalMiB = MemoryTotalMiB ?? (readings.Count > 0 && readings.All(g => g.MemoryTotalMiB is not null) ? readings.Sum(g => g.MemoryTotalMiB) : null),
        };
    }

    internal static bool MemoryIsValid(double? used, double? total) =>
        used is null or (>= 0 and <= MaxMemoryMiB) && total is null or (> 0 and <= MaxMemoryMiB) && !(used > total);
}

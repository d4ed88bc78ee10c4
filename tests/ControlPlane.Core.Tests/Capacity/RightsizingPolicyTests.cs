using ControlPlane.Capacity;
using ControlPlane.Testing.Gpu;

namespace ControlPlane.Capacity;

/// <summary>The policy replayed over traces: each evaluation every 5 minutes, applying what it decided.</summary>
public sealed class RightsizingPolicyTests
{
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static GpuPool Pool(int min = 1, int max = 10, int? queuePerInstance = null, IReadOnlyList<ScheduleWindow>? schedules = null) => new()
    {
        Name = "infer", ScaleSetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/infer",
        MinCapacity = min, MaxCapacity = max, QueueDepthPerInstance = queuePerInstance, Schedules = schedules ?? [], Team = "search",
    };

    /// <summary>Replays a trace: <paramref name="load"/> gives (utilization at 1 instance-equivalent, queue) per minute.</summary>
    private static List<(DateTimeOffset At, int Capacity, IReadOnlyList<string> Reasons)> Replay(
        GpuPool pool, int start, TimeSpan length, Func<DateTimeOffset, int, (double Utilization, int Queue)> load, DateTimeOffset? from = null, Func<DateTimeOffset, string?>? killSwitch = null)
    {
        var t0 = from ?? Monday9;
        var capacity = start;
        DateTimeOffset? lastOut = null, lastIn = null;
        var samples = new List<UtilizationSample>();
        var history = new List<(DateTimeOffset, int, IReadOnlyList<string>)>();
        for (var minute = 0; minute <= length.TotalMinutes; minute++)
        {
            var now = t0.AddMinutes(minute);
            var (utilization, queue) = load(now, capacity);
            samples.Add(new UtilizationSample(now, utilization, queue));
            if (minute % 5 != 0)
            {
                continue;
            }

            var (desired, reasons) = RightsizingPolicy.Decide(pool, new PoolSituation(capacity, samples, lastOut, lastIn, killSwitch?.Invoke(now)), now);
            if (desired > capacity)
            {
                lastOut = now;
            }
            else if (desired < capacity)
            {
                lastIn = now;
            }

            capacity = desired;
            history.Add((now, capacity, reasons));
        }

        return history;
    }

    /// <summary>Work measured in instance-equivalents: utilization is work / capacity, capped at 100%.</summary>
    private static (double, int) Work(double instances, int capacity, int queue = 0) =>
        (capacity == 0 ? 0 : Math.Min(1.0, instances / capacity), queue);

    [Fact]
    public void Bursty_ScalesOutFastWithinMaxThenInSlowly()
    {
        // Three quiet instances of work, a 40-minute burst of eight, then quiet again.
        var history = Replay(Pool(), start: 4, TimeSpan.FromHours(2),
            (now, capacity) => Work(now >= Monday9.AddMinutes(20) && now < Monday9.AddMinutes(60) ? 8 : 2.5, capacity));

        var peak = history.Max(h => h.Capacity);
        Assert.InRange(peak, 10, 10);
        Assert.True(history.First(h => h.At >= Monday9.AddMinutes(30)).Capacity > 4, "Did not scale out within 10 minutes of the burst.");
        Assert.InRange(history[^1].Capacity, 3, 5);
        Assert.All(history, h => Assert.InRange(h.Capacity, 1, 10));
    }

    [Fact]
    public void QuietNight_ScheduleLetsThePoolGoToZeroAndComesBackInTheMorning()
    {
        var nights = new ScheduleWindow { Name = "nights", Days = Enum.GetValues<DayOfWeek>(), StartHour = 0, EndHour = 6, MinCapacity = 0 };
        var history = Replay(Pool(min: 2, schedules: [nights]), start: 2, TimeSpan.FromHours(8),
            (now, capacity) => Work(now.Hour < 6 ? 0 : 1.5, capacity, queue: now.Hour >= 6 && capacity == 0 ? 5 : 0),
            from: new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));

        Assert.Contains(history, h => h.At.Hour < 6 && h.Capacity == 0);
        Assert.All(history.Where(h => h.At.Hour >= 6), h => Assert.True(h.Capacity >= 2, $"At {h.At:HH:mm} capacity {h.Capacity} is below the day minimum."));
        Assert.Contains(history.First(h => h.At.Hour < 6 && h.Capacity == 0).Reasons, r => r.Contains("schedule nights", StringComparison.Ordinal));
    }

    [Fact]
    public void StuckQueue_WhileGpusIdle_DoesNotScaleOut()
    {
        var history = Replay(Pool(queuePerInstance: 10), start: 3, TimeSpan.FromMinutes(45), (_, capacity) => Work(0.3, capacity, queue: 200));

        Assert.All(history, h => Assert.True(h.Capacity <= 3, $"Scaled out to {h.Capacity} for a queue that does not drain."));
        Assert.Contains(history[^1].Reasons, r => r.Contains("queue stuck", StringComparison.Ordinal));
    }

    [Fact]
    public void DrainingQueue_ScalesOutToTheQueueTarget()
    {
        var queue = 120;
        var history = Replay(Pool(queuePerInstance: 20), start: 2, TimeSpan.FromMinutes(30), (_, capacity) =>
        {
            queue = Math.Max(0, queue - (capacity * 2));
            return Work(capacity, capacity, queue);
        });

        Assert.True(history.Max(h => h.Capacity) >= 5, "Did not scale out for a deep, draining queue.");
    }

    [Fact]
    public void UtilizationFlappingAroundTheHighThreshold_DoesNotFlap()
    {
        // Work oscillates between 3.8 and 4.4 instances on 5 instances: 76%-88%, right around the 80% line.
        var history = Replay(Pool(), start: 5, TimeSpan.FromHours(2), (now, capacity) => Work(now.Minute % 10 < 5 ? 3.8 : 4.4, capacity));

        var changes = history.Zip(history.Skip(1)).Count(p => p.First.Capacity != p.Second.Capacity);
        Assert.True(changes <= 2, $"{changes} capacity changes in two hours: the pool flaps.");
    }

    [Fact]
    public void BudgetTrip_ScalesToMinimumWhateverTheLoad()
    {
        var trip = Monday9.AddMinutes(30);
        var history = Replay(Pool(min: 1), start: 6, TimeSpan.FromHours(1), (_, capacity) => Work(6, capacity),
            killSwitch: now => now >= trip ? "team:search" : null);

        Assert.All(history.Where(h => h.At >= trip), h => Assert.Equal(1, h.Capacity));
        Assert.Contains(history.First(h => h.At >= trip).Reasons, r => r.Contains("kill switch team:search", StringComparison.Ordinal));
        Assert.True(history.Where(h => h.At < trip).All(h => h.Capacity >= 6));
    }

    [Fact]
    public void NoSamples_KeepsCapacityWithinBounds()
    {
        var (desired, reasons) = RightsizingPolicy.Decide(Pool(min: 2, max: 4), new PoolSituation(7, [], null, null, null), Monday9);

        Assert.Equal(4, desired);
        Assert.Contains(reasons, r => r.Contains("no samples", StringComparison.Ordinal));
    }

    /// <summary>
    /// The agent's one-minute sample while the H200 recording's <paramref name="phase"/> runs: the mean of its readings,
    /// as the agent computes it, with memory and the GPU's own values.
    /// </summary>
    private static UtilizationSample FixtureSample(NvidiaSmiFixture fixture, string phase, DateTimeOffset at, string instance)
    {
        var readings = fixture.During(fixture.Phase(phase)).Readings;
        var mean = readings.Average(r => r.UtilizationPercent) / 100;
        var used = readings.Average(r => r.MemoryUsedMiB);
        return new UtilizationSample(at, mean, 0, instance)
        {
            WindowSeconds = 60, Readings = readings.Count, MemoryUsedMiB = used, MemoryTotalMiB = readings[0].MemoryTotalMiB,
            Gpus = [new GpuReading(0, readings[0].Uuid, mean, used, readings[0].MemoryTotalMiB)],
        };
    }

    [Fact]
    public void H200Trace_WindowMeansDriveTheDecisions_DutyCycleHoldsAndSilenceIsNotIdle()
    {
        // Two one-GPU instances replaying the recording's loads, 15 minutes each, then the agents go silent.
        var fixture = NvidiaSmiFixture.H200();
        string[] phases = ["matmul-full", "duty-30pct", "tiny-kernels"];
        var pool = Pool(min: 1, max: 4) with { ScaleOutCooldown = TimeSpan.Zero, ScaleInCooldown = TimeSpan.Zero };
        var capacity = 2;
        var samples = new List<UtilizationSample>();
        var history = new List<(string Phase, int Capacity, IReadOnlyList<string> Reasons)>();
        for (var minute = 1; minute <= 75; minute++)
        {
            var now = Monday9.AddMinutes(minute);
            var phase = minute <= 45 ? phases[(minute - 1) / 15] : "silent";
            if (phase != "silent")
            {
                samples.Add(FixtureSample(fixture, phase, now, "vm-0"));
                samples.Add(FixtureSample(fixture, phase, now, "vm-1"));
            }

            if (minute % 15 == 0)
            {
                var (desired, reasons) = RightsizingPolicy.Decide(pool, new PoolSituation(capacity, samples, null, null, null, samples.Count > 0 ? samples[^1].Timestamp : null), now);
                capacity = desired;
                history.Add((phase, capacity, reasons));
            }
        }

        var duty = fixture.During(fixture.Phase("duty-30pct")).Readings;
        Assert.Contains(duty, r => r.UtilizationPercent == 0);
        Assert.Contains(duty, r => r.UtilizationPercent == 100);
        var dutyMean = duty.Average(r => r.UtilizationPercent) / 100;
        Assert.InRange(dutyMean, 0.5, 0.8);

        // Full matrix products: out. The duty cycle's mean sits in the band although no single reading does: hold.
        // The tiny-kernel loop reads ~14%: in. Then silence holds what was there.
        Assert.Equal([4, 4, 2, 2, 2], history.Select(h => h.Capacity));
        Assert.Contains(history[0].Reasons, r => r.Contains("average utilization 100 % above 80 %: 2 -> 4", StringComparison.Ordinal));
        Assert.Contains(history[1].Reasons, r => r.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"utilization {dutyMean:P0} (peak {dutyMean:P0}) within the band"), StringComparison.Ordinal));
        Assert.Contains(history[1].Reasons, r => r.Contains("GPU memory 1 % used (mean 1,103 of 143,771 MiB per instance", StringComparison.Ordinal));
        Assert.Contains(history[1].Reasons, r => r.Contains("samples are means over 60 s windows", StringComparison.Ordinal));
        Assert.Contains(history[2].Reasons, r => r.Contains("utilization stayed below 50 % (peak 17 %): 4 -> 2", StringComparison.Ordinal));
        Assert.Contains(history[4].Reasons, r => r.Contains("GPU agent silent", StringComparison.Ordinal) && r.Contains("not treated as idle", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_MultiGpuSamples_NameTheSpreadBetweenGpus()
    {
        var now = Monday9;
        var sample = new UtilizationSample(now, 0.55, 0, "vm-0")
        {
            Gpus = [new GpuReading(0, null, 0.95, 70_000, 80_000), new GpuReading(1, null, 0.15, 10_000, 80_000)],
            MemoryUsedMiB = 80_000, MemoryTotalMiB = 160_000,
        };

        var (desired, reasons) = RightsizingPolicy.Decide(Pool(), new PoolSituation(2, [sample], null, null, null), now);

        Assert.Equal(2, desired);
        Assert.Contains(reasons, r => r.Contains("per-GPU spread up to 80 % (2 GPUs from 15 % to 95 % on vm-0", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("GPU memory 50 % used", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_NoSampleEver_SaysTheAgentMayBeMissing()
    {
        var (desired, reasons) = RightsizingPolicy.Decide(Pool(min: 1, max: 4), new PoolSituation(3, [], null, null, null), Monday9);

        Assert.Equal(3, desired);
        Assert.Contains(reasons, r => r.Contains("none ever (is the GPU agent installed?)", StringComparison.Ordinal));
    }
}

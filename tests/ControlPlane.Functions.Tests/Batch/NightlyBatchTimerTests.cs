using ControlPlane.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace ControlPlane.Batch;

/// <summary>The nightly run is named after the occurrence the timer fires for, not the moment it happens to start.</summary>
public sealed class NightlyBatchTimerTests
{
    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Unspecified)]
    public void ScheduledRun_NamedByTheHostsNextOccurrence(DateTimeKind kind)
    {
        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus { Next = DateTime.SpecifyKind(new DateTime(2026, 11, 24, 2, 0, 0), kind) } };

        var occurrence = ScheduledTimer.Occurrence(timer);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), occurrence);
        Assert.Equal("nightly-batch-20261124T0200", NightlyBatchSteps.RunIdFor(occurrence!.Value));
    }

    [Fact]
    public void RunByHand_HasNoOccurrence_AndIsNamedByTheClock()
    {
        Assert.Null(ScheduledTimer.Occurrence(new TimerInfo()));
        Assert.Null(ScheduledTimer.Occurrence(null));
    }
}

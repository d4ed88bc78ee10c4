using Cronos;

namespace ControlPlane.Standalone.Functions;

/// <summary>A scheduled run carries the schedule status the Functions host would give it.</summary>
public sealed class TimerScheduleStatusTests
{
    private static readonly CronExpression Nightly = CronExpression.Parse("0 0 2 * * *", CronFormat.IncludeSeconds);
    private static readonly DateTimeOffset Occurrence = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RunStartingLate_StillNamesTheOccurrenceItFiresFor()
    {
        var info = TimerFunctions.ScheduledRun(Nightly, Occurrence, Occurrence.AddSeconds(40));

        Assert.Equal(Occurrence.UtcDateTime, info.ScheduleStatus!.Next);
        Assert.Equal(Occurrence.UtcDateTime.AddDays(-1), info.ScheduleStatus.Last);
        Assert.False(info.IsPastDue);
    }

    [Fact]
    public void RunStartingMinutesAfterItsOccurrence_IsPastDue()
    {
        var info = TimerFunctions.ScheduledRun(Nightly, Occurrence, Occurrence.AddMinutes(7));

        Assert.Equal(Occurrence.UtcDateTime, info.ScheduleStatus!.Next);
        Assert.True(info.IsPastDue);
    }
}

namespace ControlPlane.Reports;

public sealed class ReportPeriodTests
{
    [Theory]
    [InlineData("2026-W47", "2026-11-16", "2026-11-23")]
    [InlineData("2026-W01", "2025-12-29", "2026-01-05")] // week 1 holds the year's first Thursday, so it starts in December
    [InlineData("2020-W53", "2020-12-28", "2021-01-04")] // a 53-week year
    public void Week_IsIsoMondayToMonday(string name, string start, string end)
    {
        var period = ReportPeriod.TryParse(ReportKind.Weekly, name)!;

        Assert.Equal(DateTimeOffset.Parse(start + "T00:00:00Z"), period.Start);
        Assert.Equal(DateTimeOffset.Parse(end + "T00:00:00Z"), period.End);
        Assert.Equal(name, period.Name);
    }

    [Theory]
    [InlineData("2026-11", "2026-11-01", "2026-12-01")]
    [InlineData("2026-12", "2026-12-01", "2027-01-01")]
    [InlineData("2028-02", "2028-02-01", "2028-03-01")]
    public void Month_IsTheCalendarMonthInUtc(string name, string start, string end)
    {
        var period = ReportPeriod.TryParse(ReportKind.Monthly, name)!;

        Assert.Equal(DateTimeOffset.Parse(start + "T00:00:00Z"), period.Start);
        Assert.Equal(DateTimeOffset.Parse(end + "T00:00:00Z"), period.End);
    }

    [Theory]
    [InlineData(ReportKind.Weekly, "2026-W54")]
    [InlineData(ReportKind.Weekly, "2026-W00")]
    [InlineData(ReportKind.Weekly, "2025-W53")] // 2025 has 52 ISO weeks (2026 has 53)
    [InlineData(ReportKind.Weekly, "2026-11")]
    [InlineData(ReportKind.Monthly, "2026-13")]
    [InlineData(ReportKind.Monthly, "2026-00")]
    [InlineData(ReportKind.Monthly, "2026-W47")]
    [InlineData(ReportKind.Monthly, "26-11")]
    [InlineData(ReportKind.Monthly, " 2026-11")]
    [InlineData(ReportKind.Monthly, "２０２６-11")]
    [InlineData(ReportKind.Monthly, "2026-11\n")]
    [InlineData(ReportKind.Monthly, null)]
    public void NotAPeriodOfTheKind_IsNull(ReportKind kind, string? name) => Assert.Null(ReportPeriod.TryParse(kind, name));

    [Fact]
    public void LastEnded_OnTheFirstOfTheMonthAndOnMonday_IsThePeriodJustFinished()
    {
        var firstOfDecember = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
        var monday = new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero);

        Assert.Equal("2026-11", ReportPeriod.LastEnded(ReportKind.Monthly, firstOfDecember).Name);
        Assert.Equal("2026-W47", ReportPeriod.LastEnded(ReportKind.Weekly, monday).Name);
        Assert.Equal("2025-12", ReportPeriod.Month(2026, 1).Previous.Name);
        Assert.Equal("2025-W52", ReportPeriod.Week(2026, 1).Previous.Name);
    }
}

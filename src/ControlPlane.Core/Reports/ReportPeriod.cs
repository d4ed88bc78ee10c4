using System.Globalization;
using System.Text.RegularExpressions;

namespace ControlPlane.Reports;

/// <summary>Weekly (ISO week, Monday to Monday, UTC) or monthly (calendar month, UTC).</summary>
public enum ReportKind
{
    Weekly,
    Monthly,
}

/// <summary>
/// The period a report covers: [<see cref="Start"/>, <see cref="End"/>) in UTC, named as finance writes it —
/// <c>2026-W47</c> (ISO 8601 week: weeks start on Monday, week 1 holds the year's first Thursday) or <c>2026-11</c>.
/// </summary>
public sealed partial record ReportPeriod(ReportKind Kind, string Name, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>Parses a period name of the kind; null when it is not one.</summary>
    public static ReportPeriod? TryParse(ReportKind kind, string? name)
    {
        if (name is null)
        {
            return null;
        }

        if (kind == ReportKind.Monthly && MonthPattern().Match(name) is { Success: true } month)
        {
            var year = int.Parse(month.Groups[1].Value, CultureInfo.InvariantCulture);
            var number = int.Parse(month.Groups[2].Value, CultureInfo.InvariantCulture);
            return number is >= 1 and <= 12 && year is >= 2000 and <= 9998 ? Month(year, number) : null;
        }

        if (kind == ReportKind.Weekly && WeekPattern().Match(name) is { Success: true } week)
        {
            var year = int.Parse(week.Groups[1].Value, CultureInfo.InvariantCulture);
            var number = int.Parse(week.Groups[2].Value, CultureInfo.InvariantCulture);
            return year is >= 2000 and <= 9998 && number >= 1 && number <= ISOWeek.GetWeeksInYear(year) ? Week(year, number) : null;
        }

        return null;
    }

    public static ReportPeriod Month(int year, int month)
    {
        var start = new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);
        return new(ReportKind.Monthly, $"{year:D4}-{month:D2}", start, start.AddMonths(1));
    }

    public static ReportPeriod Week(int year, int week)
    {
        var start = new DateTimeOffset(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday), TimeSpan.Zero);
        return new(ReportKind.Weekly, $"{year:D4}-W{week:D2}", start, start.AddDays(7));
    }

    /// <summary>The period of the kind that contains <paramref name="at"/>.</summary>
    public static ReportPeriod Containing(ReportKind kind, DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return kind == ReportKind.Monthly ? Month(utc.Year, utc.Month) : Week(ISOWeek.GetYear(utc), ISOWeek.GetWeekOfYear(utc));
    }

    /// <summary>The last period of the kind that has ended by <paramref name="at"/> (what a schedule on the 1st or on Monday reports).</summary>
    public static ReportPeriod LastEnded(ReportKind kind, DateTimeOffset at) => Containing(kind, at).Previous;

    /// <summary>The period before this one (the baseline for movers).</summary>
    public ReportPeriod Previous => Containing(Kind, Start.AddTicks(-1));

    /// <summary>True when the period has not ended at <paramref name="at"/> (its figures are to date, and it gets a forecast).</summary>
    public bool IsOpenAt(DateTimeOffset at) => at < End;

    [GeneratedRegex(@"^([0-9]{4})-([0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex MonthPattern();

    [GeneratedRegex(@"^([0-9]{4})-W([0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex WeekPattern();
}

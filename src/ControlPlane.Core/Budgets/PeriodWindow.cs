using System.Globalization;

namespace ControlPlane.Budgets;

/// <summary>
/// One period of a budget: [<see cref="Start"/>, <see cref="End"/>) in UTC, named by <see cref="Key"/> (the storage
/// key: a new key is a fresh period, which is how rollover re-arms a kill switch).
/// </summary>
public readonly record struct PeriodWindow(string Key, DateTimeOffset Start, DateTimeOffset? End)
{
    public static PeriodWindow For(BudgetPeriod period, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        switch (period)
        {
            case BudgetPeriod.Daily:
                return new("D" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), day, day.AddDays(1));
            case BudgetPeriod.Weekly:
                var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
                return new("W" + monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), monday, monday.AddDays(7));
            case BudgetPeriod.Monthly:
                var first = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
                return new("M" + first.ToString("yyyy-MM", CultureInfo.InvariantCulture), first, first.AddMonths(1));
            default:
                return new("T", DateTimeOffset.MinValue, null);
        }
    }
}

using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>One UTC day of one team's feature: totals and its distinct users.</summary>
public sealed class DailyUsage(DateTimeOffset day)
{
    public DateTimeOffset Day { get; } = day;
    public long Requests { get; private set; }

    /// <summary>Requests that named a user: a feature whose calls never do cannot be judged by its users.</summary>
    public long AttributedRequests { get; private set; }

    public long Tokens { get; private set; }
    public decimal CostUsd { get; private set; }
    public decimal Units { get; private set; }
    public ActiveUsersSketch Users { get; } = new();

    internal void Add(UsageRollup row)
    {
        Requests += row.Requests;
        Tokens += row.InputTokens + row.OutputTokens;
        CostUsd += row.CostUsd;
        Units += row.Units;
        if (row.User is { } user)
        {
            AttributedRequests += row.Requests;
            Users.Add(user);
        }
    }
}

/// <summary>
/// The usage of one team's feature, per UTC day and hour, built from rollup rows. Active users are computed here,
/// on read, from the rollups' <c>User</c> dimension, one <see cref="ActiveUsersSketch"/> per team, feature and day,
/// merged into weeks.
/// <para>
/// Why on read rather than a sketch the fold writes: the rollups already carry every (hour, user) pair and are exact
/// at every moment — under concurrent ingest, folds, retention trims and rebuilds from the ledger — so a sketch
/// derived from them is exactly as correct, with nothing new to keep consistent. A stored sketch would be one more
/// derived copy: written per partition (the fold works one of 16 partitions at a time), rewritten by every fold
/// transaction of the day (more bytes in a transaction already bounded at 100 entities / 4 MiB), trimmed by
/// retention without being able to remove a user, and rebuilt separately. The audits read the rollups of their
/// window anyway for requests, tokens and cost; hashing each row's user adds one hash per row to that read (see the
/// zombie-audit benchmark), and memory stays bounded: 16 KiB per feature and day at most, exact below 2,048 users.
/// </para>
/// </summary>
public sealed class FeatureUsageHistory(string team, string feature)
{
    private readonly SortedDictionary<DateTimeOffset, DailyUsage> _days = [];
    private readonly Dictionary<DateTimeOffset, decimal> _hourCost = [];

    public string Team { get; } = team;
    public string Feature { get; } = feature;

    /// <summary>The earliest hour with usage in what was read: how much history the rules may assume.</summary>
    public DateTimeOffset FirstHour { get; private set; } = DateTimeOffset.MaxValue;

    public IEnumerable<DailyUsage> Days => _days.Values;

    /// <summary>Builds one history per team and feature from rollup rows (any order, folded or not).</summary>
    public static IReadOnlyDictionary<(string Team, string Feature), FeatureUsageHistory> FromRollups(IEnumerable<UsageRollup> rows)
    {
        var histories = new Dictionary<(string, string), FeatureUsageHistory>();
        foreach (var row in rows)
        {
            var key = (row.Team, row.Feature);
            if (!histories.TryGetValue(key, out var history))
            {
                histories[key] = history = new FeatureUsageHistory(row.Team, row.Feature);
            }

            history.Add(row);
        }

        return histories;
    }

    public void Add(UsageRollup row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var day = DayOf(row.Hour);
        if (!_days.TryGetValue(day, out var daily))
        {
            _days[day] = daily = new DailyUsage(day);
        }

        daily.Add(row);
        _hourCost[row.Hour] = _hourCost.GetValueOrDefault(row.Hour) + row.CostUsd;
        if (row.Hour < FirstHour)
        {
            FirstHour = row.Hour;
        }
    }

    /// <summary>The day's usage, or null when the feature had none that day.</summary>
    public DailyUsage? Day(DateTimeOffset day) => _days.GetValueOrDefault(DayOf(day));

    /// <summary>Cost of one UTC hour (zero when there was no usage).</summary>
    public decimal HourCost(DateTimeOffset hour) => _hourCost.GetValueOrDefault(UsageRollup.HourOf(hour));

    /// <summary>Cost of the UTC day (zero when there was no usage).</summary>
    public decimal DayCost(DateTimeOffset day) => Day(day)?.CostUsd ?? 0m;

    /// <summary>The totals and distinct users of the days in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public PeriodUsage Period(DateTimeOffset from, DateTimeOffset to)
    {
        var users = new ActiveUsersSketch();
        long requests = 0, attributed = 0, tokens = 0, dailyUsers = 0;
        decimal cost = 0, units = 0;
        foreach (var (day, usage) in _days)
        {
            if (day < from || day >= to)
            {
                continue;
            }

            requests += usage.Requests;
            attributed += usage.AttributedRequests;
            tokens += usage.Tokens;
            cost += usage.CostUsd;
            units += usage.Units;
            dailyUsers += usage.Users.Count();
            users.Merge(usage.Users);
        }

        var days = Math.Max(1, (int)Math.Round((to - from).TotalDays));
        return new PeriodUsage(from, to, users.Count(), (decimal)dailyUsers / days, requests, attributed, tokens, cost, units);
    }

    public static DateTimeOffset DayOf(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>A period's totals: distinct users over the whole period and the average of the daily distinct users.</summary>
public sealed record PeriodUsage(
    DateTimeOffset From, DateTimeOffset To, long Users, decimal AverageDailyUsers, long Requests, long AttributedRequests, long Tokens, decimal CostUsd, decimal Units)
{
    public EvidencePoint ToEvidence() => new(From, new Dictionary<string, decimal>(StringComparer.Ordinal)
    {
        ["users"] = Users,
        ["averageDailyUsers"] = decimal.Round(AverageDailyUsers, 2),
        ["requests"] = Requests,
        ["tokens"] = Tokens,
        ["costUsd"] = CostUsd,
    });
}

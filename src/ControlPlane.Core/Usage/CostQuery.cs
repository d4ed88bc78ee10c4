using System.Globalization;
using ControlPlane.Access;
using ControlPlane.Privacy;
using ControlPlane.Validation;

namespace ControlPlane.Usage;

/// <summary>What <c>GET /api/costs</c> can group and filter by: a rollup dimension, a tag, or a time bucket.</summary>
public enum CostDimension
{
    Team,
    Feature,
    Model,
    User,
    Environment,
    App,
    PromptTemplate,
    CostCenter,
    Provider,
    Tag,
    Hour,
    Day,
    Week,
    Month,
}

/// <summary>One dimension of a cost query; <see cref="TagName"/> is set for <see cref="CostDimension.Tag"/> only.</summary>
public sealed record CostAxis(CostDimension Dimension, string? TagName = null)
{
    public bool IsTime => Dimension is CostDimension.Hour or CostDimension.Day or CostDimension.Week or CostDimension.Month;

    /// <summary>The name as the query string spells it: <c>team</c>, <c>promptTemplate</c>, <c>tag:project</c>, <c>day</c>.</summary>
    public string Name => Dimension == CostDimension.Tag ? $"tag:{TagName}" : CostQuery.NameOf(Dimension);

    public override string ToString() => Name;
}

/// <summary>
/// A cost question: which hours, which filters, grouped by one or two dimensions. Ranges are whole UTC hours because
/// rollups are hourly; <see cref="From"/> is rounded down and <see cref="To"/> rounded up, and the answer says which
/// range it covers. Answered from rollup rows only, never from the ledger.
/// </summary>
public sealed record CostQuery
{
    /// <summary>Longest range one query may span, so a query cannot scan years of rollups. 400 days.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(400);

    /// <summary>Most cells (groups × time buckets) one answer may hold, so an hourly year of many groups is refused, not built.</summary>
    public const int MaxCells = 200_000;

    /// <summary>The key of calls that did not name the dimension (no user, no prompt template, no such tag, no cost center).</summary>
    public const string Unattributed = "(none)";

    /// <summary>Kept for callers that named it before other dimensions could be empty.</summary>
    public const string UnattributedUser = Unattributed;

    public const int MaxGroupBy = 2;

    /// <summary>Dimensions a filter can name, as query parameters: <c>?team=a&amp;team=b&amp;tag:project=apollo</c>.</summary>
    public static readonly IReadOnlyList<CostDimension> FilterDimensions =
    [
        CostDimension.Team, CostDimension.Feature, CostDimension.Model, CostDimension.User, CostDimension.Environment,
        CostDimension.App, CostDimension.PromptTemplate, CostDimension.CostCenter, CostDimension.Provider,
    ];

    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    public required IReadOnlyList<CostAxis> GroupBy { get; init; }

    /// <summary>Per dimension (or tag), the values a row must have one of.</summary>
    public IReadOnlyList<CostFilter> Filters { get; init; } = [];

    /// <summary>The teams the caller may see; null for every team (finance and admin keys).</summary>
    public IReadOnlySet<string>? VisibleTeams { get; init; }

    /// <summary>The spelling of <see cref="GroupBy"/> in the answer: <c>team,day</c>.</summary>
    public string GroupByName => string.Join(',', GroupBy.Select(a => a.Name));

    public CostAxis? TimeAxis => GroupBy.FirstOrDefault(a => a.IsTime);

    public static string NameOf(CostDimension dimension)
    {
        var name = dimension.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>
    /// Parses the query string. Defaults: the <paramref name="defaultRange"/> (7 days) before <c>to</c>, grouped by feature. <paramref name="filters"/> holds every
    /// other query parameter, with all its values: each must name a filter dimension or a tag (<c>tag:name</c>).
    /// A <c>user</c> filter names users as people know them: <paramref name="users"/> turns each into the pseudonym
    /// its calls are recorded under (a pseudonym and <see cref="Unattributed"/> are taken as they are).
    /// </summary>
    public static ValidationResult<CostQuery?> Parse(
        string? groupBy, string? from, string? to, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> filters, DateTimeOffset now,
        TimeSpan? defaultRange = null, UserPseudonymizer? users = null)
    {
        var errors = new List<ValidationError>();
        var axes = ParseGroupBy(groupBy, errors);

        // Without "to", the range runs to the end of the current hour so that what was just recorded shows.
        var toValue = ParseTime(to, "to", errors) ?? UsageRollup.HourOf(now).AddHours(1);
        var fromValue = ParseTime(from, "from", errors) ?? toValue - (defaultRange ?? TimeSpan.FromDays(7));
        var fromHour = UsageRollup.HourOf(fromValue);
        var toHour = UsageRollup.HourOf(toValue) == toValue.ToUniversalTime() ? toValue.ToUniversalTime() : UsageRollup.HourOf(toValue).AddHours(1);
        if (errors.All(e => e.Field is not ("from" or "to")))
        {
            if (fromHour >= toHour)
            {
                errors.Add(new(CostErrors.RangeInvalid, "from", "from must be earlier than to."));
            }
            else if (toHour - fromHour > MaxRange)
            {
                errors.Add(new(CostErrors.RangeTooLong, "from", $"A query may span at most {MaxRange.TotalDays} days."));
            }
        }

        var parsedFilters = new List<CostFilter>();
        foreach (var (name, values) in filters)
        {
            if (!TryParseAxis(name, out var axis) || axis.IsTime)
            {
                errors.Add(new(CostErrors.FilterInvalid, name, $"{name} is not a filter; filter by {string.Join(", ", FilterDimensions.Select(NameOf))} or tag:<name>."));
                continue;
            }

            var nonEmpty = values.Where(v => !string.IsNullOrEmpty(v))
                .Select(v => axis.Dimension == CostDimension.User ? (users ?? UserPseudonymizer.None).Lookup(v, Unattributed)! : v)
                .ToHashSet(StringComparer.Ordinal);
            if (nonEmpty.Count == 0)
            {
                continue;
            }

            parsedFilters.RemoveAll(f => f.Axis == axis);
            parsedFilters.Add(new CostFilter(axis, nonEmpty));
        }

        return errors.Count > 0
            ? new(null, errors)
            : new(new CostQuery { From = fromHour, To = toHour, GroupBy = axes, Filters = parsedFilters }, errors);
    }

    private static List<CostAxis> ParseGroupBy(string? groupBy, List<ValidationError> errors)
    {
        if (groupBy is null)
        {
            return [new CostAxis(CostDimension.Feature)];
        }

        var axes = new List<CostAxis>();
        foreach (var part in groupBy.Split(','))
        {
            if (!TryParseAxis(part, out var axis))
            {
                errors.Add(new(CostErrors.GroupByInvalid, "groupBy",
                    $"'{part}' is not a dimension: group by one or two of {string.Join(", ", Enum.GetValues<CostDimension>().Where(d => d != CostDimension.Tag).Select(NameOf))} or tag:<name>, comma-separated."));
                return axes;
            }

            axes.Add(axis);
        }

        if (axes.Count > MaxGroupBy)
        {
            errors.Add(new(CostErrors.GroupByInvalid, "groupBy", $"Group by at most {MaxGroupBy} dimensions (for example team,day)."));
        }
        else if (axes.Distinct().Count() < axes.Count)
        {
            errors.Add(new(CostErrors.GroupByInvalid, "groupBy", "Name each dimension once."));
        }
        else if (axes.Count(a => a.IsTime) > 1)
        {
            errors.Add(new(CostErrors.GroupByInvalid, "groupBy", "Group by at most one time bucket (hour, day, week or month)."));
        }

        return axes;
    }

    private static bool TryParseAxis(string text, out CostAxis axis)
    {
        axis = null!;
        if (text.StartsWith("tag:", StringComparison.Ordinal))
        {
            var name = text[4..];
            if (name.Length is 0 or > UsageEventValidator.MaxTagKeyLength || name.Any(char.IsControl))
            {
                return false;
            }

            axis = new CostAxis(CostDimension.Tag, name);
            return true;
        }

        foreach (var dimension in Enum.GetValues<CostDimension>())
        {
            if (dimension != CostDimension.Tag && NameOf(dimension).Equals(text, StringComparison.OrdinalIgnoreCase))
            {
                axis = new CostAxis(dimension);
                return true;
            }
        }

        return false;
    }

    private static DateTimeOffset? ParseTime(string? value, string field, List<ValidationError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (UsageEventValidator.TryParseRfc3339(value, out var parsed))
        {
            return parsed;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        errors.Add(new(CostErrors.TimeInvalid, field, $"{field} must be a date (2026-11-23) or an RFC 3339 time."));
        return null;
    }

    /// <summary>The value of one axis for a rollup row (a time bucket's label for a time axis).</summary>
    public static string ValueOf(CostAxis axis, UsageRollup row, IReadOnlyDictionary<string, string> costCenters) => axis.Dimension switch
    {
        CostDimension.Team => row.Team,
        CostDimension.Feature => row.Feature,
        CostDimension.Model => row.Model,
        CostDimension.User => row.User ?? Unattributed,
        CostDimension.Environment => row.Environment,
        CostDimension.App => row.App ?? Unattributed,
        CostDimension.PromptTemplate => row.PromptTemplate ?? Unattributed,
        CostDimension.CostCenter => costCenters.GetValueOrDefault(row.Team) ?? Unattributed,
        CostDimension.Provider => row.Provider ?? Unattributed,
        CostDimension.Tag => row.Tags?.GetValueOrDefault(axis.TagName!) ?? Unattributed,
        _ => BucketLabel(axis.Dimension, BucketStart(axis.Dimension, row.Hour)),
    };

    /// <summary>Start of the time bucket containing <paramref name="hour"/>: ISO weeks start on Monday, all in UTC.</summary>
    public static DateTimeOffset BucketStart(CostDimension bucket, DateTimeOffset hour)
    {
        var utc = hour.ToUniversalTime();
        return bucket switch
        {
            CostDimension.Hour => UsageRollup.HourOf(utc),
            CostDimension.Day => new DateTimeOffset(utc.Date, TimeSpan.Zero),
            CostDimension.Week => new DateTimeOffset(utc.Date.AddDays(-(((int)utc.DayOfWeek + 6) % 7)), TimeSpan.Zero),
            CostDimension.Month => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "Not a time bucket."),
        };
    }

    /// <summary>A bucket's label: <c>2026-11-23T14:00:00Z</c>, <c>2026-11-23</c>, <c>2026-W48</c> (ISO week), <c>2026-11</c>.</summary>
    public static string BucketLabel(CostDimension bucket, DateTimeOffset start) => bucket switch
    {
        CostDimension.Hour => start.UtcDateTime.ToString("yyyy-MM-dd'T'HH':00:00Z'", CultureInfo.InvariantCulture),
        CostDimension.Day => start.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        CostDimension.Week => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(start.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(start.UtcDateTime):D2}"),
        CostDimension.Month => start.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "Not a time bucket."),
    };

    /// <summary>Every bucket the range touches, in order: a time series is dense, so empty buckets show as zeros.</summary>
    public IReadOnlyList<string> Buckets(CostDimension bucket)
    {
        var labels = new List<string>();
        for (var start = BucketStart(bucket, From); start < To; start = Next(bucket, start))
        {
            labels.Add(BucketLabel(bucket, start));
        }

        return labels;

        static DateTimeOffset Next(CostDimension bucket, DateTimeOffset start) => bucket switch
        {
            CostDimension.Hour => start.AddHours(1),
            CostDimension.Day => start.AddDays(1),
            CostDimension.Week => start.AddDays(7),
            _ => start.AddMonths(1),
        };
    }

    /// <summary>Whether a row is inside the range, one of the caller's teams, and passes every filter.</summary>
    public bool Matches(UsageRollup row, IReadOnlyDictionary<string, string> costCenters)
    {
        if (row.Hour < From || row.Hour >= To || (VisibleTeams is not null && !VisibleTeams.Contains(row.Team)))
        {
            return false;
        }

        foreach (var (axis, values) in Filters)
        {
            if (!values.Contains(ValueOf(axis, row, costCenters)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Answers the query from rollup rows: every group over the whole range, ordered, before paging. Sums are exact
    /// decimals, so totals equal the ledger's. With a time bucket the series is dense: every group has every bucket.
    /// </summary>
    public CostSummary Summarize(IEnumerable<UsageRollup> rollups, IReadOnlyDictionary<string, string>? costCenters = null)
    {
        costCenters ??= new Dictionary<string, string>();
        var sums = new Dictionary<string, (string[] Keys, CostTotals Totals)>(StringComparer.Ordinal);
        var total = new CostTotals();
        foreach (var row in rollups)
        {
            if (!Matches(row, costCenters))
            {
                continue;
            }

            var keys = GroupBy.Select(a => ValueOf(a, row, costCenters)).ToArray();
            var key = string.Join('\u001f', keys);
            sums[key] = sums.TryGetValue(key, out var sum) ? (sum.Keys, sum.Totals.Add(row)) : (keys, new CostTotals().Add(row));
            total = total.Add(row);
        }

        var groups = Order(Densify(sums.Values.ToList()));
        return new CostSummary(From, To, GroupByName, total.CostUsd, total.Requests, total.UnpricedRequests,
            [.. groups.Select(g => CostGroup.Of(g.Keys, g.Totals))])
        {
            Totals = total,
        };
    }

    /// <summary>With a time axis, adds a zero group for every bucket a series (or the whole answer) lacks.</summary>
    private List<(string[] Keys, CostTotals Totals)> Densify(List<(string[] Keys, CostTotals Totals)> groups)
    {
        if (TimeAxis is not { } time)
        {
            return groups;
        }

        var timeIndex = GroupBy.ToList().IndexOf(time);
        var buckets = Buckets(time.Dimension);
        var present = groups.Select(g => string.Join('\u001f', g.Keys)).ToHashSet(StringComparer.Ordinal);
        var series = GroupBy.Count == 1
            ? [[]]
            : groups.Select(g => g.Keys[1 - timeIndex]).Distinct(StringComparer.Ordinal).Select(v => new[] { v }).ToList();
        foreach (var other in series)
        {
            foreach (var bucket in buckets)
            {
                string[] keys = GroupBy.Count == 1 ? [bucket] : timeIndex == 0 ? [bucket, other[0]] : [other[0], bucket];
                if (present.Add(string.Join('\u001f', keys)))
                {
                    groups.Add((keys, new CostTotals()));
                }
            }
        }

        return groups;
    }

    /// <summary>
    /// Time series in time order, each series kept together and series by cost (highest first); other groups by cost,
    /// then key. Paging cuts this list, so a page of a two-way time answer holds whole series.
    /// </summary>
    private List<(string[] Keys, CostTotals Totals)> Order(List<(string[] Keys, CostTotals Totals)> groups)
    {
        if (TimeAxis is not { } time)
        {
            return [.. groups.OrderByDescending(g => g.Totals.CostUsd).ThenBy(g => string.Join('\u001f', g.Keys), StringComparer.Ordinal)];
        }

        var timeIndex = GroupBy.ToList().IndexOf(time);
        if (GroupBy.Count == 1)
        {
            return [.. groups.OrderBy(g => g.Keys[0], StringComparer.Ordinal)];
        }

        var seriesCost = groups.GroupBy(g => g.Keys[1 - timeIndex], StringComparer.Ordinal)
            .ToDictionary(s => s.Key, s => s.Sum(g => g.Totals.CostUsd), StringComparer.Ordinal);
        return
        [
            .. groups.OrderByDescending(g => seriesCost[g.Keys[1 - timeIndex]])
                .ThenBy(g => g.Keys[1 - timeIndex], StringComparer.Ordinal)
                .ThenBy(g => g.Keys[timeIndex], StringComparer.Ordinal),
        ];
    }

    /// <summary>Whether answering needs the teams registry's cost centers (grouped or filtered by costCenter).</summary>
    public bool NeedsCostCenters => GroupBy.Any(a => a.Dimension == CostDimension.CostCenter) || Filters.Any(f => f.Axis.Dimension == CostDimension.CostCenter);

    /// <summary>
    /// The query as <paramref name="caller"/> may ask it: finance and admin keys see every team; an ingest key sees
    /// its own teams only, and a team filter naming any other team is refused (null, with those teams in
    /// <paramref name="foreignTeams"/>) rather than silently narrowed.
    /// </summary>
    public CostQuery? VisibleTo(Caller caller, out IReadOnlyList<string> foreignTeams)
    {
        foreignTeams = [];
        if (caller.Role != ApiRole.Ingest)
        {
            return this;
        }

        IEnumerable<string> named = Filters.FirstOrDefault(f => f.Axis.Dimension == CostDimension.Team)?.Values ?? (IEnumerable<string>)[];
        foreignTeams = [.. named.Where(t => !caller.MayReadTeam(t)).Order(StringComparer.Ordinal)];
        return foreignTeams.Count > 0 ? null : this with { VisibleTeams = caller.Teams.ToHashSet(StringComparer.Ordinal) };
    }

    /// <summary>How many groups a page of <paramref name="limit"/> holds: with two dimensions and a time bucket, whole series.</summary>
    public int GroupsPerPage(int limit) => TimeAxis is not null && GroupBy.Count == 2 ? limit * BucketCount : limit;

    /// <summary>Buckets in the answer's series (1 without a time axis), for the size check.</summary>
    public int BucketCount => TimeAxis is { } time ? Buckets(time.Dimension).Count : 1;
}

/// <summary>A filter: the rows whose value of <paramref name="Axis"/> is one of <paramref name="Values"/>.</summary>
public sealed record CostFilter(CostAxis Axis, IReadOnlySet<string> Values);

/// <summary>Running totals of rollup rows: counts, tokens and cost by kind.</summary>
public sealed record CostTotals
{
    public decimal CostUsd { get; init; }
    public long Requests { get; init; }
    public long UnpricedRequests { get; init; }
    public long FailedRequests { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public decimal UncachedInputUsd { get; init; }
    public decimal CachedInputUsd { get; init; }
    public decimal CacheWriteUsd { get; init; }
    public decimal OutputUsd { get; init; }
    public decimal ReasoningUsd { get; init; }

    /// <summary>Cost of rows written before costs were split by kind (the kinds then add up to less than the cost).</summary>
    public decimal UnsplitUsd { get; init; }

    public decimal Units { get; init; }

    public CostTotals Add(UsageRollup row) => this with
    {
        CostUsd = CostUsd + row.CostUsd,
        Requests = Requests + row.Requests,
        UnpricedRequests = UnpricedRequests + row.UnpricedRequests,
        FailedRequests = FailedRequests + row.FailedRequests,
        InputTokens = InputTokens + row.InputTokens,
        CachedInputTokens = CachedInputTokens + row.CachedInputTokens,
        CacheWriteTokens = CacheWriteTokens + row.CacheWriteTokens,
        OutputTokens = OutputTokens + row.OutputTokens,
        ReasoningTokens = ReasoningTokens + row.ReasoningTokens,
        UncachedInputUsd = UncachedInputUsd + row.UncachedInputUsd,
        CachedInputUsd = CachedInputUsd + row.CachedInputUsd,
        CacheWriteUsd = CacheWriteUsd + row.CacheWriteUsd,
        OutputUsd = OutputUsd + row.OutputUsd,
        ReasoningUsd = ReasoningUsd + row.ReasoningUsd,
        UnsplitUsd = UnsplitUsd + (row.CostSplit ? 0m : row.CostUsd),
        Units = Units + row.Units,
    };
}

/// <summary>The answer to a <see cref="CostQuery"/>: totals over every group, and one page of groups.</summary>
/// <param name="GroupBy">The dimensions, as asked: <c>team</c>, <c>team,day</c>.</param>
/// <param name="TotalCostUsd">Cost of every group (all pages).</param>
public sealed record CostSummary(
    DateTimeOffset From,
    DateTimeOffset To,
    string GroupBy,
    decimal TotalCostUsd,
    long Requests,
    long UnpricedRequests,
    IReadOnlyList<CostGroup> Groups)
{
    /// <summary>Tokens, failures and cost by kind over every group.</summary>
    public CostTotals Totals { get; init; } = new();

    /// <summary>How many groups the answer has over all pages.</summary>
    public int TotalGroups { get; init; }

    /// <summary>The next page's token; null on the last page.</summary>
    public string? Next { get; init; }
}

/// <summary>
/// One group: <see cref="Key"/> is its value (two dimensions' values joined by <c>|</c>), <see cref="Keys"/> the
/// values in the order of <c>groupBy</c>.
/// </summary>
public sealed record CostGroup(string Key, decimal CostUsd, long Requests, long InputTokens, long OutputTokens, long UnpricedRequests)
{
    public IReadOnlyList<string> Keys { get; init; } = [];
    public long CachedInputTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public long FailedRequests { get; init; }
    public decimal UncachedInputUsd { get; init; }
    public decimal CachedInputUsd { get; init; }
    public decimal CacheWriteUsd { get; init; }
    public decimal OutputUsd { get; init; }
    public decimal ReasoningUsd { get; init; }
    public decimal Units { get; init; }

    public static CostGroup Of(IReadOnlyList<string> keys, CostTotals t) =>
        new(string.Join('|', keys), t.CostUsd, t.Requests, t.InputTokens, t.OutputTokens, t.UnpricedRequests)
        {
            Keys = keys,
            CachedInputTokens = t.CachedInputTokens,
            CacheWriteTokens = t.CacheWriteTokens,
            ReasoningTokens = t.ReasoningTokens,
            FailedRequests = t.FailedRequests,
            UncachedInputUsd = t.UncachedInputUsd,
            CachedInputUsd = t.CachedInputUsd,
            CacheWriteUsd = t.CacheWriteUsd,
            OutputUsd = t.OutputUsd,
            ReasoningUsd = t.ReasoningUsd,
            Units = t.Units,
        };
}

/// <summary>Stable error codes for cost queries.</summary>
public static class CostErrors
{
    public const string GroupByInvalid = "costs_group_by_invalid";
    public const string TimeInvalid = "costs_time_invalid";
    public const string RangeInvalid = "costs_range_invalid";
    public const string RangeTooLong = "costs_range_too_long";
    public const string FilterInvalid = "costs_filter_invalid";
    public const string FormatInvalid = "costs_format_invalid";
    public const string TooManyCells = "costs_answer_too_large";
}

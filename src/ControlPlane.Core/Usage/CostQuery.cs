using ControlPlane.Validation;

namespace ControlPlane.Usage;

/// <summary>Dimensions <c>GET /api/costs</c> can group by.</summary>
public enum CostGrouping
{
    Team,
    Feature,
    Model,
    User,
    Environment,
    Day,
}

/// <summary>
/// A cost question: which hours, which filters, grouped how. Ranges are whole UTC hours because rollups are hourly;
/// <see cref="From"/> is rounded down and <see cref="To"/> rounded up, and the answer says which range it covers.
/// </summary>
public sealed record CostQuery(DateTimeOffset From, DateTimeOffset To, CostGrouping GroupBy, string? Team, string? Feature)
{
    /// <summary>Longest range one query may span, so a query cannot scan years of rollups. 400 days.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(400);

    public const string UnattributedUser = "(none)";

    /// <summary>Parses query-string values; defaults to the last 7 days grouped by feature.</summary>
    public static ValidationResult<CostQuery?> Parse(string? groupBy, string? from, string? to, string? team, string? feature, DateTimeOffset now)
    {
        var errors = new List<ValidationError>();
        var grouping = CostGrouping.Feature;
        if (groupBy is not null && !EnumNames.TryParse(groupBy, out grouping))
        {
            errors.Add(new(CostErrors.GroupByInvalid, "groupBy", $"groupBy must be exactly one of {EnumNames.Allowed<CostGrouping>()}."));
        }

        // Without "to", the range runs to the end of the current hour so that what was just recorded shows.
        var toValue = ParseTime(to, "to", errors) ?? UsageRollup.HourOf(now).AddHours(1);
        var fromValue = ParseTime(from, "from", errors) ?? toValue.AddDays(-7);
        var fromHour = UsageRollup.HourOf(fromValue);
        var toHour = UsageRollup.HourOf(toValue) == toValue.ToUniversalTime() ? toValue.ToUniversalTime() : UsageRollup.HourOf(toValue).AddHours(1);
        if (errors.Count == 0 && fromHour >= toHour)
        {
            errors.Add(new(CostErrors.RangeInvalid, "from", "from must be earlier than to."));
        }
        else if (errors.Count == 0 && toHour - fromHour > MaxRange)
        {
            errors.Add(new(CostErrors.RangeTooLong, "from", $"A query may span at most {MaxRange.TotalDays} days."));
        }

        return errors.Count > 0
            ? new(null, errors)
            : new(new CostQuery(fromHour, toHour, grouping, team, feature), errors);
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

    /// <summary>Answers the query from rollup rows. Sums are exact decimals, so totals equal the ledger's.</summary>
    public CostSummary Summarize(IEnumerable<UsageRollup> rollups)
    {
        var groups = new Dictionary<string, CostGroup>(StringComparer.Ordinal);
        foreach (var row in rollups)
        {
            if (row.Hour < From || row.Hour >= To
                || (Team is not null && row.Team != Team)
                || (Feature is not null && row.Feature != Feature))
            {
                continue;
            }

            var key = GroupBy switch
            {
                CostGrouping.Team => row.Team,
                CostGrouping.Feature => row.Feature,
                CostGrouping.Model => row.Model,
                CostGrouping.User => row.User ?? UnattributedUser,
                CostGrouping.Environment => row.Environment,
                _ => row.Hour.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            };
            groups.TryGetValue(key, out var group);
            group ??= new CostGroup(key, 0m, 0, 0, 0, 0);
            groups[key] = group with
            {
                CostUsd = group.CostUsd + row.CostUsd,
                Requests = group.Requests + row.Requests,
                InputTokens = group.InputTokens + row.InputTokens,
                OutputTokens = group.OutputTokens + row.OutputTokens,
                UnpricedRequests = group.UnpricedRequests + row.UnpricedRequests,
            };
        }

        var ordered = GroupBy == CostGrouping.Day
            ? groups.Values.OrderBy(g => g.Key, StringComparer.Ordinal).ToList()
            : groups.Values.OrderByDescending(g => g.CostUsd).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        return new CostSummary(From, To, GroupBy, ordered.Sum(g => g.CostUsd), ordered.Sum(g => g.Requests),
            ordered.Sum(g => g.UnpricedRequests), ordered);
    }
}

/// <summary>The answer to a <see cref="CostQuery"/>.</summary>
public sealed record CostSummary(
    DateTimeOffset From,
    DateTimeOffset To,
    CostGrouping GroupBy,
    decimal TotalCostUsd,
    long Requests,
    long UnpricedRequests,
    IReadOnlyList<CostGroup> Groups);

/// <summary>One group of a <see cref="CostSummary"/>.</summary>
public sealed record CostGroup(string Key, decimal CostUsd, long Requests, long InputTokens, long OutputTokens, long UnpricedRequests);

/// <summary>Stable error codes for cost queries.</summary>
public static class CostErrors
{
    public const string GroupByInvalid = "costs_group_by_invalid";
    public const string TimeInvalid = "costs_time_invalid";
    public const string RangeInvalid = "costs_range_invalid";
    public const string RangeTooLong = "costs_range_too_long";
}

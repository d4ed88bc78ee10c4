namespace ControlPlane.Usage;

/// <summary>
/// The totals of one hour for one combination of team, feature, model, user and environment. Several rows may
/// exist for the same key (one per write); readers add them up.
/// </summary>
public sealed record UsageRollup
{
    public required DateTimeOffset Hour { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public required string Model { get; init; }
    public string? User { get; init; }
    public required string Environment { get; init; }
    public long Requests { get; init; }
    public long UnpricedRequests { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public decimal CostUsd { get; init; }

    /// <summary>Start of the UTC hour containing <paramref name="timestamp"/>.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset timestamp)
    {
        var utc = timestamp.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Folds events into one rollup row per hour and dimension combination.</summary>
    public static IReadOnlyList<UsageRollup> Aggregate(IEnumerable<PricedUsageEvent> events)
    {
        var rows = new Dictionary<(DateTimeOffset, string, string, string, string?, string), UsageRollup>();
        foreach (var (e, cost) in events)
        {
            var key = (HourOf(e.Timestamp), e.Team, e.Feature, e.Model, e.User, e.Environment);
            rows.TryGetValue(key, out var row);
            row ??= new UsageRollup
            {
                Hour = key.Item1, Team = e.Team, Feature = e.Feature, Model = e.Model, User = e.User, Environment = e.Environment,
            };
            rows[key] = row with
            {
                Requests = row.Requests + 1,
                UnpricedRequests = row.UnpricedRequests + (cost.Unpriced ? 1 : 0),
                InputTokens = row.InputTokens + e.Tokens.InputTokens,
                CachedInputTokens = row.CachedInputTokens + e.Tokens.CachedInputTokens,
                OutputTokens = row.OutputTokens + e.Tokens.OutputTokens,
                ReasoningTokens = row.ReasoningTokens + e.Tokens.ReasoningTokens,
                CostUsd = row.CostUsd + cost.TotalUsd,
            };
        }

        return [.. rows.Values];
    }
}

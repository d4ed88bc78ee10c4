namespace ControlPlane.Usage;

/// <summary>
/// The totals of one hour for one combination of team, feature, model, user, environment and app — every dimension a
/// budget scope can name, so a scope's spend can be answered from rollups. Several rows may exist for the same key
/// (one per write until they are folded); readers add them up.
/// </summary>
public sealed record UsageRollup
{
    public required DateTimeOffset Hour { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public required string Model { get; init; }
    public string? User { get; init; }
    public required string Environment { get; init; }
    public string? App { get; init; }
    public long Requests { get; init; }
    public long UnpricedRequests { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public decimal CostUsd { get; init; }

    /// <summary>
    /// Units of value the calls delivered (the events' <c>units</c>), for unit economics. Left out of the stored JSON
    /// when zero, so rows of features that report no units stay as small as before (and older rows read as zero).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public decimal Units { get; init; }

    /// <summary>Start of the UTC hour containing <paramref name="timestamp"/>.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset timestamp)
    {
        var utc = timestamp.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Folds events into one rollup row per hour and dimension combination.</summary>
    public static IReadOnlyList<UsageRollup> Aggregate(IEnumerable<PricedUsageEvent> events)
    {
        var rows = new Dictionary<(DateTimeOffset, string, string, string, string?, string, string?), UsageRollup>();
        foreach (var (e, cost) in events)
        {
            var key = (HourOf(e.Timestamp), e.Team, e.Feature, e.Model, e.User, e.Environment, e.App);
            rows.TryGetValue(key, out var row);
            row ??= new UsageRollup
            {
                Hour = key.Item1, Team = e.Team, Feature = e.Feature, Model = e.Model, User = e.User, Environment = e.Environment, App = e.App,
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
                Units = row.Units + (e.Units ?? 0m),
            };
        }

        return [.. rows.Values];
    }

    /// <summary>
    /// Adds up rows of the same hour and dimensions into one row each, in a stable order (hour, then dimensions), so
    /// that folding the same rows always produces the same output. Exact: counts and decimal money are only added.
    /// </summary>
    public static IReadOnlyList<UsageRollup> Fold(IEnumerable<UsageRollup> rows)
    {
        var folded = new Dictionary<(DateTimeOffset, string, string, string, string?, string, string?), UsageRollup>();
        foreach (var row in rows)
        {
            var key = (row.Hour, row.Team, row.Feature, row.Model, row.User, row.Environment, row.App);
            folded[key] = folded.TryGetValue(key, out var sum)
                ? sum with
                {
                    Requests = sum.Requests + row.Requests,
                    UnpricedRequests = sum.UnpricedRequests + row.UnpricedRequests,
                    InputTokens = sum.InputTokens + row.InputTokens,
                    CachedInputTokens = sum.CachedInputTokens + row.CachedInputTokens,
                    OutputTokens = sum.OutputTokens + row.OutputTokens,
                    ReasoningTokens = sum.ReasoningTokens + row.ReasoningTokens,
                    CostUsd = sum.CostUsd + row.CostUsd,
                    Units = sum.Units + row.Units,
                }
                : row;
        }

        return
        [
            .. folded.Values
                .OrderBy(r => r.Hour)
                .ThenBy(r => r.Team, StringComparer.Ordinal)
                .ThenBy(r => r.Feature, StringComparer.Ordinal)
                .ThenBy(r => r.Model, StringComparer.Ordinal)
                .ThenBy(r => r.User, StringComparer.Ordinal)
                .ThenBy(r => r.Environment, StringComparer.Ordinal)
                .ThenBy(r => r.App, StringComparer.Ordinal),
        ];
    }
}

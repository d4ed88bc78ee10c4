namespace ControlPlane.Usage;

/// <summary>
/// What one session (a conversation or an agent run, the events' <c>session</c>) of one team's feature did in one
/// UTC hour: its calls, tokens, cost and units, and how often each <c>requestHash</c> came back. Several rows may
/// exist for the same key (one per write); <see cref="Merge"/> adds them up. The session rules read these: calls per
/// session, and the same request repeated within a session (an agent loop's signature).
/// </summary>
public sealed record SessionUsage
{
    public required DateTimeOffset Hour { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public required string Session { get; init; }

    /// <summary>The session's user when its calls name one (the smallest, ordinally, if they name several).</summary>
    public string? User { get; init; }

    public long Calls { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public decimal CostUsd { get; init; }
    public decimal Units { get; init; }

    /// <summary>Calls per request hash (only calls that carried one).</summary>
    public IReadOnlyDictionary<string, long> RequestHashes { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>The hash repeated most often (the ordinally smallest among equals), or null when no call carried one.</summary>
    public (string Hash, long Count)? MostRepeated() =>
        RequestHashes.Count == 0
            ? null
            : RequestHashes.OrderByDescending(h => h.Value).ThenBy(h => h.Key, StringComparer.Ordinal).Select(h => (h.Key, h.Value)).First();

    /// <summary>One row per hour, team, feature and session for the events that name a session; events without one are not counted.</summary>
    public static IReadOnlyList<SessionUsage> Aggregate(IEnumerable<PricedUsageEvent> events) =>
        Merge(events.Where(p => p.Event.Session is not null).Select(p => new SessionUsage
        {
            Hour = UsageRollup.HourOf(p.Event.Timestamp),
            Team = p.Event.Team,
            Feature = p.Event.Feature,
            Session = p.Event.Session!,
            User = p.Event.User,
            Calls = 1,
            InputTokens = p.Event.Tokens.InputTokens,
            OutputTokens = p.Event.Tokens.OutputTokens,
            CostUsd = p.Cost.TotalUsd,
            Units = p.Event.Units ?? 0m,
            RequestHashes = p.Event.RequestHash is { } hash
                ? new Dictionary<string, long>(StringComparer.Ordinal) { [hash] = 1 }
                : new Dictionary<string, long>(StringComparer.Ordinal),
        }), byHour: true);

    /// <summary>
    /// Adds rows up per team, feature and session — per hour too when <paramref name="byHour"/>, else over the whole
    /// range (the result's <see cref="Hour"/> is then the session's first hour). Stable order, exact sums.
    /// </summary>
    public static IReadOnlyList<SessionUsage> Merge(IEnumerable<SessionUsage> rows, bool byHour = false)
    {
        var merged = new Dictionary<(DateTimeOffset, string, string, string), (SessionUsage Row, Dictionary<string, long> Hashes)>();
        foreach (var row in rows)
        {
            var key = (byHour ? row.Hour : DateTimeOffset.MinValue, row.Team, row.Feature, row.Session);
            if (!merged.TryGetValue(key, out var sum))
            {
                merged[key] = (row, new Dictionary<string, long>(row.RequestHashes, StringComparer.Ordinal));
                continue;
            }

            foreach (var (hash, count) in row.RequestHashes)
            {
                sum.Hashes[hash] = sum.Hashes.GetValueOrDefault(hash) + count;
            }

            merged[key] = (sum.Row with
            {
                Hour = row.Hour < sum.Row.Hour ? row.Hour : sum.Row.Hour,
                User = sum.Row.User is null || (row.User is not null && string.CompareOrdinal(row.User, sum.Row.User) < 0) ? row.User ?? sum.Row.User : sum.Row.User,
                Calls = sum.Row.Calls + row.Calls,
                InputTokens = sum.Row.InputTokens + row.InputTokens,
                OutputTokens = sum.Row.OutputTokens + row.OutputTokens,
                CostUsd = sum.Row.CostUsd + row.CostUsd,
                Units = sum.Row.Units + row.Units,
            }, sum.Hashes);
        }

        return
        [
            .. merged.Values
                .Select(m => m.Row with { RequestHashes = m.Hashes })
                .OrderBy(r => r.Hour)
                .ThenBy(r => r.Team, StringComparer.Ordinal)
                .ThenBy(r => r.Feature, StringComparer.Ordinal)
                .ThenBy(r => r.Session, StringComparer.Ordinal),
        ];
    }
}

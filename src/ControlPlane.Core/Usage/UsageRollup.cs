using System.Text.Json.Serialization;

namespace ControlPlane.Usage;

/// <summary>
/// The totals of one hour for one combination of team, feature, model, user, environment and app — every dimension a
/// budget scope can name, so a scope's spend can be answered from rollups — and of provider and batch pricing, which
/// reports and FOCUS files need. Several rows may exist for the same key (one per write until they are folded);
/// readers add them up. Fields added later are left out of the stored JSON when zero, so older rows read as zero.
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

    /// <summary>The prompt template the calls named (<c>promptTemplate</c>), for cost per template.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public string? PromptTemplate { get; init; }

    /// <summary>
    /// The calls' tags, so costs can be grouped and filtered by any tag. Every distinct set of tags is its own row:
    /// a tag whose value changes per call (a request id) makes a row per call — such values belong in the event,
    /// not in its tags.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>The provider that billed the calls (null when the events named none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public string? Provider { get; init; }

    /// <summary>Calls recorded at batch prices (by the nightly batch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Batch { get; init; }

    public long Requests { get; init; }
    public long UnpricedRequests { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long CacheWriteTokens { get; init; }

    /// <summary>Calls whose status said they failed (<see cref="UsageStatus.IsFailure"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long FailedRequests { get; init; }

    public decimal CostUsd { get; init; }

    /// <summary>
    /// <see cref="CostUsd"/> split by token kind, as each call was priced: the five add up to it exactly. A row
    /// written before the split was kept has them all zero (<see cref="CostSplit"/> is false).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public decimal UncachedInputUsd { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public decimal CachedInputUsd { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public decimal CacheWriteUsd { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public decimal OutputUsd { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public decimal ReasoningUsd { get; init; }

    /// <summary>Whether the per-kind costs account for the whole cost.</summary>
    [JsonIgnore]
    public bool CostSplit => UncachedInputUsd + CachedInputUsd + CacheWriteUsd + OutputUsd + ReasoningUsd == CostUsd;

    /// <summary>
    /// Units of value the calls delivered (the events' <c>units</c>), for unit economics. Left out of the stored JSON
    /// when zero, so rows of features that report no units stay as small as before (and older rows read as zero).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
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
        var rows = new Dictionary<RollupKey, UsageRollup>();
        foreach (var (e, cost) in events)
        {
            var key = new RollupKey(HourOf(e.Timestamp), e.Team, e.Feature, e.Model, e.User, e.Environment, e.App, e.Provider, e.Batch,
                e.PromptTemplate, TagsKey(e.Tags));
            rows.TryGetValue(key, out var row);
            row ??= new UsageRollup
            {
                Hour = key.Hour, Team = e.Team, Feature = e.Feature, Model = e.Model, User = e.User, Environment = e.Environment, App = e.App,
                Provider = e.Provider, Batch = e.Batch, PromptTemplate = e.PromptTemplate, Tags = e.Tags is { Count: > 0 } tags ? new SortedDictionary<string, string>(tags.ToDictionary(), StringComparer.Ordinal) : null,
            };
            rows[key] = row with
            {
                Requests = row.Requests + 1,
                UnpricedRequests = row.UnpricedRequests + (cost.Unpriced ? 1 : 0),
                FailedRequests = row.FailedRequests + (UsageStatus.IsFailure(e.Status) ? 1 : 0),
                InputTokens = row.InputTokens + e.Tokens.InputTokens,
                CachedInputTokens = row.CachedInputTokens + e.Tokens.CachedInputTokens,
                CacheWriteTokens = row.CacheWriteTokens + e.Tokens.CacheWriteTokens,
                OutputTokens = row.OutputTokens + e.Tokens.OutputTokens,
                ReasoningTokens = row.ReasoningTokens + e.Tokens.ReasoningTokens,
                CostUsd = row.CostUsd + cost.TotalUsd,
                UncachedInputUsd = row.UncachedInputUsd + cost.UncachedInputUsd,
                CachedInputUsd = row.CachedInputUsd + cost.CachedInputUsd,
                CacheWriteUsd = row.CacheWriteUsd + cost.CacheWriteUsd,
                OutputUsd = row.OutputUsd + cost.OutputUsd,
                ReasoningUsd = row.ReasoningUsd + cost.ReasoningUsd,
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
        var folded = new Dictionary<RollupKey, UsageRollup>();
        foreach (var row in rows)
        {
            var key = new RollupKey(row.Hour, row.Team, row.Feature, row.Model, row.User, row.Environment, row.App, row.Provider, row.Batch,
                row.PromptTemplate, TagsKey(row.Tags));
            folded[key] = folded.TryGetValue(key, out var sum)
                ? sum with
                {
                    Requests = sum.Requests + row.Requests,
                    UnpricedRequests = sum.UnpricedRequests + row.UnpricedRequests,
                    FailedRequests = sum.FailedRequests + row.FailedRequests,
                    InputTokens = sum.InputTokens + row.InputTokens,
                    CachedInputTokens = sum.CachedInputTokens + row.CachedInputTokens,
                    CacheWriteTokens = sum.CacheWriteTokens + row.CacheWriteTokens,
                    OutputTokens = sum.OutputTokens + row.OutputTokens,
                    ReasoningTokens = sum.ReasoningTokens + row.ReasoningTokens,
                    CostUsd = sum.CostUsd + row.CostUsd,
                    UncachedInputUsd = sum.UncachedInputUsd + row.UncachedInputUsd,
                    CachedInputUsd = sum.CachedInputUsd + row.CachedInputUsd,
                    CacheWriteUsd = sum.CacheWriteUsd + row.CacheWriteUsd,
                    OutputUsd = sum.OutputUsd + row.OutputUsd,
                    ReasoningUsd = sum.ReasoningUsd + row.ReasoningUsd,
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
                .ThenBy(r => r.App, StringComparer.Ordinal)
                .ThenBy(r => r.Provider, StringComparer.Ordinal)
                .ThenBy(r => r.Batch)
                .ThenBy(r => r.PromptTemplate, StringComparer.Ordinal)
                .ThenBy(r => TagsKey(r.Tags), StringComparer.Ordinal),
        ];
    }

    /// <summary>The tags as one comparable string (ordered by name; separators no tag may contain), or null without tags.</summary>
    private static string? TagsKey(IReadOnlyDictionary<string, string>? tags) =>
        tags is not { Count: > 0 }
            ? null
            : string.Join('\u001e', tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + '\u001f' + t.Value));

    /// <summary>What makes two rows the same group: the hour and every dimension.</summary>
    private readonly record struct RollupKey(
        DateTimeOffset Hour, string Team, string Feature, string Model, string? User, string Environment, string? App, string? Provider, bool Batch,
        string? PromptTemplate, string? Tags);
}

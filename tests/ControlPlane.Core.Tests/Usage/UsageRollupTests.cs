using System.Text.Json;
using ControlPlane.Pricing;

namespace ControlPlane.Usage;

/// <summary>Rollups keep what reports need: cost split by token kind, provider, batch, failures, units — and still add up.</summary>
public sealed class UsageRollupTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 10, 15, 0, TimeSpan.Zero);
    private static readonly PriceSheet Prices = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static PricedUsageEvent Call(string id, string provider, string model, UsageTokens tokens, bool batch = false, string? status = null, decimal? units = null)
    {
        var e = new UsageEvent
        {
            Id = id, Timestamp = At, Team = "search", Feature = "answers", Model = model, Provider = provider, Tokens = tokens, Batch = batch, Status = status, Units = units,
        };
        return new PricedUsageEvent(e, UsageCost.From(Prices.Price(e.PricingContext, tokens)));
    }

    [Fact]
    public void Aggregate_SplitsCostByTokenKind_AndKeepsProviderAndBatchApart()
    {
        PricedUsageEvent[] calls =
        [
            Call("1", "anthropic", "claude-sonnet-4-5", new(30_000, 10_000, 5_000, 2_000, 0), status: "200", units: 2),
            Call("2", "anthropic", "claude-sonnet-4-5", new(1_000, 0, 0, 500, 0), status: "content_filter"),
            Call("3", "azure-openai", "gpt-4o-mini", new(1_000_000, 0, 0, 1_000_000, 0), batch: true),
            Call("4", "azure-openai", "gpt-4o-mini", new(1_000_000, 0, 0, 1_000_000, 0)),
        ];

        var rows = UsageRollup.Aggregate(calls);

        Assert.Equal(3, rows.Count);
        var claude = rows.Single(r => r.Provider == "anthropic");
        Assert.Equal((2, 1, 5_000L, 2m), (claude.Requests, claude.FailedRequests, claude.CacheWriteTokens, claude.Units));
        Assert.True(claude.CostSplit);
        Assert.Equal(calls[0].Cost.CacheWriteUsd, claude.CacheWriteUsd);
        Assert.Equal(calls[0].Cost.CachedInputUsd, claude.CachedInputUsd);
        var batch = rows.Single(r => r.Batch);
        Assert.Equal(calls[2].Cost.TotalUsd, batch.CostUsd);
        Assert.Equal(calls.Sum(c => c.Cost.TotalUsd), rows.Sum(r => r.CostUsd));
        Assert.All(rows, r => Assert.True(r.CostSplit));
    }

    [Fact]
    public void Fold_OfRowsWrittenOneByOne_EqualsAggregateOfThemAll()
    {
        PricedUsageEvent[] calls =
        [
            Call("1", "anthropic", "claude-sonnet-4-5", new(30_000, 10_000, 5_000, 2_000, 0), status: "error", units: 1.5m),
            Call("2", "anthropic", "claude-sonnet-4-5", new(1_000, 0, 0, 500, 0)),
            Call("3", "openai", "o4-mini", new(5_000, 0, 0, 6_000, 4_000)),
        ];

        var folded = UsageRollup.Fold(calls.SelectMany(c => UsageRollup.Aggregate([c])));

        Assert.Equal(UsageRollup.Aggregate(calls).OrderBy(r => r.Provider), folded.OrderBy(r => r.Provider));
    }

    [Fact]
    public void StoredJson_OfARowWrittenBeforeTheSplit_ReadsAsUnsplit_AndNewFieldsAreOmittedWhenZero()
    {
        var legacy = JsonSerializer.Deserialize<UsageRollup>("""
            {"hour":"2026-11-01T10:00:00+00:00","team":"search","feature":"answers","model":"gpt-4o","environment":"prod","requests":2,"inputTokens":10,"outputTokens":5,"costUsd":0.000075}
            """, Web)!;
        var plain = new UsageRollup { Hour = At, Team = "t", Feature = "f", Model = "m", Environment = "prod", Requests = 1 };

        Assert.False(legacy.CostSplit);
        Assert.Equal((null, false, 0L), (legacy.Provider, legacy.Batch, legacy.FailedRequests));
        var json = JsonSerializer.Serialize(plain, Web);
        Assert.DoesNotContain("provider", json, StringComparison.Ordinal);
        Assert.DoesNotContain("uncachedInputUsd", json, StringComparison.Ordinal);
        Assert.DoesNotContain("costSplit", json, StringComparison.Ordinal);
    }
}

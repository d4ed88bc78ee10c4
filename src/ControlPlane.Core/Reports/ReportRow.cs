using ControlPlane.Pricing;

namespace ControlPlane.Reports;

/// <summary>
/// One hour of one attribution (team, feature, model and provider, environment, app, user, batch or not) with its
/// counts and its cost split by token kind: what reports read, built from the usage rollups. Adding rows never loses
/// a cent (every figure is a sum), so a report's totals equal the ledger's.
/// </summary>
public sealed record ReportRow
{
    public required DateTimeOffset Hour { get; init; }
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public required string Model { get; init; }
    public string? Provider { get; init; }
    public required string Environment { get; init; }
    public string? App { get; init; }
    public string? User { get; init; }

    /// <summary>Recorded by the nightly batch at batch prices.</summary>
    public bool Batch { get; init; }

    public long Requests { get; init; }
    public long UnpricedRequests { get; init; }

    /// <summary>Calls whose <c>status</c> said they failed (see <see cref="Usage.UsageStatus"/>).</summary>
    public long FailedRequests { get; init; }

    /// <summary>Token counts partitioned as <see cref="UsageTokens"/>: input includes cached and cache-write, output includes reasoning.</summary>
    public UsageTokens Tokens { get; init; }

    public decimal CostUsd { get; init; }
    public decimal UncachedInputUsd { get; init; }
    public decimal CachedInputUsd { get; init; }
    public decimal CacheWriteUsd { get; init; }
    public decimal OutputUsd { get; init; }
    public decimal ReasoningUsd { get; init; }

    /// <summary>Units of value delivered (resolved tickets, summaries), as the calls reported them.</summary>
    public decimal Units { get; init; }

    /// <summary>A GPU pool's running cost (recorded by the capacity functions under model <c>gpu:{pool}</c>), not tokens.</summary>
    public bool IsGpu => Model.StartsWith("gpu:", StringComparison.Ordinal);
}

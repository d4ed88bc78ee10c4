using ControlPlane.Usage;

namespace ControlPlane.Reports;

/// <summary>Report rows from usage rollups: the same sums under the report's names.</summary>
public static class ReportRows
{
    public static ReportRow From(UsageRollup r) => new()
    {
        Hour = r.Hour,
        Team = r.Team,
        Feature = r.Feature,
        Model = r.Model,
        Environment = r.Environment,
        App = r.App,
        User = r.User,
        Provider = r.Provider,
        Batch = r.Batch,
        Requests = r.Requests,
        UnpricedRequests = r.UnpricedRequests,
        FailedRequests = r.FailedRequests,
        Tokens = new(r.InputTokens, r.CachedInputTokens, r.CacheWriteTokens, r.OutputTokens, r.ReasoningTokens),
        CostUsd = r.CostUsd,
        UncachedInputUsd = r.UncachedInputUsd,
        CachedInputUsd = r.CachedInputUsd,
        CacheWriteUsd = r.CacheWriteUsd,
        OutputUsd = r.OutputUsd,
        ReasoningUsd = r.ReasoningUsd,
        Units = r.Units,
    };
}

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
        Requests = r.Requests,
        UnpricedRequests = r.UnpricedRequests,
        Tokens = new(r.InputTokens, r.CachedInputTokens, 0, r.OutputTokens, r.ReasoningTokens),
        CostUsd = r.CostUsd,
    };
}

namespace ControlPlane.Client.Api;

/// <summary><c>GET /api/costs</c> answer.</summary>
public sealed record CostSummary(DateTimeOffset From, DateTimeOffset To, string GroupBy, decimal TotalCostUsd, long Requests, long UnpricedRequests, IReadOnlyList<CostGroup> Groups);

namespace ControlPlane.Client.Api;

/// <summary>One group of a <see cref="CostSummary"/>.</summary>
public sealed record CostGroup(string Key, decimal CostUsd, long Requests, long InputTokens, long OutputTokens, long UnpricedRequests);

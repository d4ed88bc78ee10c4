namespace ControlPlane.Client.Api;

/// <summary>What happened to one posted event: <c>status</c> <c>recorded</c> or <c>duplicate</c>; <c>reservation</c>
/// <c>settled</c>, or why not.</summary>
public sealed record IngestedEvent(string Id, string Status, decimal CostUsd, bool Unpriced, bool? CeilingBreach = null, string? Reservation = null, bool? Late = null);

namespace ControlPlane.Functions.Health;

/// <summary>
/// <c>healthy</c>, <c>degraded</c> (storage answers now, but calls failed or missed their deadline within the window:
/// requests may have been answered 503 or authorizations decided without storage) or <c>unhealthy</c>.
/// </summary>
/// <param name="Storage"><c>ok</c>, <c>recovering</c> or <c>unreachable</c>.</param>
public sealed record HealthResponse(string Status, string Storage, RecentStorageFailures RecentFailures);

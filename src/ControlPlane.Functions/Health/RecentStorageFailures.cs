namespace ControlPlane.Functions.Health;

/// <summary>Storage calls of this instance that failed within <paramref name="Window"/>.</summary>
/// <param name="DeadlinesMissed">Calls abandoned at their request's deadline (authorize 2 s, ingest 10 s by default).</param>
/// <param name="Outages">Calls that failed as an outage does: no answer, 408 or 5xx after the SDK's retries.</param>
/// <param name="LastFailureAt">When the last of them failed.</param>
public sealed record RecentStorageFailures(int DeadlinesMissed, int Outages, DateTimeOffset? LastFailureAt, TimeSpan Window);

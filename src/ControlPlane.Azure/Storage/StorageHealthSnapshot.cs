namespace ControlPlane.Azure.Storage;

/// <summary>Storage failures seen in a recent window: calls that missed their deadline, calls that failed as an outage.</summary>
public sealed record StorageHealthSnapshot(int DeadlinesMissed, int Outages, DateTimeOffset? LastFailureAt);

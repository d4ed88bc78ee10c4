using System.Collections.Concurrent;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// What storage calls have been going through lately, for the health endpoint: a probe that answers now says little
/// about the requests that just waited out their deadlines. Every storage client of the app reports here (through
/// <see cref="StorageDeadlinePolicy"/>): calls that missed their deadline, and calls that failed as an outage does
/// (no answer, 408, 5xx).
/// </summary>
public sealed class StorageHealth(TimeProvider time)
{
    /// <summary>Failures remembered at most; enough to count a minute of a busy outage without growing unbounded.</summary>
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentQueue<(DateTimeOffset At, bool DeadlineMissed)> _failures = new();

    /// <summary>A call gave up at its request's deadline.</summary>
    public void RecordDeadlineMissed() => Record(deadlineMissed: true);

    /// <summary>A call failed the way an outage fails (after the SDK's retries).</summary>
    public void RecordOutage() => Record(deadlineMissed: false);

    /// <summary>Failures within <paramref name="window"/> of now.</summary>
    public StorageHealthSnapshot Recent(TimeSpan window)
    {
        var since = time.GetUtcNow() - window;
        while (_failures.TryPeek(out var oldest) && oldest.At < since)
        {
            _failures.TryDequeue(out _);
        }

        var recent = _failures.ToArray();
        return new StorageHealthSnapshot(
            recent.Count(f => f.DeadlineMissed),
            recent.Count(f => !f.DeadlineMissed),
            recent.Length == 0 ? null : recent.Max(f => f.At));
    }

    private void Record(bool deadlineMissed)
    {
        _failures.Enqueue((time.GetUtcNow(), deadlineMissed));
        if (_failures.Count > MaxRemembered)
        {
            _failures.TryDequeue(out _);
        }
    }
}

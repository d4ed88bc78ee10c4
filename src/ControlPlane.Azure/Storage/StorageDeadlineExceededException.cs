namespace ControlPlane.Azure.Storage;

/// <summary>
/// Storage did not answer before the request's <see cref="StorageDeadline"/>. A <see cref="TimeoutException"/>, so
/// everything that recognises a storage outage (503 <c>storage_unavailable</c>, fail-closed budgets) treats it as one.
/// Whatever the abandoned call was writing may still land when storage comes back: every write is idempotent, so a
/// retry with the same ids finishes the work without doubling it.
/// </summary>
public sealed class StorageDeadlineExceededException : TimeoutException
{
    public StorageDeadlineExceededException()
        : this(TimeSpan.Zero)
    {
    }

    public StorageDeadlineExceededException(string message)
        : base(message)
    {
    }

    public StorageDeadlineExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StorageDeadlineExceededException(TimeSpan limit)
        : base($"Storage did not answer within the request's deadline ({limit.TotalSeconds:0.###} s).")
    {
        Limit = limit;
    }

    /// <summary>The deadline that passed.</summary>
    public TimeSpan Limit { get; }
}

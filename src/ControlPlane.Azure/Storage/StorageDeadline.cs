namespace ControlPlane.Azure.Storage;

/// <summary>
/// How long the request being served may still wait on storage. An HTTP request begins one (authorize about 2 s,
/// ingest about 10 s) and every storage call made on its behalf, retries and backoff included, gives up when it
/// ends, with a <see cref="StorageDeadlineExceededException"/> that the API answers as 503 <c>storage_unavailable</c>
/// (or, for authorize, as each budget's fail-closed or fail-open decision). Without one, a storage account that stops
/// answering (a network partition looks like that) holds the caller for the SDK's network timeout times its retries:
/// minutes, while an app waits in front of its LLM call.
/// <para>
/// The deadline flows with the async context, so it reaches the storage clients without a parameter on every store
/// method. Work that outlives the request (a background loop the request happened to start) must not inherit a limit
/// meant for it: a deadline applies only until <see cref="Dispose"/>, when the request is done.
/// </para>
/// <para>
/// It is measured on the machine's monotonic clock, not the app's <see cref="TimeProvider"/>: it bounds how long a
/// caller really waits, while the app's clock is the business clock that tests move by hand.
/// </para>
/// </summary>
public sealed class StorageDeadline : IDisposable
{
    private static readonly AsyncLocal<StorageDeadline?> Ambient = new();
    private readonly StorageDeadline? _outer;
    private readonly long _endsAt;
    private volatile bool _ended;

    private StorageDeadline(TimeSpan limit, StorageDeadline? outer)
    {
        Limit = limit;
        _outer = outer;
        _endsAt = TimeProvider.System.GetTimestamp() + (long)(limit.TotalSeconds * TimeProvider.System.TimestampFrequency);
    }

    /// <summary>The limit this deadline was begun with.</summary>
    public TimeSpan Limit { get; }

    /// <summary>
    /// Starts a deadline <paramref name="limit"/> from now for the storage calls made from here on in this async flow.
    /// An inner deadline never extends an outer one.
    /// </summary>
    public static StorageDeadline Begin(TimeSpan limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        var deadline = new StorageDeadline(limit, Ambient.Value);
        Ambient.Value = deadline;
        return deadline;
    }

    /// <summary>The deadline in force here, or null when storage calls may take as long as the SDK allows.</summary>
    public static StorageDeadline? Current
    {
        get
        {
            for (var deadline = Ambient.Value; deadline is not null; deadline = deadline._outer)
            {
                if (!deadline._ended)
                {
                    return deadline;
                }
            }

            return null;
        }
    }

    /// <summary>Time left before this deadline and every outer one; zero or less once any has passed.</summary>
    public TimeSpan Remaining
    {
        get
        {
            var now = TimeProvider.System.GetTimestamp();
            var remaining = TimeSpan.FromSeconds((double)(_endsAt - now) / TimeProvider.System.TimestampFrequency);
            return _outer is { _ended: false } outer && outer.Remaining < remaining ? outer.Remaining : remaining;
        }
    }

    public void Dispose()
    {
        _ended = true;
        if (ReferenceEquals(Ambient.Value, this))
        {
            Ambient.Value = _outer;
        }
    }
}

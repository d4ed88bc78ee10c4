using System.Collections.Concurrent;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Named storage resources (tables, queues, containers) created once, on first use, so a fresh account (or a fresh
/// Azurite) needs no setup step. A failed creation (storage briefly down) is forgotten, so it does not poison the
/// name for the life of the process.
/// </summary>
internal sealed class CreatedOnce<T>(Func<string, Task<T>> create)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<T>>> _created = new(StringComparer.Ordinal);

    public Task<T> GetAsync(string name, CancellationToken cancellationToken)
    {
        var lazy = _created.GetOrAdd(name, n => new Lazy<Task<T>>(() => create(n)));
        var task = lazy.Value;
        if (task.IsFaulted)
        {
            _created.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(name, lazy));
        }

        return task.WaitAsync(cancellationToken);
    }
}

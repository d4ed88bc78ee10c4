namespace ControlPlane.Paging;

/// <summary>
/// One page of a list: at most <paramref name="Limit"/> items after the position <paramref name="After"/> (null: from
/// the start). The position is the store's own cursor (the last key returned), opaque to everyone else.
/// </summary>
public sealed record PageRequest(int Limit, IReadOnlyList<string>? After = null)
{
    /// <summary>Items per page when the caller does not say. 100.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Most items one page may hold. 1,000, as one Azure Tables query page.</summary>
    public const int MaxLimit = 1000;

    /// <summary>
    /// This page of a list already in memory, in the ordinal order of <paramref name="keyOf"/> (which must be unique):
    /// for lists that are small and loaded whole anyway (the price sheet, kill switches).
    /// </summary>
    public ListPage<T> Slice<T>(IEnumerable<T> all, Func<T, string> keyOf)
    {
        var after = After is [var key] ? key : null;
        var ordered = all
            .Select(item => (Key: keyOf(item), Item: item))
            .Where(p => after is null || string.CompareOrdinal(p.Key, after) > 0)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Take(Limit + 1)
            .ToList();
        return ordered.Count > Limit
            ? new ListPage<T>([.. ordered.Take(Limit).Select(p => p.Item)], [ordered[Limit - 1].Key])
            : new ListPage<T>([.. ordered.Select(p => p.Item)], null);
    }
}

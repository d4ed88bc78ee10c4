namespace ControlPlane.Paging;

/// <summary>Walks a paged list to its end, for the few readers that need all of a small list (the registry, open findings).</summary>
public static class Pages
{
    /// <summary>Every item of the list, reading it a page of <see cref="PageRequest.MaxLimit"/> at a time.</summary>
    public static async Task<List<T>> AllAsync<T>(Func<PageRequest, CancellationToken, Task<ListPage<T>>> list, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        var page = new PageRequest(PageRequest.MaxLimit);
        while (true)
        {
            var listed = await list(page, cancellationToken).ConfigureAwait(false);
            all.AddRange(listed.Items);
            if (listed.Next is null)
            {
                return all;
            }

            page = page with { After = listed.Next };
        }
    }
}

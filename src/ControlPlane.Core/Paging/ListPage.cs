namespace ControlPlane.Paging;

/// <summary>
/// Items of one page in the list's stable order, and where the next page starts (null on the last page). A page
/// is never longer than asked, and holds fewer items only when it is the last.
/// </summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, IReadOnlyList<string>? Next);

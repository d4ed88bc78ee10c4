namespace ControlPlane.Paging;

public sealed class PageRequestTests
{
    [Fact]
    public void Slice_WalkedToTheEnd_EveryItemOnceInKeyOrderAndNoNextOnTheLastPage()
    {
        var items = new[] { "d", "a", "c", "e", "b" };
        var seen = new List<string>();
        var page = new PageRequest(2).Slice(items, i => i);
        var pages = 1;
        seen.AddRange(page.Items);
        while (page.Next is { } next)
        {
            page = new PageRequest(2, next).Slice(items, i => i);
            seen.AddRange(page.Items);
            pages++;
        }

        Assert.Equal(["a", "b", "c", "d", "e"], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public void Slice_ExactlyFullLastPage_HasNoNext()
    {
        var page = new PageRequest(2, ["a"]).Slice(["a", "b", "c"], i => i);

        Assert.Equal(["b", "c"], page.Items);
        Assert.Null(page.Next);
    }
}

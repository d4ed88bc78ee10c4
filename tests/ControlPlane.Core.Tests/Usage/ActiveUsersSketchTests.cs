using FsCheck;
using FsCheck.Xunit;

namespace ControlPlane.Usage;

public sealed class ActiveUsersSketchTests
{
    /// <summary>Users u{from}…u{from+count-1}: ranges overlap, so unions and duplicates are easy to state.</summary>
    private static ActiveUsersSketch Users(int from, int count)
    {
        var sketch = new ActiveUsersSketch();
        for (var i = from; i < from + count; i++)
        {
            sketch.Add("user-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return sketch;
    }

    // Sizes span both modes: up to 3× the sparse limit.
    private static int Size(NonNegativeInt n) => n.Get * 61 % (3 * ActiveUsersSketch.SparseLimit);

    [Property]
    public bool Merge_AnyTwo_IsCommutative(NonNegativeInt a, NonNegativeInt na, NonNegativeInt b, NonNegativeInt nb)
    {
        var ab = Users(a.Get, Size(na)).Merge(Users(b.Get, Size(nb)));
        var ba = Users(b.Get, Size(nb)).Merge(Users(a.Get, Size(na)));
        return ab.ToBytes().AsSpan().SequenceEqual(ba.ToBytes()) && ab.Count() == ba.Count();
    }

    [Property]
    public bool Merge_AnyThree_IsAssociative(NonNegativeInt a, NonNegativeInt na, NonNegativeInt b, NonNegativeInt nb, NonNegativeInt c, NonNegativeInt nc)
    {
        var left = Users(a.Get, Size(na)).Merge(Users(b.Get, Size(nb))).Merge(Users(c.Get, Size(nc)));
        var right = Users(a.Get, Size(na)).Merge(Users(b.Get, Size(nb)).Merge(Users(c.Get, Size(nc))));
        return left.ToBytes().AsSpan().SequenceEqual(right.ToBytes());
    }

    [Property]
    public bool Merge_WithItself_ChangesNothing(NonNegativeInt a, NonNegativeInt na)
    {
        var sketch = Users(a.Get, Size(na));
        var before = sketch.ToBytes();
        return sketch.Merge(sketch.Clone()).ToBytes().AsSpan().SequenceEqual(before);
    }

    [Property]
    public bool Count_UpToTheSparseLimit_IsExact(NonNegativeInt a, NonNegativeInt na, NonNegativeInt b, NonNegativeInt nb)
    {
        // Two overlapping ranges whose union stays within the limit: the count is the union's size exactly.
        var (sizeA, sizeB) = (na.Get % 1200, nb.Get % 800);
        var union = Enumerable.Range(a.Get % 1000, sizeA).Union(Enumerable.Range(b.Get % 1000, sizeB)).Count();
        var sketch = Users(a.Get % 1000, sizeA).Merge(Users(b.Get % 1000, sizeB));
        return sketch.IsExact && sketch.Count() == union;
    }

    [Property]
    public bool ToBytes_RoundTrips(NonNegativeInt a, NonNegativeInt na)
    {
        var sketch = Users(a.Get, Size(na));
        var copy = ActiveUsersSketch.FromBytes(sketch.ToBytes());
        return copy.ToBytes().AsSpan().SequenceEqual(sketch.ToBytes()) && copy.Count() == sketch.Count();
    }

    [Fact]
    public void Add_SameUserManyTimes_CountsOnce()
    {
        var sketch = new ActiveUsersSketch();
        for (var i = 0; i < 1000; i++)
        {
            sketch.Add("alice");
        }

        sketch.Add("Alice");

        Assert.Equal(2, sketch.Count());
    }

    [Fact]
    public void Add_OnePastTheSparseLimit_SwitchesToRegistersAndStaysClose()
    {
        var at = Users(0, ActiveUsersSketch.SparseLimit);
        var past = Users(0, ActiveUsersSketch.SparseLimit + 1);

        Assert.True(at.IsExact);
        Assert.Equal(ActiveUsersSketch.SparseLimit, at.Count());
        Assert.False(past.IsExact);
        Assert.InRange(past.Count(), (ActiveUsersSketch.SparseLimit + 1) * 0.98, (ActiveUsersSketch.SparseLimit + 1) * 1.02);
    }

    [Fact]
    public void Count_AMillionUsers_IsWithinTwoPercent()
    {
        // Deterministic: the hash is fixed, so this is one exact number, not a flaky sample.
        var sketch = Users(0, 1_000_000);

        var error = Math.Abs(sketch.Count() - 1_000_000) / 1_000_000.0;

        Assert.True(error < 0.02, $"Estimated {sketch.Count()} for 1,000,000 users ({error:P2}).");
    }

    [Fact]
    public void Merge_DaysIntoAWeek_CountsEachUserOnce()
    {
        // 7 days of 300,000 users each, sliding by 100,000: 900,000 distinct over the week.
        var week = new ActiveUsersSketch();
        for (var day = 0; day < 7; day++)
        {
            week.Merge(Users(day * 100_000, 300_000));
        }

        Assert.InRange(week.Count(), 900_000 * 0.98, 900_000 * 1.02);
    }

    [Fact]
    public void FromBytes_Garbage_Throws()
    {
        Assert.Throws<FormatException>(() => ActiveUsersSketch.FromBytes([9, 1, 2]));
        Assert.Throws<FormatException>(() => ActiveUsersSketch.FromBytes([1, 5, 0, 0, 0, 1]));
    }
}

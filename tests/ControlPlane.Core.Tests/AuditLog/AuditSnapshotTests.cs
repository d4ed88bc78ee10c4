using ControlPlane.AuditLog;

namespace ControlPlane.AuditLog;

public sealed class AuditSnapshotTests
{
    [Fact]
    public void Truncate_Fits_ReturnsItUnmarked()
    {
        var snapshot = AuditSnapshot.Of("""{"a":1}""");

        var kept = snapshot.Truncate(7);

        Assert.Same(snapshot, kept);
        Assert.False(kept.Truncated);
        Assert.Equal(7, kept.OriginalLength);
    }

    [Fact]
    public void Truncate_TooLong_KeepsThePrefixAndSaysSo()
    {
        var json = "[" + string.Join(',', Enumerable.Repeat("\"x\"", 100)) + "]";

        var kept = AuditSnapshot.Of(json).Truncate(50);

        Assert.True(kept.Truncated);
        Assert.Equal(json[..50], kept.Json);
        Assert.Equal(json.Length, kept.OriginalLength);
    }

    [Fact]
    public void Truncate_AtASurrogatePair_NeverKeepsHalfACharacter()
    {
        var json = "\"ab\U0001F600cd\"";

        var kept = AuditSnapshot.Of(json).Truncate(4);

        Assert.Equal("\"ab", kept.Json);
        Assert.True(kept.Truncated);
    }
}

using ControlPlane.AuditLog;

namespace ControlPlane.AuditLog;

public sealed class AdminAuditQueryTests
{
    [Fact]
    public void Parse_Nothing_DefaultsToEveryKindAllTimeFirstPage()
    {
        var query = AdminAuditQuery.Parse(null, null, null, null, null);

        Assert.True(query.IsValid);
        Assert.Equal(new AdminAuditQuery(null, null, null, AdminAuditQuery.DefaultLimit, null), query.Value);
    }

    [Fact]
    public void Parse_KindFamilyAndRange_ParsesBoth()
    {
        var query = AdminAuditQuery.Parse("budget.", "2026-11-01", "2026-11-23T12:00:00+01:00", "25", null).Value!;

        Assert.True(query.KindIsPrefix);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), query.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.Zero), query.To);
        Assert.Equal(TimeSpan.Zero, query.To!.Value.Offset);
        Assert.Equal(25, query.Limit);
        Assert.False(AdminAuditQuery.Parse("budget.upsert", null, null, null, null).Value!.KindIsPrefix);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-5")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void Parse_BadLimit_IsLimitInvalid(string limit) =>
        Assert.Equal([AuditLogErrors.LimitInvalid], AdminAuditQuery.Parse(null, null, null, limit, null).Errors.Select(e => e.Code));

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("")]
    [InlineData("MTIzNA")]
    public void Parse_BadNext_IsNextInvalid(string next) =>
        Assert.Equal([AuditLogErrors.NextInvalid], AdminAuditQuery.Parse(null, null, null, null, next).Errors.Select(e => e.Code));

    [Fact]
    public void Parse_EveryProblem_IsReportedAtOnce()
    {
        var result = AdminAuditQuery.Parse("Budget", "yesterday", "2026-13-01", "0", "x");

        Assert.Equal(
            [AuditLogErrors.KindInvalid, AuditLogErrors.FromInvalid, AuditLogErrors.ToInvalid, AuditLogErrors.LimitInvalid, AuditLogErrors.NextInvalid],
            result.Errors.Select(e => e.Code));
    }

    [Fact]
    public void Parse_FromNotBeforeTo_IsRangeInvalid() =>
        Assert.Equal([AuditLogErrors.RangeInvalid], AdminAuditQuery.Parse(null, "2026-11-23", "2026-11-23", null, null).Errors.Select(e => e.Code));

    [Fact]
    public void Cursor_RoundTripsThroughItsToken()
    {
        var cursor = new AdminAuditCursor(new DateTimeOffset(2026, 11, 23, 12, 0, 0, 123, TimeSpan.Zero), "0123456789abcdef");

        var token = cursor.Encode();

        Assert.True(AdminAuditCursor.TryDecode(token, out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.DoesNotContain('=', token);
        Assert.Equal(cursor, AdminAuditQuery.Parse(null, null, null, null, token).Value!.After);
    }
}

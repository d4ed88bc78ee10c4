using System.Globalization;
using System.Text;

namespace ControlPlane.AuditLog;

/// <summary>
/// Where a page of the audit log ended: the last entry returned. The next page starts just after it in newest-first
/// order, so entries written meanwhile neither repeat nor shift the pages. Travels as an opaque <c>next</c> token.
/// </summary>
public sealed record AdminAuditCursor(DateTimeOffset At, string Id)
{
    /// <summary>The opaque token (base64url of <c>{ticks}.{id}</c>).</summary>
    public string Encode() =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{At.UtcTicks}.{Id}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Reads a token made by <see cref="Encode"/>; false for anything else.</summary>
    public static bool TryDecode(string? token, out AdminAuditCursor? cursor)
    {
        cursor = null;
        if (token is not { Length: > 0 and <= 64 })
        {
            return false;
        }

        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[48];
        if (!Convert.TryFromBase64String(base64, bytes, out var written))
        {
            return false;
        }

        var parts = Encoding.ASCII.GetString(bytes, 0, written).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !AdminAuditService.IsEntryId(parts[1]))
        {
            return false;
        }

        cursor = new AdminAuditCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1]);
        return true;
    }
}

using System.Globalization;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.AuditLog;

/// <summary>
/// A page of the audit log, newest first: entries from <see cref="From"/> (inclusive) to <see cref="To"/> (exclusive),
/// of one kind (<c>budget.upsert</c>) or a family of kinds (<c>budget.</c>), after <see cref="After"/>.
/// </summary>
/// <param name="Kind">Exact kind, or a prefix ending in '.'; null for every kind.</param>
public sealed record AdminAuditQuery(string? Kind, DateTimeOffset? From, DateTimeOffset? To, int Limit, AdminAuditCursor? After)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>True when <see cref="Kind"/> names a family (<c>budget.</c>) rather than one kind.</summary>
    public bool KindIsPrefix => Kind?.EndsWith('.') == true;

    /// <summary>Parses query-string values, reporting every problem at once.</summary>
    public static ValidationResult<AdminAuditQuery?> Parse(string? kind, string? from, string? to, string? limit, string? next)
    {
        var errors = new List<ValidationError>();
        if (kind is not null && !AdminActionKind.IsValid(kind.EndsWith('.') ? kind + "x" : kind))
        {
            errors.Add(new(AuditLogErrors.KindInvalid, "kind", "kind must be a kind such as budget.upsert, or a prefix such as budget."));
        }

        var fromValue = ParseTime(from, "from", AuditLogErrors.FromInvalid, errors);
        var toValue = ParseTime(to, "to", AuditLogErrors.ToInvalid, errors);
        if (fromValue is not null && toValue is not null && fromValue >= toValue)
        {
            errors.Add(new(AuditLogErrors.RangeInvalid, "from", "from must be earlier than to."));
        }

        var limitValue = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out limitValue) || limitValue is < 1 or > MaxLimit))
        {
            errors.Add(new(AuditLogErrors.LimitInvalid, "limit", $"limit must be a whole number from 1 to {MaxLimit}."));
        }

        AdminAuditCursor? after = null;
        if (next is not null && !AdminAuditCursor.TryDecode(next, out after))
        {
            errors.Add(new(AuditLogErrors.NextInvalid, "next", "next must be a token returned by a previous page, unchanged."));
        }

        return errors.Count > 0 ? new(null, errors) : new(new AdminAuditQuery(kind, fromValue, toValue, limitValue, after), errors);
    }

    private static DateTimeOffset? ParseTime(string? value, string field, string code, List<ValidationError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (UsageEventValidator.TryParseRfc3339(value, out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        errors.Add(new(code, field, $"{field} must be a date (2026-11-23) or an RFC 3339 time with an offset."));
        return null;
    }
}

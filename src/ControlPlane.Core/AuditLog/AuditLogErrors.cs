namespace ControlPlane.AuditLog;

/// <summary>Stable error codes of the audit log.</summary>
public static class AuditLogErrors
{
    public const string LimitInvalid = "audit_log_limit_invalid";
    public const string NextInvalid = "audit_log_next_invalid";
    public const string FromInvalid = "audit_log_from_invalid";
    public const string ToInvalid = "audit_log_to_invalid";
    public const string RangeInvalid = "audit_log_range_invalid";
    public const string KindInvalid = "audit_log_kind_invalid";

    /// <summary>503: the entry could not be written, so the admin change was not made.</summary>
    public const string Unavailable = "audit_log_unavailable";
}

using System.ComponentModel.DataAnnotations;

namespace ControlPlane.AuditLog;

/// <summary>The admin audit log. Section <c>ControlPlane:AuditLog</c>.</summary>
public sealed record AuditLogOptions
{
    public const string SectionName = "ControlPlane:AuditLog";

    /// <summary>How long entries are kept before the daily sweep deletes them. Default 400 days (a year and a month, for annual reviews).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "ControlPlane:AuditLog:Retention must lie between 1 day and 3650 days.")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(400);
}

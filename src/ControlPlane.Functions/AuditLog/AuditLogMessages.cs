namespace ControlPlane.Functions.AuditLog;

/// <summary>The audit log's log messages (event ids 100-109). Never the snapshots: they are in the log itself.</summary>
internal static partial class AuditLogMessages
{
    [LoggerMessage(100, LogLevel.Error, "Audit entry for {Kind} could not be written; the change was refused")]
    public static partial void AuditBeginFailed(this ILogger logger, Exception exception, string kind);

    [LoggerMessage(101, LogLevel.Error, "Audit entry {EntryId} for {Kind} could not be completed; it stays pending")]
    public static partial void AuditCompleteFailed(this ILogger logger, Exception exception, string entryId, string kind);
}

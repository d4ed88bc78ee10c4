using ControlPlane.AuditLog;

namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// Daily: deletes audit entries older than <c>ControlPlane:AuditLog:Retention</c>. It reads only the rows it deletes
/// (whole months, then a range of one), so its cost follows what expired, not the size of the log.
/// </summary>
public sealed class AuditLogRetentionSweepFunction(AdminAuditService audit, ILogger<AuditLogRetentionSweepFunction> logger)
{
    /// <returns>What the run did (the standalone host's <c>POST /admin/functions/AuditLogRetentionSweep</c> answers with it).</returns>
    [Function(nameof(AuditLogRetentionSweep))]
    public async Task<object> AuditLogRetentionSweep([TimerTrigger("0 55 3 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var (cutoff, deleted) = await audit.PurgeAsync(cancellationToken).ConfigureAwait(false);
        logger.FunctionRan(nameof(AuditLogRetentionSweep), $"Audit log retention sweep before {cutoff:O}: {deleted} entries deleted.");
        return new { cutoff, deleted };
    }
}

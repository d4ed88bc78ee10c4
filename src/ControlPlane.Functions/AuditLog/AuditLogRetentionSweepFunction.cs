using ControlPlane.AuditLog;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// Daily: deletes audit entries older than <c>ControlPlane:AuditLog:Retention</c>. It reads only the rows it deletes
/// (whole months, then a range of one), so its cost follows what expired, not the size of the log.
/// </summary>
public sealed class AuditLogRetentionSweepFunction(AdminAuditService audit) : IFunctionHandler
{
    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var (cutoff, deleted) = await audit.PurgeAsync(cancellationToken).ConfigureAwait(false);
        return FunctionResult.Completed(new { cutoff, deleted }, $"Audit log retention sweep before {cutoff:O}: {deleted} entries deleted.");
    }
}

namespace ControlPlane.Functions.AuditLog;

/// <summary>The one hook an admin endpoint needs to leave a trail.</summary>
public static class AuditedEndpoints
{
    /// <summary>
    /// Records every call of this endpoint in the admin audit log: a pending entry before the handler runs (if it
    /// cannot be written the handler does not run and the answer is 503 <c>audit_log_unavailable</c>), completed after.
    /// The action is also endpoint metadata, so a test can find an admin endpoint that changes state without a trail.
    /// </summary>
    public static RouteHandlerBuilder Audited(this RouteHandlerBuilder builder, AdminAction action) =>
        builder.AddEndpointFilter(new AuditedEndpointFilter(action))
            .WithMetadata(action)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}

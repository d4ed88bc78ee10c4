namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// Records every call of this admin function in the audit log: a pending entry before it runs (if that cannot be
/// written the function does not run and the answer is 503 <c>audit_log_unavailable</c>), completed after. A test
/// finds any admin function that changes state without one.
/// </summary>
/// <param name="action">The <see cref="AdminActions"/> member, as <c>nameof(AdminActions.BudgetUpsert)</c>.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AuditedAttribute(string action) : Attribute
{
    public AdminAction Action { get; } = AdminActions.Named(action);
}

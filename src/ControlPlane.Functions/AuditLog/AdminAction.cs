using ControlPlane.AuditLog;

namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// How to audit one admin endpoint: its kind, how to find its target before the change, how to read the target's
/// state (as the API would show it, never a secret), and, for a change that creates its target (issuing a key,
/// starting a run), how to find the target in the answer. Attach it with
/// <see cref="AuditedAttribute"/>; a later capability declares its own.
/// </summary>
/// <param name="TargetAsync">The target named by the request (route or body), or null when the change will create it.</param>
/// <param name="SnapshotAsync">The target's state now; null when it does not exist.</param>
/// <param name="TargetOfResult">The target in the handler's answer value (a created key's id); null to keep the request's.</param>
public sealed record AdminAction(
    AdminActionKind Kind,
    Func<HttpContext, CancellationToken, ValueTask<AuditTarget?>> TargetAsync,
    Func<HttpContext, AuditTarget, CancellationToken, Task<object?>> SnapshotAsync,
    Func<object?, AuditTarget?>? TargetOfResult = null);

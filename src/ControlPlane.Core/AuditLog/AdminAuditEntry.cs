namespace ControlPlane.AuditLog;

/// <summary>
/// One admin change in the audit log: who, when, what, and the target's state before and after. Written as
/// <see cref="AdminAuditOutcome.Pending"/> before the change runs and completed after it, so a change is never
/// made without its entry.
/// </summary>
public sealed record AdminAuditEntry
{
    /// <summary>Random id (16 hex digits), unique with <see cref="At"/>.</summary>
    public required string Id { get; init; }

    /// <summary>When the request was received (the injected clock; moved on by a tick when needed so that one instance's entries are strictly ordered).</summary>
    public required DateTimeOffset At { get; init; }

    public required AdminActionKind Kind { get; init; }

    /// <summary>What was changed: a budget, key, pool or orchestration id, a scope (<c>team:search</c>), price entry keys. Null when unknown (a request refused before it named one).</summary>
    public string? Target { get; init; }

    public required AuditActor Actor { get; init; }

    public AdminAuditOutcome Outcome { get; init; } = AdminAuditOutcome.Pending;

    /// <summary>Whether the target's state differs after the request: false for a repeated (idempotent) request. Null while pending.</summary>
    public bool? Changed { get; init; }

    /// <summary>The target's state before; null when it did not exist.</summary>
    public AuditSnapshot? Before { get; init; }

    /// <summary>The target's state after; null when it does not exist (deleted) or while pending.</summary>
    public AuditSnapshot? After { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The HTTP status the request was answered with.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The problem code of a rejected or failed request.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The request's trace identifier, to find it in the logs.</summary>
    public string? RequestId { get; init; }
}

namespace ControlPlane.AuditLog;

/// <summary>How an audited admin request ended.</summary>
public enum AdminAuditOutcome
{
    /// <summary>
    /// Written before the change ran; its outcome was never recorded (the process stopped, or storage refused the
    /// completion). The change may or may not have happened: <c>before</c> is what it found, the target's current
    /// state is what it left.
    /// </summary>
    Pending,

    /// <summary>The change was made (2xx).</summary>
    Succeeded,

    /// <summary>The request was refused (4xx: invalid, not found, conflict); nothing was changed.</summary>
    Rejected,

    /// <summary>The request failed (5xx, storage down); <c>after</c> shows what, if anything, changed.</summary>
    Failed,
}

namespace ControlPlane.Orchestrations;

/// <summary>Where an orchestration instance stands.</summary>
public enum OrchestrationStatus
{
    /// <summary>A step is due now: a queue message is on its way (or the wake-up sweep will send one).</summary>
    Running,

    /// <summary>Sleeping until <see cref="OrchestrationInstance.WakeAt"/> (polling, or backing off after a failed attempt).</summary>
    Waiting,

    Completed,
    Failed,

    /// <summary>Stopped by an admin; no further step runs.</summary>
    Terminated,
}

/// <summary>
/// One run of an orchestration: a checkpointed state machine. Everything here is persisted before the step that
/// follows it may cause a side effect, so a crash resumes from the last checkpoint.
/// </summary>
public sealed record OrchestrationInstance
{
    /// <summary>Deterministic where a run must happen once (<c>nightly-batch-20261124</c>), random for manual runs.</summary>
    public required string Id { get; init; }

    public required string Kind { get; init; }
    public required OrchestrationStatus Status { get; init; }

    /// <summary>The step that runs next (or ran last, once finished).</summary>
    public required string Step { get; init; }

    /// <summary>Checkpoint counter: one more at every checkpoint. Queue messages carry it, so a stale or duplicated message is recognised and dropped.</summary>
    public required long Sequence { get; init; }

    /// <summary>The orchestration's own state as JSON; only the orchestration reads it.</summary>
    public required string State { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When a waiting instance is due again; for a running one, when the wake-up sweep re-sends a lost message.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>A worker claimed the current step until then; others leave it alone until the claim lapses (the worker crashed).</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>Failed attempts at the current step.</summary>
    public int Attempt { get; init; }

    public OrchestrationError? LastError { get; init; }

    /// <summary>A summary the orchestration leaves when it completes (JSON).</summary>
    public string? Output { get; init; }

    /// <summary>Who started it: <c>schedule</c>, or the caller's key id for a manual start.</summary>
    public string? StartedBy { get; init; }

    /// <summary>Storage concurrency token; a checkpoint succeeds only on the version it read.</summary>
    public string ETag { get; init; } = string.Empty;

    public bool IsFinished => Status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated;
}

/// <summary>Why a step failed: a stable code and the message (for the provider's errors, theirs).</summary>
public sealed record OrchestrationError(string Code, string Message);

/// <summary>One line of an instance's history: a step's outcome at a checkpoint.</summary>
/// <param name="Outcome"><c>started</c>, <c>next</c>, <c>wait</c>, <c>retry</c>, <c>completed</c>, <c>failed</c>, <c>terminated</c>, <c>retried</c>.</param>
public sealed record OrchestrationHistoryEntry(long Sequence, string Step, string Outcome, DateTimeOffset At, string? Detail);

/// <summary>The message that asks a worker to run an instance's step at <paramref name="Sequence"/>.</summary>
public sealed record OrchestrationWorkItem(string InstanceId, long Sequence);

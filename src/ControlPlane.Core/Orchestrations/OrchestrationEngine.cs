using System.Security.Cryptography;

namespace ControlPlane.Orchestrations;

/// <summary>
/// Runs orchestrations one step per queue message. For each message it checks the message is current, claims the
/// step (a lease persisted before any side effect), runs it, and checkpoints the outcome with the next step in one
/// conditional write; only then does it send the next message. A crash anywhere leaves either the old checkpoint
/// (the step runs again, idempotently) or the new one (the wake-up sweep re-sends a lost message).
/// </summary>
public sealed class OrchestrationEngine
{
    private readonly IOrchestrationStore _store;
    private readonly IOrchestrationDispatcher _queue;
    private readonly TimeProvider _time;
    private readonly OrchestrationOptions _options;
    private readonly Dictionary<string, IOrchestration> _kinds;

    public OrchestrationEngine(IOrchestrationStore store, IOrchestrationDispatcher queue, IEnumerable<IOrchestration> orchestrations, TimeProvider time, OrchestrationOptions options)
    {
        _store = store;
        _queue = queue;
        _time = time;
        _options = options;
        _kinds = orchestrations.ToDictionary(o => o.Kind, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    /// <summary>
    /// Starts an instance of <paramref name="kind"/>. With a deterministic <paramref name="instanceId"/> a second start
    /// finds the first instance and starts nothing (<see cref="StartResult.Created"/> false).
    /// </summary>
    /// <exception cref="UnknownOrchestrationKindException">No orchestration has this kind.</exception>
    public async Task<StartResult> StartAsync(string kind, string? instanceId, string? input, string startedBy, CancellationToken cancellationToken = default)
    {
        var orchestration = Resolve(kind);
        var now = _time.GetUtcNow();
        var instance = new OrchestrationInstance
        {
            Id = instanceId ?? $"{kind}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}",
            Kind = kind,
            Status = OrchestrationStatus.Running,
            Step = orchestration.FirstStep,
            Sequence = 1,
            State = orchestration.InitialState(input),
            CreatedAt = now,
            UpdatedAt = now,
            WakeAt = now + _options.LostMessageGrace,
            StartedBy = startedBy,
        };

        if (!await _store.TryCreateAsync(instance, new(1, instance.Step, "started", now, $"by {startedBy}"), cancellationToken).ConfigureAwait(false))
        {
            var existing = await _store.GetAsync(instance.Id, cancellationToken).ConfigureAwait(false);
            return new StartResult(existing ?? instance, Created: false);
        }

        // Should this send fail, the instance is already durable with WakeAt set: the wake-up sweep sends it.
        await _queue.SendAsync(new(instance.Id, instance.Sequence), cancellationToken).ConfigureAwait(false);
        return new StartResult(instance, Created: true);
    }

    /// <summary>Runs the step a work item asks for, if it is still the current one and nobody else holds it.</summary>
    public async Task<AdvanceResult> AdvanceAsync(OrchestrationWorkItem item, CancellationToken cancellationToken = default)
    {
        var instance = await _store.GetAsync(item.InstanceId, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return AdvanceResult.Dropped("unknown_instance");
        }

        // A duplicated or replayed message names a checkpoint that has already moved on.
        if (instance.IsFinished || item.Sequence != instance.Sequence)
        {
            return AdvanceResult.Dropped("stale_message");
        }

        var now = _time.GetUtcNow();
        if (instance.Status == OrchestrationStatus.Waiting && instance.WakeAt > now)
        {
            return AdvanceResult.Dropped("not_due");
        }

        if (instance.LeaseUntil > now)
        {
            return AdvanceResult.Dropped("claimed");
        }

        var orchestration = Resolve(instance.Kind);

        // The claim is persisted before the step's first side effect. WakeAt moves to the claim's end, so if this
        // worker dies the sweep hands the step to another one once the claim lapses.
        var claimUntil = now + _options.StepLease;
        var claimed = await _store.TryReplaceAsync(instance, instance with
        {
            Status = OrchestrationStatus.Running,
            LeaseUntil = claimUntil,
            WakeAt = claimUntil,
            UpdatedAt = now,
        }, null, cancellationToken).ConfigureAwait(false);
        if (claimed is null)
        {
            return AdvanceResult.Dropped("claimed");
        }

        OrchestrationInstance next;
        OrchestrationHistoryEntry history;
        try
        {
            var outcome = await orchestration.RunStepAsync(new StepContext(instance.Id, instance.Step, instance.State, instance.Attempt, now), cancellationToken).ConfigureAwait(false);
            (next, history) = Checkpoint(claimed, outcome);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            (next, history) = Retry(claimed, ex);
        }

        OrchestrationInstance? stored;
        try
        {
            stored = await _store.TryReplaceAsync(claimed, next, history, cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestrationStateTooLargeException ex)
        {
            // Replaying the step would produce the same state again: stop here, with the last good state kept.
            var failedAt = _time.GetUtcNow();
            history = new OrchestrationHistoryEntry(claimed.Sequence + 1, claimed.Step, "failed", failedAt, $"state_too_large: {ex.Message}");
            stored = await _store.TryReplaceAsync(claimed, claimed with
            {
                Sequence = claimed.Sequence + 1, Status = OrchestrationStatus.Failed, LastError = new OrchestrationError("state_too_large", ex.Message),
                WakeAt = null, LeaseUntil = null, UpdatedAt = failedAt,
            }, history, cancellationToken).ConfigureAwait(false);
        }

        if (stored is null)
        {
            // An admin terminated it, or our claim lapsed and another worker took the step over; the step's side
            // effects are idempotent, so dropping our outcome loses nothing.
            return AdvanceResult.Dropped("lost_claim");
        }

        if (stored.Status == OrchestrationStatus.Running)
        {
            await _queue.SendAsync(new(stored.Id, stored.Sequence), cancellationToken).ConfigureAwait(false);
        }

        return new AdvanceResult(true, history.Outcome, stored);
    }

    /// <summary>Sends a message for every instance that is due: waiting ones whose time came, and running ones whose message was lost or whose worker died.</summary>
    public async Task<int> WakeDueAsync(CancellationToken cancellationToken = default)
    {
        var due = await _store.ListDueAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var instance in due)
        {
            await _queue.SendAsync(new(instance.Id, instance.Sequence), cancellationToken).ConfigureAwait(false);
        }

        return due.Count;
    }

    /// <summary>Deletes finished instances older than <see cref="OrchestrationOptions.Retention"/>.</summary>
    public Task<int> PurgeAsync(CancellationToken cancellationToken = default) =>
        _store.DeleteFinishedBeforeAsync(_time.GetUtcNow() - _options.Retention, cancellationToken);

    /// <summary>Stops an unfinished instance; a step running right now loses its checkpoint.</summary>
    public Task<ControlResult> TerminateAsync(string instanceId, string reason, string by, CancellationToken cancellationToken = default) =>
        ControlAsync(instanceId, i => !i.IsFinished, (i, now) => (i with
        {
            Status = OrchestrationStatus.Terminated,
            WakeAt = null,
            LeaseUntil = null,
            LastError = new OrchestrationError("terminated", reason),
        }, new OrchestrationHistoryEntry(i.Sequence + 1, i.Step, "terminated", now, $"by {by}: {reason}")), cancellationToken);

    /// <summary>Resumes a failed or terminated instance at the step where it stopped, with a fresh count of attempts.</summary>
    public async Task<ControlResult> RetryAsync(string instanceId, string by, CancellationToken cancellationToken = default)
    {
        var result = await ControlAsync(instanceId, i => i.Status is OrchestrationStatus.Failed or OrchestrationStatus.Terminated, (i, now) => (i with
        {
            Status = OrchestrationStatus.Running,
            Attempt = 0,
            WakeAt = now + _options.LostMessageGrace,
            LeaseUntil = null,
        }, new OrchestrationHistoryEntry(i.Sequence + 1, i.Step, "retried", now, $"by {by}")), cancellationToken).ConfigureAwait(false);
        if (result.Instance is { Status: OrchestrationStatus.Running } resumed && result.Outcome == ControlOutcome.Done)
        {
            await _queue.SendAsync(new(resumed.Id, resumed.Sequence), cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private async Task<ControlResult> ControlAsync(
        string instanceId,
        Func<OrchestrationInstance, bool> allowed,
        Func<OrchestrationInstance, DateTimeOffset, (OrchestrationInstance, OrchestrationHistoryEntry)> change,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var instance = await _store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (instance is null)
            {
                return new ControlResult(ControlOutcome.NotFound, null);
            }

            if (!allowed(instance))
            {
                return new ControlResult(ControlOutcome.WrongStatus, instance);
            }

            var now = _time.GetUtcNow();
            var (replacement, history) = change(instance, now);
            var stored = await _store.TryReplaceAsync(instance, replacement with { Sequence = instance.Sequence + 1, UpdatedAt = now }, history, cancellationToken).ConfigureAwait(false);
            if (stored is not null)
            {
                return new ControlResult(ControlOutcome.Done, stored);
            }

            // A worker checkpointed in between; look again.
        }
    }

    private (OrchestrationInstance, OrchestrationHistoryEntry) Checkpoint(OrchestrationInstance claimed, StepOutcome outcome)
    {
        var now = _time.GetUtcNow();
        var sequence = claimed.Sequence + 1;
        var advanced = claimed with { Sequence = sequence, State = outcome.State, UpdatedAt = now, LeaseUntil = null, Attempt = 0 };
        return outcome switch
        {
            StepOutcome.Proceed c => (advanced with { Status = OrchestrationStatus.Running, Step = c.NextStep, WakeAt = now + _options.LostMessageGrace },
                new(sequence, claimed.Step, "next", now, c.Detail is null ? $"-> {c.NextStep}" : $"-> {c.NextStep}: {c.Detail}")),
            StepOutcome.WaitUntil w => (advanced with { Status = OrchestrationStatus.Waiting, Step = w.NextStep, WakeAt = w.WakeAt },
                new(sequence, claimed.Step, "wait", now, $"-> {w.NextStep} at {w.WakeAt:O}" + (w.Detail is null ? string.Empty : $": {w.Detail}"))),
            StepOutcome.Complete c => (advanced with { Status = OrchestrationStatus.Completed, WakeAt = null, Output = c.Output },
                new(sequence, claimed.Step, "completed", now, c.Output)),
            StepOutcome.Fail f => (advanced with { Status = OrchestrationStatus.Failed, WakeAt = null, LastError = f.Error },
                new(sequence, claimed.Step, "failed", now, $"{f.Error.Code}: {f.Error.Message}")),
            _ => throw new InvalidOperationException($"Unknown step outcome {outcome.GetType().Name}."),
        };
    }

    private (OrchestrationInstance, OrchestrationHistoryEntry) Retry(OrchestrationInstance claimed, Exception ex)
    {
        var now = _time.GetUtcNow();
        var sequence = claimed.Sequence + 1;
        var attempt = claimed.Attempt + 1;
        var error = ex is TransientStepException t ? new OrchestrationError(t.Code, t.Message) : new OrchestrationError("step_error", $"{ex.GetType().Name}: {ex.Message}");
        if (attempt >= _options.MaxStepAttempts)
        {
            return (claimed with { Sequence = sequence, Status = OrchestrationStatus.Failed, Attempt = attempt, LastError = error, WakeAt = null, LeaseUntil = null, UpdatedAt = now },
                new(sequence, claimed.Step, "failed", now, $"attempt {attempt}: {error.Code}: {error.Message}"));
        }

        var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, _options.RetryDelay.Ticks * (1L << Math.Min(attempt - 1, 30))));
        return (claimed with { Sequence = sequence, Status = OrchestrationStatus.Waiting, Attempt = attempt, LastError = error, WakeAt = now + delay, LeaseUntil = null, UpdatedAt = now },
            new(sequence, claimed.Step, "retry", now, $"attempt {attempt} in {delay}: {error.Code}: {error.Message}"));
    }

    private IOrchestration Resolve(string kind) =>
        _kinds.TryGetValue(kind, out var orchestration) ? orchestration : throw new UnknownOrchestrationKindException(kind);
}

/// <summary>The instance a start found or created.</summary>
public sealed record StartResult(OrchestrationInstance Instance, bool Created);

/// <summary>Whether a work item ran a step; when dropped, <see cref="Outcome"/> says why (<c>stale_message</c>, <c>claimed</c>, ...).</summary>
public sealed record AdvanceResult(bool Ran, string Outcome, OrchestrationInstance? Instance)
{
    public static AdvanceResult Dropped(string why) => new(false, why, null);
}

public enum ControlOutcome
{
    Done,
    NotFound,
    WrongStatus,
}

public sealed record ControlResult(ControlOutcome Outcome, OrchestrationInstance? Instance);

/// <summary>The store cannot hold a checkpoint's state (Table storage: 32K characters). Deterministic, so the run fails rather than retrying forever.</summary>
public sealed class OrchestrationStateTooLargeException(string message) : Exception(message);

public sealed class UnknownOrchestrationKindException(string kind) : Exception($"No orchestration has kind '{kind}'.")
{
    public string Kind { get; } = kind;
}

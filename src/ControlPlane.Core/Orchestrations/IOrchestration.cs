namespace ControlPlane.Orchestrations;

/// <summary>
/// An orchestration kind: a state machine of named steps. The engine calls <see cref="RunStepAsync"/> for the current
/// step with the last checkpointed state, then checkpoints what it returns.
/// <para>
/// A step may run more than once (a crash after its side effects but before the checkpoint, or a lapsed claim), so
/// every side effect must be idempotent under a key derived from the instance id and the step: look before creating,
/// write with deterministic ids.
/// </para>
/// </summary>
public interface IOrchestration
{
    /// <summary>Stable name, used in URLs: <c>nightly-batch</c>.</summary>
    string Kind { get; }

    /// <summary>The state a new instance starts from, given the start request's input (may be null).</summary>
    string InitialState(string? input);

    /// <summary>The first step's name.</summary>
    string FirstStep { get; }

    Task<StepOutcome> RunStepAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>What a step sees: the instance, its step and state, and the time now.</summary>
public sealed record StepContext(string InstanceId, string Step, string State, int Attempt, DateTimeOffset Now);

/// <summary>What a step decides.</summary>
public abstract record StepOutcome(string State)
{
    /// <summary>Go on to <paramref name="NextStep"/> at once.</summary>
    public sealed record Proceed(string NextStep, string State, string? Detail = null) : StepOutcome(State);

    /// <summary>Run <paramref name="NextStep"/> at <paramref name="WakeAt"/> (polling).</summary>
    public sealed record WaitUntil(string NextStep, DateTimeOffset WakeAt, string State, string? Detail = null) : StepOutcome(State);

    /// <summary>Finished; <paramref name="Output"/> is the summary shown by the API.</summary>
    public sealed record Complete(string State, string? Output) : StepOutcome(State);

    /// <summary>Finished unsuccessfully and for good.</summary>
    public sealed record Fail(string State, OrchestrationError Error) : StepOutcome(State);
}

/// <summary>
/// Thrown by a step when it failed but may succeed if tried again later (a 429, a 5xx, a network error). The engine
/// backs off and retries the same step, up to <see cref="OrchestrationOptions.MaxStepAttempts"/>.
/// </summary>
public sealed class TransientStepException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}

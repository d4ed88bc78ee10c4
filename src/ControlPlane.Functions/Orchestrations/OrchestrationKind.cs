using System.Text.Json;
using ControlPlane.Orchestrations;
using Microsoft.DurableTask;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>Names the orchestration kind an orchestrator function runs (<c>nightly-batch</c>), as the API's URLs say it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrchestrationKindAttribute(string kind) : Attribute
{
    public string Kind { get; } = kind;
}

/// <summary>
/// What an orchestration kind needs to start: its input, built when it starts (by the API or a timer) so that the
/// orchestrator reads its settings from its own input and stays deterministic on replay.
/// </summary>
public interface IOrchestrationStarter
{
    string Kind { get; }

    /// <param name="startedBy">The key id of the admin who started it, or <c>schedule</c>.</param>
    /// <param name="input">The caller's input from the start request, when the kind takes any.</param>
    object CreateInput(string startedBy, JsonElement? input);
}

/// <summary>Every orchestration's input carries who started it, so the API can say.</summary>
public interface IOrchestrationInput
{
    string StartedBy { get; }
}

/// <summary>The retry policy every activity call uses: only failures that may pass are retried.</summary>
public sealed record ActivityRetry(int MaxAttempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    public static ActivityRetry From(OrchestrationOptions options) => new(options.MaxActivityAttempts, options.RetryDelay, options.MaxRetryDelay);

    /// <param name="mayPass">Which failures are worth another attempt (an unavailable provider or storage); any other fails the run at once.</param>
    public TaskOptions ToTaskOptions(Func<TaskFailureDetails, bool> mayPass) =>
        TaskOptions.FromRetryPolicy(new RetryPolicy(MaxAttempts, FirstDelay, backoffCoefficient: 2, maxRetryInterval: MaxDelay) { HandleFailure = mayPass });
}

/// <summary>The custom status an orchestrator sets at each step: the API shows it as the run's current step.</summary>
public sealed record StepStatus(string Step, string? Detail = null);

/// <summary>A start request's input does not fit the kind: the API answers 400 with <see cref="Code"/>.</summary>
public sealed class OrchestrationInputException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

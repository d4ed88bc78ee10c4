using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace ControlPlane.Functions.Orchestrations;

/// <summary>Orchestration instances as the API shows them, read and controlled through the Durable Task client.</summary>
public static class OrchestrationRuns
{
    /// <summary>Starts <paramref name="instanceId"/> unless an instance of that id exists; true when this call started it.</summary>
    public static async Task<bool> StartOnceAsync(DurableTaskClient client, string orchestrator, string instanceId, object input, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId), cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static RunStatus StatusOf(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => RunStatus.Pending,
        OrchestrationRuntimeStatus.Completed => RunStatus.Completed,
        OrchestrationRuntimeStatus.Failed => RunStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => RunStatus.Terminated,
        OrchestrationRuntimeStatus.Suspended => RunStatus.Suspended,
        _ => RunStatus.Running,
    };

    public static bool IsFinished(RunStatus status) => status is RunStatus.Completed or RunStatus.Failed or RunStatus.Terminated;
}

/// <summary>An instance's status: <c>pending</c> until its first step runs; <c>running</c> includes waiting on a durable timer.</summary>
public enum RunStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
    Suspended,
}

/// <summary>A page of instances, newest first; <c>next</c> is absent on the last page.</summary>
public sealed record OrchestrationList(IReadOnlyList<OrchestrationView> Instances, string? Next = null);

/// <summary>
/// Why an instance failed, from the innermost failure (the activity's own error, not the orchestrator's wrapper). A
/// ControlPlane error names its code first (<c>provider_refused: …</c>); anything else is <c>orchestration_failed</c>
/// with the error's type in the message.
/// </summary>
public sealed partial record RunError(string Code, string Message)
{
    public const string Unclassified = "orchestration_failed";

    public static RunError From(TaskFailureDetails failure)
    {
        while (failure.InnerFailure is { } inner)
        {
            failure = inner;
        }

        return Coded().Match(failure.ErrorMessage) is { Success: true } coded
            ? new(coded.Groups[1].Value, coded.Groups[2].Value)
            : new(Unclassified, $"{failure.ErrorType}: {failure.ErrorMessage}");
    }

    /// <summary>
    /// The Azure Storage backend keeps no structured failure details, only the failure's text as the instance's
    /// output (<c>Task 'NightlyBatchSubmit' (#3) failed with an unhandled exception: provider_refused: …</c>).
    /// </summary>
    public static RunError FromOutput(string text)
    {
        const string Marker = "exception: ";
        var at = text.LastIndexOf(Marker, StringComparison.Ordinal);
        var innermost = at < 0 ? text : text[(at + Marker.Length)..];
        return Coded().Match(innermost) is { Success: true } coded
            ? new(coded.Groups[1].Value, coded.Groups[2].Value)
            : new(Unclassified, text);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^([a-z][a-z0-9_]*): (.*)$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex Coded();
}

/// <summary>An instance as the API shows it. <c>step</c> and <c>detail</c> are what its orchestrator last reported.</summary>
public sealed record OrchestrationView(
    string Id,
    string Kind,
    RunStatus Status,
    string? Step,
    string? Detail,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? StartedBy,
    RunError? LastError,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Input,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Output)
{
    public static OrchestrationView From(OrchestrationMetadata m, string kind)
    {
        var custom = Parse(m.SerializedCustomStatus);
        var input = Parse(m.SerializedInput);
        var output = Parse(m.SerializedOutput);
        var status = OrchestrationRuns.StatusOf(m.RuntimeStatus);
        var error = m.FailureDetails is { } failure ? RunError.From(failure)
            : status == RunStatus.Failed && output is { } failed ? RunError.FromOutput(failed.ValueKind == JsonValueKind.String ? failed.GetString()! : failed.GetRawText())
            : null;
        return new(
            m.InstanceId,
            kind,
            status,
            Text(custom, "step") ?? Text(custom, "Step"),
            Text(custom, "detail") ?? Text(custom, "Detail"),
            m.CreatedAt,
            m.LastUpdatedAt,
            Text(input, "startedBy") ?? Text(input, "StartedBy"),
            error,
            input,
            output);
    }

    private static string? Text(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Plain text: show it as a JSON string rather than fail the read.
            return JsonSerializer.SerializeToElement(json);
        }
    }
}

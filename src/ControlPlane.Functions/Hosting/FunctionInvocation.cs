using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// What the Functions host posts to a custom handler for a non-HTTP trigger: the trigger's data and metadata,
/// keyed by binding name (<c>{"Data": {"timer": {...}}, "Metadata": {...}}</c>).
/// </summary>
public sealed record FunctionInvocation(
    [property: JsonPropertyName("Data")] Dictionary<string, JsonElement>? Data,
    [property: JsonPropertyName("Metadata")] Dictionary<string, JsonElement>? Metadata)
{
    public static FunctionInvocation Empty { get; } = new(null, null);
}

/// <summary>
/// What a custom handler answers: output bindings, log lines the host writes to its own logs, and a return value.
/// A non-2xx status fails the invocation (and a queue message is retried).
/// </summary>
public sealed record FunctionResult(
    [property: JsonPropertyName("Outputs")] Dictionary<string, object?> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue")] object? ReturnValue)
{
    public static FunctionResult Completed(object? returnValue, params string[] logs) => new([], logs, returnValue);
}

using System.Reflection;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace ControlPlane.Functions.Hosting;

/// <summary>How a function is started, as its trigger attribute says.</summary>
public abstract record FunctionTrigger;

/// <summary>
/// An HTTP function at <c>/{Route}</c>: host.json sets no route prefix, so the API's routes say <c>api/</c> themselves
/// and the dashboard can be served at <c>/</c> under the Functions host too.
/// </summary>
/// <param name="Policy">The authorization policy a caller's key must pass; null for the anonymous endpoints (health, OpenAPI).</param>
/// <param name="Audit">How the call is recorded in the admin audit log, when it is an admin change.</param>
/// <param name="Deadline">How long the request may wait on storage, from its <c>[Deadline]</c>.</param>
public sealed record HttpFunctionTrigger(string Route, IReadOnlyList<string> Methods, string? Policy, AdminAction? Audit, RequestDeadline Deadline = RequestDeadline.Request) : FunctionTrigger;

/// <summary>A timer function. <paramref name="Schedule"/> is the attribute's text: a six-field NCRONTAB expression or <c>%AppSetting%</c>.</summary>
public sealed record TimerFunctionTrigger(string Schedule) : FunctionTrigger;

/// <summary>A Durable orchestrator; <paramref name="InputType"/> is its input parameter's type (the one beside its context), if it has one.</summary>
/// <param name="Kind">The kind the orchestrations API starts it by (<c>nightly-batch</c>), from its <c>[OrchestrationKind]</c>.</param>
public sealed record OrchestrationFunctionTrigger(Type? InputType, string? Kind) : FunctionTrigger;

/// <summary>A Durable activity; <paramref name="InputType"/> is its trigger parameter's type.</summary>
public sealed record ActivityFunctionTrigger(Type InputType) : FunctionTrigger;

/// <summary>One <c>[Function]</c> method of the app.</summary>
public sealed record FunctionDescriptor(string Name, MethodInfo Method, FunctionTrigger Trigger);

/// <summary>
/// Every function of the app, read from the same <c>[Function]</c> and trigger attributes the Worker SDK turns into
/// <c>functions.metadata</c>. The standalone host serves what this lists and the worker's middleware looks functions up
/// here, so a route, method, schedule or role is written once: on the function.
/// </summary>
public static class FunctionIndex
{
    public static IReadOnlyList<FunctionDescriptor> All { get; } = Scan(typeof(FunctionIndex).Assembly);

    private static readonly Dictionary<string, FunctionDescriptor> ByName = All.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static FunctionDescriptor? Find(string name) => ByName.GetValueOrDefault(name);

    public static IEnumerable<(FunctionDescriptor Function, HttpFunctionTrigger Http)> Http =>
        All.Where(f => f.Trigger is HttpFunctionTrigger).Select(f => (f, (HttpFunctionTrigger)f.Trigger));

    public static IEnumerable<(FunctionDescriptor Function, TimerFunctionTrigger Timer)> Timers =>
        All.Where(f => f.Trigger is TimerFunctionTrigger).Select(f => (f, (TimerFunctionTrigger)f.Trigger));

    public static IReadOnlyList<FunctionDescriptor> Scan(Assembly assembly)
    {
        var functions = new List<FunctionDescriptor>();
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } function)
                {
                    functions.Add(new(function.Name, method, TriggerOf(function.Name, method)));
                }
            }
        }

        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null
            ? [.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)]
            : throw new InvalidOperationException($"Two functions are named '{duplicate.Key}'.");
    }

    private static FunctionTrigger TriggerOf(string name, MethodInfo method)
    {
        foreach (var parameter in method.GetParameters())
        {
            if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } http)
            {
                return new HttpFunctionTrigger(
                    http.Route ?? throw new InvalidOperationException($"HTTP function {name} must declare its route."),
                    [.. (http.Methods ?? []).Select(m => m.ToUpperInvariant())],
                    PolicyOf(name, method),
                    method.GetCustomAttribute<AuditedAttribute>()?.Action,
                    method.GetCustomAttribute<DeadlineAttribute>()?.Deadline ?? RequestDeadline.Request);
            }

            if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer)
            {
                return new TimerFunctionTrigger(timer.Schedule);
            }

            if (parameter.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null)
            {
                return new OrchestrationFunctionTrigger(
                    method.GetParameters().FirstOrDefault(p => p != parameter)?.ParameterType,
                    method.GetCustomAttribute<Orchestrations.OrchestrationKindAttribute>()?.Kind);
            }

            if (parameter.GetCustomAttribute<ActivityTriggerAttribute>() is not null)
            {
                return new ActivityFunctionTrigger(parameter.ParameterType);
            }
        }

        throw new InvalidOperationException($"Function {name} has a trigger neither host serves (HTTP, timer, orchestration, activity).");
    }

    /// <summary>An HTTP function says who may call it: <c>[Authorize(policy)]</c>, or <c>[AllowAnonymous]</c> on purpose.</summary>
    private static string? PolicyOf(string name, MethodInfo method)
    {
        var authorize = method.GetCustomAttribute<AuthorizeAttribute>() ?? method.DeclaringType!.GetCustomAttribute<AuthorizeAttribute>();
        var anonymous = method.GetCustomAttribute<AllowAnonymousAttribute>() is not null;
        return (authorize, anonymous) switch
        {
            ({ Policy: { Length: > 0 } policy }, false) => policy,
            (null, true) => null,
            _ => throw new InvalidOperationException(
                $"HTTP function {name} must carry exactly one of [Authorize(\"policy\")] or [AllowAnonymous]."),
        };
    }
}

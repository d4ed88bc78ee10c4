using System.Reflection;
using ControlPlane.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace ControlPlane.Standalone.Functions;

/// <summary>What one invocation of a function gets: its trigger value, its HTTP request when it has one, a token.</summary>
public sealed record FunctionInvocation(IServiceProvider Services, object? Trigger, CancellationToken CancellationToken, HttpContext? Http = null, object? Input = null);

/// <summary>
/// Calls a <c>[Function]</c> method as the Functions host's worker would: the class made with its constructor's
/// services, the trigger parameter given the trigger's value, route parameters by name, the Durable client of a
/// <c>[DurableClient]</c> parameter, a cancellation token. A parameter the standalone host cannot bind fails when the
/// host starts, not when the function is first called.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly MethodInfo _method;
    private readonly ObjectFactory? _create;
    private readonly Func<FunctionInvocation, object?>[] _arguments;

    private FunctionInvoker(FunctionDescriptor function)
    {
        _method = function.Method;
        _create = _method.IsStatic ? null : ActivatorUtilities.CreateFactory(_method.DeclaringType!, Type.EmptyTypes);
        var routeParameters = function.Trigger is HttpFunctionTrigger http ? RouteParameters(http.Route) : [];
        _arguments = [.. _method.GetParameters().Select(p => Binder(function, p, routeParameters))];
    }

    public static FunctionInvoker For(FunctionDescriptor function) => new(function);

    /// <summary>The value the function returns (a <c>Task</c>'s result), or null.</summary>
    /// <remarks>
    /// No <c>ConfigureAwait(false)</c> here: an orchestrator must resume on the Durable worker's own context, or its
    /// episode ends before its code does and the orchestration never completes.
    /// </remarks>
    public async Task<object?> InvokeAsync(FunctionInvocation invocation)
    {
        var target = _create?.Invoke(invocation.Services, null);
        var arguments = _arguments.Select(bind => bind(invocation)).ToArray();
        var returned = _method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null);
        if (returned is not Task task)
        {
            return returned;
        }

        await task;
        return task.GetType().IsGenericType ? task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    /// <summary>The type a function's task yields (<c>Task&lt;T&gt;</c> is T), or <see cref="object"/>.</summary>
    public static Type ResultType(MethodInfo method) =>
        method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>) ? method.ReturnType.GetGenericArguments()[0] : typeof(object);

    private static Func<FunctionInvocation, object?> Binder(FunctionDescriptor function, ParameterInfo parameter, HashSet<string> routeParameters)
    {
        if (parameter.GetCustomAttributes().Any(a => a is HttpTriggerAttribute or TimerTriggerAttribute or Microsoft.Azure.Functions.Worker.OrchestrationTriggerAttribute or ActivityTriggerAttribute))
        {
            return invocation => invocation.Trigger;
        }

        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return invocation => invocation.CancellationToken;
        }

        if (parameter.ParameterType == typeof(DurableTaskClient))
        {
            return invocation => invocation.Services.GetRequiredService<DurableClientAccessor>().Required;
        }

        if (parameter.ParameterType == typeof(string) && routeParameters.Contains(parameter.Name!))
        {
            return invocation => invocation.Http!.Request.RouteValues[parameter.Name!]?.ToString();
        }

        if (function.Trigger is OrchestrationFunctionTrigger { InputType: { } input } && parameter.ParameterType == input)
        {
            return invocation => invocation.Input;
        }

        throw new NotSupportedException(
            $"Function {function.Name}: the standalone host cannot bind parameter '{parameter.Name}' ({parameter.ParameterType.Name}).");
    }

    private static HashSet<string> RouteParameters(string route) =>
        [.. Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(route).Parameters.Select(p => p.Name)];
}

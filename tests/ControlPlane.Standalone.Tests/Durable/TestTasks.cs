using System.Reflection;
using Microsoft.DurableTask;

namespace ControlPlane.Standalone.Durable;

/// <summary>Orchestrators and activities the tests run. Shared with the kill test's child process.</summary>
internal static class TestTasks
{
    public const string ThreeSteps = nameof(ThreeSteps);
    public const string Append = nameof(Append);
    public const string WaitThenAppend = nameof(WaitThenAppend);

    /// <summary>
    /// Registered the way the standalone host registers the app's functions: by name, with non-generic
    /// <see cref="ITaskOrchestrator"/> / <see cref="ITaskActivity"/> wrappers around methods found by reflection.
    /// </summary>
    public static void Register(DurableTaskRegistry registry)
    {
        registry.AddOrchestrator(ThreeSteps, () => new MethodOrchestrator(Method(nameof(RunThreeSteps))));
        registry.AddActivity(Append, _ => new MethodActivity(Method(nameof(RunAppend))));
        registry.AddOrchestratorFunc<string, string>(WaitThenAppend, async (context, input) =>
        {
            context.SetCustomStatus("waiting");
            await context.CreateTimer(TimeSpan.FromSeconds(5), CancellationToken.None);
            return await context.CallActivityAsync<string>(Append, input + "+woke");
        });
    }

    private static MethodInfo Method(string name) => typeof(TestTasks).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Three activities in sequence, then a one-second durable timer.</summary>
    private static async Task<string> RunThreeSteps(TaskOrchestrationContext context, string input)
    {
        var value = input;
        for (var step = 1; step <= 3; step++)
        {
            value = await context.CallActivityAsync<string>(Append, $"{value}+{step}");
        }

        await context.CreateTimer(TimeSpan.FromSeconds(1), CancellationToken.None);
        return value + "+timer";
    }

    private static Task<string> RunAppend(TaskActivityContext context, string input) => Task.FromResult(input + ".");

    /// <summary>An orchestrator that calls a static method <c>Task&lt;TOut&gt; M(TaskOrchestrationContext, TIn)</c>.</summary>
    private sealed class MethodOrchestrator(MethodInfo method) : ITaskOrchestrator
    {
        public Type InputType => method.GetParameters()[1].ParameterType;

        public Type OutputType => method.ReturnType.GetGenericArguments()[0];

        public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
        {
            var task = (Task)method.Invoke(null, [context, input])!;
            await task;
            return task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task);
        }
    }

    /// <summary>An activity that calls a static method <c>Task&lt;TOut&gt; M(TaskActivityContext, TIn)</c>.</summary>
    private sealed class MethodActivity(MethodInfo method) : ITaskActivity
    {
        public Type InputType => method.GetParameters()[1].ParameterType;

        public Type OutputType => method.ReturnType.GetGenericArguments()[0];

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            var task = (Task)method.Invoke(null, [context, input])!;
            await task;
            return task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task);
        }
    }
}

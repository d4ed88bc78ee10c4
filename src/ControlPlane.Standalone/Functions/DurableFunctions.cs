using ControlPlane.Functions.Hosting;
using Microsoft.DurableTask;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// Registers every orchestrator and activity function with the Durable Task worker under its function name, so the
/// standalone host runs the same orchestrations the Functions host does. Activities get a DI scope per call, as a
/// function invocation does under the host.
/// </summary>
public sealed class DurableFunctions
{
    /// <summary>The application's services, known once the host is built (the registry is filled before that).</summary>
    public IServiceProvider? Services { get; set; }

    public void Register(DurableTaskRegistry registry)
    {
        foreach (var function in FunctionIndex.All)
        {
            switch (function.Trigger)
            {
                case OrchestrationFunctionTrigger orchestration:
                    registry.AddOrchestrator(function.Name, new Orchestrator(this, function, orchestration.InputType));
                    break;
                case ActivityFunctionTrigger activity:
                    registry.AddActivity(function.Name, new Activity(this, function, activity.InputType));
                    break;
            }
        }
    }

    private IServiceProvider Root => Services ?? throw new InvalidOperationException("The host is not built yet.");

    private sealed class Orchestrator(DurableFunctions owner, FunctionDescriptor function, Type? inputType) : ITaskOrchestrator
    {
        private readonly FunctionInvoker _invoker = FunctionInvoker.For(function);

        public Type InputType => inputType ?? typeof(object);

        public Type OutputType => FunctionInvoker.ResultType(function.Method);

        // Orchestrator code is deterministic and does no I/O: it needs no scope of services.
        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
            _invoker.InvokeAsync(new FunctionInvocation(owner.Root, context, CancellationToken.None, Input: input));
    }

    private sealed class Activity(DurableFunctions owner, FunctionDescriptor function, Type inputType) : ITaskActivity
    {
        private readonly FunctionInvoker _invoker = FunctionInvoker.For(function);

        public Type InputType => inputType;

        public Type OutputType => FunctionInvoker.ResultType(function.Method);

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            await using var scope = owner.Root.CreateAsyncScope();
            return await _invoker.InvokeAsync(new FunctionInvocation(scope.ServiceProvider, input, CancellationToken.None)).ConfigureAwait(false);
        }
    }
}
